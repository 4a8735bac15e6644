"""Planning a fetch from Prometheus: which count queries give each SLI's good and total.

The first phase of :meth:`~sloscope.sources.prometheus.source.PrometheusSource.fetch`.
An SLI reads either the generated recording rules of its SLO (:func:`recorded_plan`) or
its raw series (:func:`raw_plan`), whose selectors were looked up first with the series
API (:func:`lookups`: how many series match, which ``le`` boundaries a histogram has).
A plan names its queries by their PromQL text, so SLIs that count the same series share
one query.

SLIs: ratio (good, or total - bad), latency (the ``_bucket`` whose ``le`` is the
threshold as a number; total the ``_count``, or the ``le="+Inf"`` buckets without one;
every histogram the series API names for the range must have that bucket, see
:mod:`sloscope.sources.histograms`), promql (``{{window}}`` becomes the step; each
expression must give one series of event counts; ``error_ratio`` alone cannot give
counts), timeslices (its indicator's counts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sloscope import conventions
from sloscope.errors import UnsupportedSLIError
from sloscope.sources.histograms import (
    check_threshold_buckets,
    histogram_key,
    require_threshold_bucket,
)
from sloscope.sources.prometheus.api import Labels
from sloscope.sources.prometheus.queries import (
    RULE_WINDOW_SECONDS,
    bucket_selector,
    recorded_query,
    step_increase_query,
    with_window,
)
from sloscope.spec.buckets import same_boundary
from sloscope.spec.model import SLI, LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Selector

#: The recorded rates an SLO's plan reads when its rules cover the range.
ERROR_RATE = conventions.error_rate(RULE_WINDOW_SECONDS)
TOTAL_RATE = conventions.total_rate(RULE_WINDOW_SECONDS)

_LabelKey = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class QueryPlan:
    """How one SLI's counts are queried: ``part`` is good, or bad when ``subtract``.

    ``part`` and ``total`` are None when there is no data to query; ``series`` is how
    many series matched (-1: count the series the total query returns, for promql);
    ``recorded`` is the SLO id whose recorded rates are read; ``selectors`` the
    (part, total) series selectors whose per-step increases ``part`` and ``total`` sum
    (raw series plans), which the source may read as instant values instead
    (:mod:`~sloscope.sources.prometheus.levels`).
    """

    part: str | None
    total: str | None
    subtract: bool
    series: int
    note: str
    recorded: str | None = None
    selectors: tuple[Selector, Selector] | None = None


#: The plan of an SLI whose selectors match nothing: no data, so figures are null.
NO_DATA = QueryPlan(None, None, False, 0, "raw series")


def indicator(sli: SLI) -> RatioSLI | LatencySLI | PromQLSLI:
    """The SLI whose events are counted (a timeslices SLI counts its indicator's)."""
    return sli.indicator if isinstance(sli, TimeslicesSLI) else sli


def lookups(sli: SLI) -> list[Selector]:
    """Selectors whose series the plan of ``sli`` needs to know."""
    inner = indicator(sli)
    if isinstance(inner, RatioSLI):
        return [_ratio_part(inner), inner.total]
    if isinstance(inner, LatencySLI):
        return [inner.bucket_selector, inner.count_selector]
    return []


def raw_plan(
    sli: SLI, found: Mapping[Selector, list[Labels]], step: int, by: tuple[str, ...] = ()
) -> QueryPlan:
    """The plan of an SLI read from its raw series; ``found`` answers :func:`lookups`.

    ``by``: a grouped SLO's labels; each query then gives one series per group.
    """
    inner = indicator(sli)
    if isinstance(inner, RatioSLI):
        return _ratio_plan(inner, found, step, by)
    if isinstance(inner, LatencySLI):
        return _latency_plan(inner, found, step, by)
    return _promql_plan(inner, step, by)


def recorded_plan(slo_id: str, series: int, step: int) -> QueryPlan:
    """The plan of an SLO read from its recorded rates (``series`` of them matched)."""
    error, total = ERROR_RATE, TOTAL_RATE
    return QueryPlan(
        recorded_query(error, slo_id, step),
        recorded_query(total, slo_id, step),
        True,
        max(series, 1),
        f'recording rules {error}, {total} {{{conventions.LABEL_ID}="{slo_id}"}}',
        recorded=slo_id,
    )


def _ratio_part(sli: RatioSLI) -> Selector:
    part = sli.good if sli.good is not None else sli.bad
    assert part is not None  # RatioSLI guarantees exactly one
    return part


def _key(labels: Labels) -> _LabelKey:
    return frozenset(labels.items())


def _ratio_plan(
    sli: RatioSLI, found: Mapping[Selector, list[Labels]], step: int, by: tuple[str, ...]
) -> QueryPlan:
    part = _ratio_part(sli)
    total_series = {_key(s) for s in found[sli.total]}
    if not total_series:
        return NO_DATA
    return QueryPlan(
        step_increase_query(part, step, by),
        step_increase_query(sli.total, step, by),
        sli.bad is not None,
        len({_key(s) for s in found[part]} | total_series),
        "raw series",
        selectors=(part, sli.total),
    )


def _latency_plan(
    sli: LatencySLI, found: Mapping[Selector, list[Labels]], step: int, by: tuple[str, ...]
) -> QueryPlan:
    buckets = found[sli.bucket_selector]
    if not buckets:
        # No histogram at all: no data (a _count alone cannot say what was fast).
        return NO_DATA
    require_threshold_bucket(sli.bucket_selector, sli.threshold, (s.get("le", "") for s in buckets))
    total, count_series = sli.count_selector, found[sli.count_selector]
    if not count_series:
        total = bucket_selector(sli.bucket_selector, math.inf)
        count_series = _inf_buckets(buckets)
    # The series API answered for the fetched range: each histogram with samples in it
    # is judged, before any count query is sent.
    check_threshold_buckets(
        sli.metric,
        sli.threshold,
        ((histogram_key(s.items()), s.get("le", "")) for s in buckets),
        (histogram_key(s.items()) for s in count_series),
    )
    within = bucket_selector(sli.bucket_selector, sli.threshold)
    return QueryPlan(
        step_increase_query(within, step, by),
        step_increase_query(total, step, by),
        False,
        len(_at(buckets, sli.threshold) | {_key(s) for s in count_series}),
        "raw series",
        selectors=(within, total),
    )


def _inf_buckets(buckets: list[Labels]) -> list[Labels]:
    """The ``+Inf`` buckets: all requests, for histograms without ``_count``."""
    return [s for s in buckets if same_boundary(s.get("le", ""), math.inf)]


def _at(buckets: list[Labels], threshold: float) -> set[_LabelKey]:
    """The buckets at ``threshold``: the requests within it."""
    return {_key(s) for s in buckets if same_boundary(s.get("le", ""), threshold)}


def _promql_plan(sli: PromQLSLI, step: int, by: tuple[str, ...]) -> QueryPlan:
    part = sli.good if sli.good is not None else sli.bad
    if sli.total is None or part is None:
        raise UnsupportedSLIError(
            "a promql SLI with only error_ratio gives no event counts, which budgets and "
            "burn rates are made of (hint: write total: and good: or bad: expressions that "
            "count events over {{window}}, e.g. sum(increase(x[{{window}}])), or load the "
            "generated recording rules so the SLO is read from them)"
        )
    aggregate = f"sum by ({', '.join(by)}) " if by else ""
    return QueryPlan(
        f"{aggregate}({with_window(part, step)})" if by else with_window(part, step),
        f"{aggregate}({with_window(sli.total, step)})" if by else with_window(sli.total, step),
        sli.good is None,
        -1,
        f"promql at {step}s",
    )
