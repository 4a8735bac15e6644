"""Compiling SLIs to PromQL: bad-event and all-event rates over a window.

Every expression is aggregated to one series per SLO (``sum(...)`` without ``by``), so a
ratio of two of them is the SLO's ratio, whatever labels the raw series carry; a grouped
SLO's to one series per group (``sum by (route) (...)``), and ``0 * total`` stands in for
``vector(0)`` so each group's missing errors read 0. Selectors
print with ``str(Selector)``, the canonical PromQL form.

By kind of SLI (``W`` is the window, ``[5m]``):

ratio
    ``good`` given: errors are ``sum(rate(total[W])) - (sum(rate(good[W])) or vector(0))``.
    The ``or vector(0)`` matters: when every request fails, no good series may exist at
    all, and without it the error rate of a total outage would be *no data*, which never
    alerts. ``bad`` given: ``sum(rate(bad[W])) or vector(0)`` (no 5xx series yet is 0
    errors, not no data). Total is ``sum(rate(total[W]))``; with no traffic it is absent,
    so the ratio is absent too, never a made-up 0.
latency
    Good is ``<metric>_bucket{..., le="<threshold>"}``, total ``<metric>_count{...}``.
    The ``le`` label is a string and clients spell the same boundary differently: Go's
    client writes ``1`` and ``1e+06``, Python's ``1.0`` and ``1e+06``, Prometheus 3
    normalises classic histograms to ``1.0``. The ``le`` matcher matches every spelling
    of the threshold with one regex (:mod:`sloscope.spec.buckets`, the rule the sources
    apply too), which Prometheus anchors at both ends, so ``0.3`` never matches ``0.35``.
promql
    The expressions count events over ``{{window}}``; sloscope substitutes the window and
    divides by its seconds to get a rate. ``error_ratio`` alone cannot be split into
    events, so only its ratio is recorded, from the expression itself at every window:
    the long windows cannot be summed from short ones as they are for event SLIs (see
    :mod:`sloscope.generate.prometheus`), and cost what the query costs over that window.
timeslices
    See :func:`slice_bad_indicator`: a 0/1 indicator recorded once per slice, whose
    averages over a window are the ratio of bad slices.
"""

from __future__ import annotations

import math
import re

from sloscope.spec.buckets import le_matcher
from sloscope.spec.durations import format_duration
from sloscope.spec.model import SLI, LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Selector

#: ``{{window}}`` as PromQL SLIs write it (spaces allowed inside the braces).
WINDOW_TEMPLATE = re.compile(r"\{\{\s*window\s*\}\}")

EventSLI = RatioSLI | LatencySLI | PromQLSLI
#: The labels a grouped SLO's expressions aggregate ``by`` (empty: one series).
Grouping = tuple[str, ...]


def format_number(value: float) -> str:
    """A number as a human writes it: 12 significant digits, no float artefacts.

    >>> format_number(1 - 0.999), format_number(14.4), format_number(28.0)
    ('0.001', '14.4', '28')
    """
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"cannot write {value} into a rule")
    text = f"{value:.12g}"
    return "0" if text == "-0" else text


def window_text(seconds: int) -> str:
    """A window as a PromQL range (``300`` → ``5m``, ``2419200`` → ``28d``)."""
    return format_duration(seconds)


# --- latency buckets --------------------------------------------------------------------


def good_bucket_selector(sli: LatencySLI) -> Selector:
    """The bucket series counting requests within the threshold."""
    return sli.bucket_selector.with_matcher(le_matcher(sli.threshold))


# --- events -----------------------------------------------------------------------------


def has_event_rates(sli: SLI) -> bool:
    """Whether bad and total events can be counted (all but ``error_ratio``-only PromQL)."""
    if isinstance(sli, TimeslicesSLI):
        return True
    return not (isinstance(sli, PromQLSLI) and sli.total is None)


def _sum(by: Grouping) -> str:
    """``sum``, or ``sum by (route) `` for a grouped SLO (one series per group)."""
    return f"sum by ({', '.join(by)}) " if by else "sum"


def _rate(selector: Selector, seconds: int, by: Grouping = ()) -> str:
    return f"{_sum(by)}(rate({selector}[{window_text(seconds)}]))"


def _or_zero(expr: str, total: str, by: Grouping) -> str:
    """``expr``, or 0 where it has no series: ``vector(0)`` for one series; for a grouped
    SLO ``0 * total``, a 0 for every group that has events (``vector(0)`` has no labels,
    so it would fill one label-less series, not the group's)."""
    return f"({expr} or 0 * {total})" if by else f"({expr} or vector(0))"


def _substitute(expr: str, seconds: int) -> str:
    return WINDOW_TEMPLATE.sub(window_text(seconds), expr.strip())


def _promql_events(expr: str, seconds: int, by: Grouping = ()) -> str:
    """A PromQL event count over the window, as one series (``sum``, unless it is one) or
    one per group (``sum by (...)``, always: the expression may group by more)."""
    text = _substitute(expr, seconds)
    if by:
        return f"{_sum(by)}({text})"
    return text if _is_plain_sum(text) else f"sum({text})"


def _is_plain_sum(expr: str) -> bool:
    """Whether ``expr`` is one ``sum(...)`` without grouping, already a single series."""
    match = re.match(r"sum\s*\(", expr)
    if not match:
        return False
    depth = 0
    for index in range(match.end() - 1, len(expr)):
        char = expr[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index == len(expr) - 1
    return False


def total_rate(sli: EventSLI, seconds: int, by: Grouping = ()) -> str:
    """All events per second over a window, one series (one per group when ``by``)."""
    if isinstance(sli, RatioSLI):
        return _rate(sli.total, seconds, by)
    if isinstance(sli, LatencySLI):
        return _rate(sli.count_selector, seconds, by)
    if sli.total is None:
        raise ValueError("an error_ratio PromQL SLI has no event counts")
    return f"{_promql_events(sli.total, seconds, by)} / {seconds}"


def error_rate(sli: EventSLI, seconds: int, by: Grouping = ()) -> str:
    """Bad events per second over a window, one series (one per group when ``by``; 0
    when no bad series exist)."""
    if isinstance(sli, RatioSLI):
        if sli.bad is not None:
            return _or_zero(_rate(sli.bad, seconds, by), _rate(sli.total, seconds, by), by)
        assert sli.good is not None
        total = _rate(sli.total, seconds, by)
        return f"{total} - {_or_zero(_rate(sli.good, seconds, by), total, by)}"
    if isinstance(sli, LatencySLI):
        total = _rate(sli.count_selector, seconds, by)
        good = _rate(good_bucket_selector(sli), seconds, by)
        return f"{total} - {_or_zero(good, total, by)}"
    if sli.total is None:
        raise ValueError("an error_ratio PromQL SLI has no event counts")
    total = _promql_events(sli.total, seconds, by)
    if sli.bad is not None:
        return f"{_or_zero(_promql_events(sli.bad, seconds, by), total, by)} / {seconds}"
    assert sli.good is not None
    return f"({total} - {_or_zero(_promql_events(sli.good, seconds, by), total, by)}) / {seconds}"


def good_rate(sli: EventSLI, seconds: int, by: Grouping = ()) -> str:
    """Good events per second over a window, one series (one per group when ``by``; used
    to judge time slices)."""
    if isinstance(sli, RatioSLI):
        total = _rate(sli.total, seconds, by)
        if sli.good is not None:
            return _or_zero(_rate(sli.good, seconds, by), total, by)
        assert sli.bad is not None
        return f"({total} - {_or_zero(_rate(sli.bad, seconds, by), total, by)})"
    if isinstance(sli, LatencySLI):
        total = _rate(sli.count_selector, seconds, by)
        return _or_zero(_rate(good_bucket_selector(sli), seconds, by), total, by)
    if sli.total is None:
        raise ValueError("an error_ratio PromQL SLI has no event counts")
    total = _promql_events(sli.total, seconds, by)
    if sli.good is not None:
        return f"({_or_zero(_promql_events(sli.good, seconds, by), total, by)} / {seconds})"
    assert sli.bad is not None
    return f"(({total} - {_or_zero(_promql_events(sli.bad, seconds, by), total, by)}) / {seconds})"


def direct_error_ratio(sli: PromQLSLI, seconds: int, by: Grouping = ()) -> str:
    """The ratio of an ``error_ratio``-only PromQL SLI at a window, one series (one per
    group when ``by``).

    ``max`` makes it one series: a query returning several ratios is judged by its worst.
    """
    if sli.error_ratio is None:
        raise ValueError("this PromQL SLI counts events; record its ratio from its rates")
    aggregate = f"max by ({', '.join(by)}) " if by else "max"
    return f"{aggregate}({_substitute(sli.error_ratio, seconds)})"


def slice_bad_indicator(sli: TimeslicesSLI, by: Grouping = ()) -> str:
    """1 for a bad slice, 0 for a good one, nothing for a slice without events.

    A slice is good when its ratio of good events is at least ``target``, as the engine
    judges it (:mod:`sloscope.engine.timeslices`): ``good / total < bool target`` is 1
    exactly when the slice is bad. ``total > 0`` drops slices without events, so they
    count neither way: the indicator has no sample there and averages skip it.

    The expression looks back one slice; the rule group that records it runs once per
    slice (its ``interval`` is the slice), so each evaluation judges the slice that just
    ended. Slices are aligned to the group's evaluation times, which Prometheus spreads
    within the interval, not to the clock's minute or hour.
    """
    seconds = sli.slice_seconds
    indicator = sli.indicator
    target = format_number(sli.target)
    if isinstance(indicator, PromQLSLI) and indicator.total is None:
        ratio = direct_error_ratio(indicator, seconds, by)
        # The error ratio of a slice without events is NaN (0/0); NaN compares false, so
        # the `>= 0` filter drops it like an empty slice.
        return f"(1 - ({ratio} >= 0)) < bool {target}"
    total = total_rate(indicator, seconds, by)
    return f"{good_rate(indicator, seconds, by)} / ({total} > 0) < bool {target}"
