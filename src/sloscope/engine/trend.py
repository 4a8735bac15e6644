"""The trend beside the instant: how the budget was spent over the window, and the last day.

Two series per SLO, for sparklines and charts, from the same per-step counts
:func:`~sloscope.engine.evaluate.evaluate_slo` reads:

- **Budget burndown.** At ``points`` times evenly spaced over the SLO window
  ``(window_start, at]``, the share of the window's budget left after the bad events
  *since the window began*::

      remaining(t) = 1 - bad(window_start, t] / (total(window_start, at] * (1 - objective))

  It starts near 100% and ends exactly at the status's ``remaining`` (the same
  operations, so the last point equals it bitwise). It never goes up: a cliff marks
  when an incident spent the budget. The denominator is the whole window's events, as
  the budget is; a rolling window's budget at an earlier time would need the window
  before this one, which a report does not fetch.
- **SLI since the window began**, at the same times: the good share of the events from
  the window's start up to each time, ending at the status's SLI.
- **Burn over the last day.** The burn rate of each ``bucket_seconds`` interval (1h by
  default, rounded up to whole steps) of the day ending at ``at``, oldest first; NaN for
  an interval without events.

Older history may arrive coarse (one count per hour placed on the fine grid, see
``sources/plan``); a burndown point inside such an hour shows the budget as of the
hour's end before it, which is all a sparkline needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sloscope.engine.budget import error_budget
from sloscope.engine.calendar import window_start
from sloscope.engine.counts import Cumulative, FloatArray, check_counts, cumulative
from sloscope.engine.evaluate import sli_counts
from sloscope.errors import EvaluationError
from sloscope.spec.model import SLO

#: The day the burn series covers, and the default length of one of its intervals.
BURN_SPAN = 86_400
BURN_BUCKET = 3_600


@dataclass(frozen=True, eq=False)
class Trend:
    """One SLO's budget burndown over its window and its burn over the last day.

    ``budget_times[i]`` (Unix seconds, ascending, the last one ``at``) is when
    ``budget_remaining[i]`` held (a fraction; below 0 when overspent; NaN when the window
    has no events) and ``sli[i]`` was the SLI of the events since the window began (NaN
    before the first event). ``burn_times[j]`` is the end of the ``burn_seconds`` interval whose
    burn rate is ``burn[j]`` (NaN without events). Compared by identity: it holds arrays.
    """

    budget_times: NDArray[np.int64]
    budget_remaining: FloatArray
    sli: FloatArray
    burn_times: NDArray[np.int64]
    burn: FloatArray
    burn_seconds: int


def _edge_index(cum: Cumulative, times: NDArray[np.int64]) -> NDArray[np.int64]:
    """Vectorised :meth:`Cumulative.index_after`: steps ending at or before each time."""
    edges = (times - cum.start) // cum.step
    clipped: NDArray[np.int64] = np.clip(edges, 0, cum.steps).astype(np.int64)
    return clipped


def _spent(bad: FloatArray, total: FloatArray, budget: float) -> FloatArray:
    """``max(bad, 0) / (total * budget)``, the operations of ``budget_spent``; NaN for 0/0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        spent: FloatArray = np.maximum(bad, 0.0) / (total * budget)
    return spent


def _burndown(
    cum: Cumulative, first: int, at: int, points: int, budget: float
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Times, budget left and SLI since ``first`` at ``points`` times up to ``at``."""
    span = at - first
    offsets = np.arange(1, points + 1, dtype=np.int64) * span // points
    times = first + offsets
    times[-1] = at
    begin = cum.index_after(first)
    idx = _edge_index(cum, times)
    bad = np.maximum(cum.bad[idx] - cum.bad[begin], 0.0)
    totals = cum.total[idx] - cum.total[begin]
    with np.errstate(divide="ignore", invalid="ignore"):
        sli: FloatArray = np.where(totals > 0, 1.0 - bad / totals, np.nan)
    window_total = totals[-1]
    if window_total <= 0:
        return times, np.full(points, np.nan), sli
    remaining: FloatArray = 1.0 - _spent(bad, np.full(points, window_total), budget)
    return times, remaining, sli


def _burn_last_day(
    cum: Cumulative, at: int, bucket: int, budget: float
) -> tuple[NDArray[np.int64], FloatArray]:
    """Burn rate of each ``bucket`` seconds of the day ending at ``at``, oldest first."""
    count = max(BURN_SPAN // bucket, 1)
    edges = at - bucket * np.arange(count, -1, -1, dtype=np.int64)
    idx = _edge_index(cum, edges)
    bad = np.diff(cum.bad[idx])
    total = np.diff(cum.total[idx])
    return edges[1:], _spent(bad, total, budget)


def budget_trend(
    slo: SLO,
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    at: int,
    points: int = 96,
    bucket_seconds: int = BURN_BUCKET,
) -> Trend:
    """The :class:`Trend` of ``slo`` at ``at`` from per-step counts on the grid of ``start``.

    The counts are those :func:`~sloscope.engine.evaluate.evaluate_slo` takes (steps
    after ``at`` ignored; time-slice SLIs become slices ending at ``at``). ``points``
    burndown points (at least 2); burn intervals of ``bucket_seconds`` rounded up to a
    whole number of steps. Vectorised: a few array operations whatever the grid's
    length. Raises :class:`EvaluationError` when ``at`` is not a grid edge within the
    data or the counts are negative or NaN.
    """
    if points < 2:
        raise EvaluationError(f"a trend needs at least 2 points, got {points}")
    if step <= 0:
        raise EvaluationError(f"step must be positive, got {step}")
    n = (at - start) // step
    if (at - start) % step or not 0 <= n <= len(total):
        raise EvaluationError(
            f"the evaluation time {at} is not a step edge inside the data (start {start}, "
            f"step {step}s, {len(total)} steps)"
        )
    good = np.asarray(good, dtype=np.float64)[:n]
    total = np.asarray(total, dtype=np.float64)[:n]
    check_counts(good, total)
    good, total, _ = sli_counts(slo, good, total, start=start, step=step, end=at)
    cum = cumulative(good, total, start=start, step=step, check=False)
    budget = error_budget(slo.objective)
    times, remaining, sli = _burndown(cum, window_start(slo.window, at), at, points, budget)
    bucket = -(-max(bucket_seconds, step) // step) * step
    burn_times, burn = _burn_last_day(cum, at, bucket, budget)
    return Trend(times, remaining, sli, burn_times, burn, bucket)
