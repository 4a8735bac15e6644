"""PromQL that counts an SLI's events per step, exactly as the embedded store does.

Pure text compilation, no I/O: :mod:`sloscope.sources.prometheus` sends these queries.

Per-step counts from raw counters
---------------------------------
The events of step ``(t - step, t]`` are the sum of the per-sample increases of the
samples in that step (DESIGN.md). With ``L(t)`` the value of a series' last sample at or
before ``t`` (what an instant selector returns at ``t``), that sum is
``L(t) - L(t - step)``; after a reset (a value below the previous one) it is the value
itself, as Prometheus handles resets. :func:`step_increase_query` writes exactly that::

    sum((sel - sel offset 60s) >= 0 or (sel < sel offset 60s))

evaluated by ``/api/v1/query_range`` at the grid's right edges. It is exact, not an
estimate, where the embedded store and Prometheus see the same samples (bitwise equal
on the demo data), with two documented differences, both from what Prometheus can see
at ``t - step`` (its lookback), not from arithmetic:

- the step in which a series begins counts 0 (``L(t - step)`` does not exist): a new
  series, or one that resumes after a gap longer than the lookback delta
  (``--query.lookback-delta``, 5m by default) or after a staleness marker. The embedded
  store counts the increases after the series' first sample in that step (and, after a
  gap, the increase across it). With one sample per step, a new series' first step
  counts 0 in both;
- a counter reset inside a step that holds more than one sample loses the increase
  between the step's start and the reset: the step counts only what came after it.

Why not ``sum(increase(sel[60s]))``: ``increase()`` only sees samples inside its range
and extrapolates to the range's edges, so the increase between the last sample of one
step and the first of the next is estimated, not counted; a step holding one sample has
no increase at all (Prometheus 3 makes ranges left-open, so 60s scrapes and a 60s step
give nothing). The counts are then fractional estimates that differ per step.

Latency SLIs count the ``_bucket`` series whose ``le`` equals the threshold as a number:
:func:`le_regex` matches every spelling (``0.3``, ``0.30``, ``.3``, ``3e-01``).

When the selector matches several histograms (label sets once ``__name__`` and ``le``
are left out: two routes, two pods), every histogram counted in the total must have a
bucket at the threshold, or its requests would count in the total but never as good and
the SLI would be silently too low. :func:`check_threshold_buckets`, shared by both
sources, raises an error naming those that lack it. It judges each histogram over the
series the source matched in the fetched range, not step by step: a new pod with the
bucket is fine; a stopped pod without it matters only while the range holds its samples;
a histogram that gains the bucket inside the range passes (its earlier steps still count
in the total only).

Per-step counts from recording rules
------------------------------------
The generated rules record per-second rates over 5m per SLO
(``slo:sli_error:rate5m{sloscope_id="service-slo"}``, ``slo:sli_total:rate5m``).
:func:`recorded_query` reads a step's count as ``rate × step``; summed over a window,
every event counts once (each sample's increase sits in 5 consecutive 1-minute rate
evaluations with weight 1/5 each), so windows of an hour and more agree with the raw
counts to within the rules' own 5 minutes at the window's edges, while a 5m burn rate is
smoothed over about 9 minutes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal

from sloscope import conventions
from sloscope.errors import SourceError
from sloscope.spec.selectors import Matcher, Selector

#: The window of the recorded rates this source reads (``slo:sli_error:rate5m``).
RULE_WINDOW_SECONDS = 300

#: ``{{window}}`` in a promql SLI, with optional spaces inside the braces.
_WINDOW = re.compile(r"\{\{\s*window\s*\}\}")

#: Histograms listed by name in an error; the rest are counted.
_SHOWN_HISTOGRAMS = 5

#: A histogram's identity: the sorted labels of its series without ``__name__`` and ``le``.
HistogramKey = tuple[tuple[str, str], ...]


def step_increase_query(selector: Selector, step: int) -> str:
    """The summed increase of ``selector``'s series over each ``(t - step, t]``.

    >>> from sloscope.spec.selectors import parse_selector
    >>> step_increase_query(parse_selector("req_total"), 60)
    'sum((req_total - req_total offset 60s) >= 0 or (req_total < req_total offset 60s))'
    """
    current = str(selector)
    previous = f"{current} offset {step}s"
    # Both sides of "or" are disjoint (a difference is either >= 0 or a reset), and "or"
    # matches label sets without the metric name, so no series is counted twice.
    return f"sum(({current} - {previous}) >= 0 or ({current} < {previous}))"


def le_regex(threshold: float) -> str:
    """An RE2 regex matching every way to write ``threshold`` as an ``le`` label.

    Plain (``0.3``, ``0.30``, ``00.3``, ``.3``) and scientific (``3e-1``, ``3.0E-01``)
    spellings; Prometheus anchors it at both ends.

    >>> le_regex(0.3)
    '0*\\\\.30*|3(?:\\\\.0*)?[eE]-0*1'
    >>> le_regex(1.0)
    '0*1(?:\\\\.0*)?|1(?:\\\\.0*)?[eE][+-]?0+'
    """
    if not math.isfinite(threshold) or threshold < 0:
        raise ValueError(f"a latency threshold must be a finite number >= 0, got {threshold}")
    # 12 significant digits: 0.1 + 0.2 is the boundary 0.3, as in the embedded store.
    value = Decimal(f"{threshold:.12g}").normalize()
    if value == 0:
        return r"0+(?:\.0*)?|0*\.0+|0(?:\.0*)?[eE][+-]?0+"
    plain = format(value, "f")
    whole, _, fraction = plain.partition(".")
    whole = whole.lstrip("0")
    fraction = fraction.rstrip("0")
    decimal = f"0*{whole}" + (rf"\.{fraction}0*" if fraction else r"(?:\.0*)?")
    _, digits, _ = value.as_tuple()
    text = "".join(map(str, digits))
    exponent = value.adjusted()
    mantissa = text[0] + (rf"\.{text[1:]}0*" if len(text) > 1 else r"(?:\.0*)?")
    if exponent < 0:
        power = f"-0*{-exponent}"
    elif exponent > 0:
        power = rf"\+?0*{exponent}"
    else:
        power = "[+-]?0+"
    return f"{decimal}|{mantissa}[eE]{power}"


def same_boundary(le: str, threshold: float) -> bool:
    """Whether an ``le`` label is ``threshold`` as a number (``0.30`` is ``3e-1``)."""
    try:
        value = float(le)
    except ValueError:
        return False
    if math.isinf(value) or math.isinf(threshold):
        return value == threshold
    # A threshold from "300ms" is 300/1000: allow the last bits of float rounding.
    return math.isclose(value, threshold, rel_tol=1e-9, abs_tol=0.0)


def boundary_order(le: str) -> float:
    """Sort key of ``le`` labels: numerically, anything unparsable last."""
    try:
        return float(le)
    except ValueError:
        return math.inf


def histogram_key(labels: Iterable[tuple[str, str]]) -> HistogramKey:
    """The histogram a ``_bucket``, ``_count`` or ``_sum`` series belongs to.

    >>> histogram_key({"__name__": "x_bucket", "pod": "a", "le": "0.3"}.items())
    (('pod', 'a'),)
    """
    return tuple(sorted((k, v) for k, v in labels if k not in ("__name__", "le")))


def check_threshold_buckets(
    metric: Selector,
    threshold: float,
    buckets: Iterable[tuple[HistogramKey, str]],
    counted: Iterable[HistogramKey],
) -> None:
    """Raise :class:`SourceError` if a histogram counted in the total has no bucket at
    ``threshold``.

    ``buckets`` are the matched ``_bucket`` series as (histogram, ``le``); ``counted``
    the histograms whose series the total sums (``_count``, or the ``+Inf`` buckets).
    The error names each such histogram with the boundaries it has, and says how to fix
    the spec; without it, their requests would count in the total but never as good.
    """
    bounds: dict[HistogramKey, set[str]] = {}
    for key, le in buckets:
        bounds.setdefault(key, set()).add(le)
    totals = set(counted)
    lacking = {
        key: sorted(bounds.get(key, ()), key=boundary_order)
        for key in totals
        if not any(same_boundary(le, threshold) for le in bounds.get(key, ()))
    }
    if not lacking:
        return
    everyone = len(totals | bounds.keys())
    shown = [
        _show_histogram(key) + (f" has buckets {', '.join(les)}" if les else " has no buckets")
        for key, les in sorted(lacking.items())[:_SHOWN_HISTOGRAMS]
    ]
    more = len(lacking) - len(shown)
    one = len(lacking) == 1
    raise SourceError(
        f"{len(lacking)} of {everyone} histograms of {metric} {'has' if one else 'have'} no "
        f"bucket le={threshold:g}, so {'its' if one else 'their'} requests would count in the "
        f"total but never as good: {'; '.join(shown)}{f' and {more} more' if more else ''} "
        f"(hint: give every histogram the selector matches a bucket le={threshold:g}, or "
        "narrow the selector to the histograms that have one)"
    )


def _show_histogram(key: HistogramKey) -> str:
    """``{pod="a", route="/x"}``: label values quoted and escaped as in PromQL."""
    return "{" + ", ".join(str(Matcher(k, "=", v)) for k, v in key) + "}"


def bucket_selector(bucket: Selector, threshold: float) -> Selector:
    """The ``_bucket`` selector narrowed to the ``le`` boundary equal to ``threshold``."""
    return bucket.with_matcher(Matcher("le", "=~", le_regex(threshold)))


def inf_bucket_selector(bucket: Selector) -> Selector:
    """The ``le="+Inf"`` buckets: all requests, for histograms without ``_count``."""
    return bucket.with_matcher(Matcher("le", "=~", r"\+?[Ii]nf"))


def recorded_query(metric: str, slo_id: str, step: int) -> str:
    """Events per step from a recorded per-second rate (``slo:sli_total:rate5m``).

    For steps up to the rules' 5m window, the rate at ``t`` times ``step``; for longer
    steps, the mean of the rates evaluated inside ``(t - step, t]`` times ``step`` (the
    range ends 1ms short so a range includes one edge only, on Prometheus 2 and 3 alike).

    >>> recorded_query("slo:sli_total:rate5m", "checkout-availability", 60)
    'sum(slo:sli_total:rate5m{sloscope_id="checkout-availability"}) * 60'
    """
    selector = str(Selector(metric, (Matcher(conventions.LABEL_ID, "=", slo_id),)))
    if step <= RULE_WINDOW_SECONDS:
        return f"sum({selector}) * {step}"
    return f"sum(avg_over_time({selector}[{step * 1000 - 1}ms])) * {step}"


def recorded_batch_query(metric: str, slo_ids: list[str], step: int) -> str:
    """:func:`recorded_query` for many SLOs in one query, one series per ``sloscope_id``.

    >>> recorded_batch_query("slo:sli_total:rate5m", ["b", "a"], 60)
    'sum by (sloscope_id) (slo:sli_total:rate5m{sloscope_id=~"a|b"}) * 60'
    """
    pattern = "|".join(re.escape(i) for i in sorted(set(slo_ids)))
    selector = str(Selector(metric, (Matcher(conventions.LABEL_ID, "=~", pattern),)))
    by = f"sum by ({conventions.LABEL_ID})"
    if step <= RULE_WINDOW_SECONDS:
        return f"{by} ({selector}) * {step}"
    return f"{by} (avg_over_time({selector}[{step * 1000 - 1}ms])) * {step}"


def recorded_ids_query(slo_ids: list[str], first: int, last: int) -> str:
    """Which SLO ids have recorded totals both at ``first`` and at ``last`` (an instant
    query evaluated at ``last``; the result's ``sloscope_id`` labels are the ids, the
    values how many recorded series each has).
    """
    pattern = "|".join(re.escape(i) for i in sorted(set(slo_ids)))
    selector = str(
        Selector(
            conventions.total_rate(RULE_WINDOW_SECONDS),
            (Matcher(conventions.LABEL_ID, "=~", pattern),),
        )
    )
    now = f"count by ({conventions.LABEL_ID}) ({selector})"
    if last <= first:
        return now
    # Rules that started recording inside the range cannot answer for its beginning.
    return f"{now} and count by ({conventions.LABEL_ID}) ({selector} offset {last - first}s)"


def with_window(expr: str, step: int) -> str:
    """A promql SLI expression with ``{{window}}`` replaced by the step (``60s``)."""
    return _WINDOW.sub(f"{step}s", expr)
