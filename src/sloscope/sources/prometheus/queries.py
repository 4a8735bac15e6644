"""PromQL that counts an SLI's events per step, exactly as the embedded store does.

Pure text compilation, no I/O: :mod:`sloscope.sources.prometheus.source` sends these
queries.

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
:func:`bucket_selector` adds the matcher of :mod:`sloscope.spec.buckets`, which matches
every spelling (``0.3``, ``0.30``, ``.3``, ``3e-01``) as the embedded source and the
generated rules do. Which histograms must have that bucket is judged by
:mod:`sloscope.sources.histograms`, shared by both sources.

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

import re
from collections.abc import Sequence

from sloscope import conventions
from sloscope.spec.buckets import le_matcher
from sloscope.spec.selectors import Matcher, Selector

#: The window of the recorded rates this source reads (``slo:sli_error:rate5m``).
RULE_WINDOW_SECONDS = 300

#: ``{{window}}`` in a promql SLI, with optional spaces inside the braces.
_WINDOW = re.compile(r"\{\{\s*window\s*\}\}")


def step_increase_query(selector: Selector, step: int, by: tuple[str, ...] = ()) -> str:
    """The summed increase of ``selector``'s series over each ``(t - step, t]`` (one
    series per group of a grouped SLO when ``by``: ``sum by (route) (...)``).

    >>> from sloscope.spec.selectors import parse_selector
    >>> step_increase_query(parse_selector("req_total"), 60)
    'sum((req_total - req_total offset 60s) >= 0 or (req_total < req_total offset 60s))'
    """
    current = str(selector)
    previous = f"{current} offset {step}s"
    # Both sides of "or" are disjoint (a difference is either >= 0 or a reset), and "or"
    # matches label sets without the metric name, so no series is counted twice.
    aggregate = f"sum by ({', '.join(by)}) " if by else "sum"
    return f"{aggregate}(({current} - {previous}) >= 0 or ({current} < {previous}))"


def union_selector(selectors: Sequence[Selector]) -> Selector | None:
    """One selector matching every series of ``selectors`` (all on one metric), so that
    a single query reads them all; None when they do not share a metric.

    It keeps the matchers every selector has, and when every selector has an ``=``
    matcher on one label that they do not share, a regex of those values. It may match
    more series than the selectors: the caller compares how many.

    >>> from sloscope.spec.selectors import parse_selector
    >>> str(union_selector([parse_selector('r{job="a", code="500"}'),
    ...                     parse_selector('r{job="b"}')]))
    'r{job=~"a|b"}'
    """
    metrics = {s.metric for s in selectors}
    if len(metrics) != 1 or not selectors:
        return None
    first, rest = selectors[0], selectors[1:]
    shared = tuple(m for m in first.matchers if all(m in s.matchers for s in rest))
    for matcher in first.matchers:
        if matcher.op == "=" and matcher not in shared:
            either = _either_value(selectors, matcher.label)
            if either is not None:
                return Selector(first.metric, (*shared, either))
    return Selector(first.metric, shared)


def _either_value(selectors: Sequence[Selector], label: str) -> Matcher | None:
    """A regex matcher for the values ``=`` matchers on ``label`` require, when every
    selector has one."""
    values = [_equal_value(s, label) for s in selectors]
    known = {v for v in values if v is not None}
    if len(known) < len(set(values)):
        return None
    return Matcher(label, "=~", "|".join(re.escape(v) for v in sorted(known)))


def _equal_value(selector: Selector, label: str) -> str | None:
    """The value an ``=`` matcher of ``selector`` requires of ``label``, if it has one."""
    return next((m.value for m in selector.matchers if m.label == label and m.op == "="), None)


def edge_check_queries(
    selector: Selector, first: int, last: int, step: int
) -> tuple[int, list[str]]:
    """Instant queries, and the time to send them at, that read every series of
    ``selector`` at each step edge ``first, first + step ... last`` and give, per series,
    how many of those edges have a value, how many times the value drops from one edge
    to the next (``resets``), and the sum of their fractional parts (``x % 1``): for
    values that never drop from a first one of at least 0, 0 when every value is a whole
    number, NaN when one is NaN or infinite. (``abs`` would allow any values, but a
    second operator per point costs Prometheus twice the CPU.)

    A subquery evaluates at multiples of its step, so the selector is read ``δ`` later
    (``offset -δs``) and the queries sent ``δ`` early, ``δ`` being how far the edges are
    off those multiples; the range ends 1ms short so it holds ``first`` and no edge
    before it, on Prometheus 2 and 3 alike.

    >>> from sloscope.spec.selectors import parse_selector
    >>> at, queries = edge_check_queries(parse_selector("r"), 90, 270, 60)
    >>> at, queries[0]
    (240, 'count_over_time((r offset -30s)[239999ms:60s])')
    """
    delta = first % step
    inner = f"{selector} offset -{delta}s" if delta else str(selector)
    window = f"[{(last - first + step) * 1000 - 1}ms:{step}s]"
    return last - delta, [
        f"count_over_time(({inner}){window})",
        f"resets(({inner}){window})",
        f"sum_over_time((({inner}) % 1){window})",
    ]


def bucket_selector(bucket: Selector, threshold: float) -> Selector:
    """The ``_bucket`` selector narrowed to the ``le`` boundary equal to ``threshold``
    (:func:`~sloscope.spec.buckets.le_matcher`; ``math.inf``: the ``+Inf`` buckets, all
    requests, for histograms without ``_count``).
    """
    return bucket.with_matcher(le_matcher(threshold))


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
