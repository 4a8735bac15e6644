"""The engine's entry points: one SLO's status at a time, and its alerts along a range.

:func:`evaluate_slo` is what the report, the gate and the alert loop call: per-step
counts in, an :class:`SLOStatus` out. :func:`needed_span` says beforehand which counts
that evaluation reads, so the orchestrator fetches exactly those. :func:`evaluate_range`
gives the burn rates and alert conditions at every step of a range, for backtests.

Data the caller passes: per-step ``good`` and ``total`` on the grid of
:class:`~sloscope.sources.base.CountSeries` (step ``i`` covers
``(start + i*step, start + (i+1)*step]``), covering the :func:`needed_span` when it
can. Less is normal at the start of a store's life and never an error: steps missing
before the data count as no events, and :attr:`SLOStatus.coverage` says which share of
the SLO window the data covered, so a report can flag a young SLO.

The older part of the SLO window may come coarse, as a
:class:`~sloscope.engine.counts.History` ending where the per-step counts start (what
:func:`needed_span` allows: every lookback inside the fine part): the figures are the
same, and memory per SLO no longer grows with its window at the fine step.

A :class:`~sloscope.spec.model.TimeslicesSLI` is turned into slice counts first
(:mod:`sloscope.engine.timeslices`, slices ending at ``at``); every figure is then one of
slices (``unit == "slices"``), and lookbacks shorter than a slice mostly hold none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from sloscope.engine import budget as budget_math
from sloscope.engine.burn import (
    AlertCondition,
    AlertThreshold,
    alert_thresholds,
    burn_matrix,
    firing_conditions,
    guard_counts,
)
from sloscope.engine.calendar import window_length, window_start
from sloscope.engine.counts import (
    Cumulative,
    FloatArray,
    History,
    check_counts,
    cumulative,
    lookback_steps,
)
from sloscope.engine.forecast import exhaustion_seconds
from sloscope.engine.timeslices import to_timeslices
from sloscope.engine.windows import DEFAULT_LOOKBACKS, AlertPolicy, AlertSeverity, TrafficGuard
from sloscope.errors import EvaluationError
from sloscope.spec.model import SLO, TimeslicesSLI

Unit = Literal["events", "slices"]


class FiringAlert(NamedTuple):
    """An alert row of the SLO's policy that fires at the evaluation time."""

    severity: AlertSeverity
    long_seconds: int
    short_seconds: int
    factor: float
    long_burn: float
    short_burn: float


class SLOStatus(NamedTuple):
    """One SLO evaluated at one time. Every figure without events is ``None``, never 0.

    ``window_start``/``at``: the SLO window ``(window_start, at]`` (Unix seconds).
    ``coverage``: the share of that window the data covered, 0-1 (1 once the store holds
    a full window). ``good``/``total``: events (or slices) in the window; ``None`` when the
    data does not reach into the window at all, 0.0 when it does and nothing happened.
    ``sli``, ``consumed``, ``remaining``: see :mod:`sloscope.engine.budget`; ``None``
    without events; ``remaining`` is negative when the budget is overspent.
    ``excess_good``: good events beyond total in the window (0 when consistent).
    ``burn_rates``: the burn over each requested lookback (seconds) ending at ``at``.
    ``alert_rows``: every row of the policy with its factor for this SLO's window.
    ``alerts``: the rows firing at ``at``. ``unreachable_alerts``: rows no data can fire
    (factor at or above the SLO's highest burn rate). All three are empty when the SLO's
    alerting is disabled.
    ``exhaustion_seconds``: seconds until the budget is spent at the burn over
    ``forecast_lookback`` (see :mod:`sloscope.engine.forecast`), 0 when spent, ``None``
    without events or burn. ``error_budget``: ``1 - objective``. ``unit``: ``events`` or
    ``slices`` (time-slice SLIs).
    """

    at: int
    window_start: int
    coverage: float
    good: float | None
    total: float | None
    sli: float | None
    consumed: float | None
    remaining: float | None
    excess_good: float
    burn_rates: Mapping[int, float | None]
    alert_rows: tuple[AlertThreshold, ...]
    alerts: tuple[FiringAlert, ...]
    unreachable_alerts: tuple[AlertThreshold, ...]
    exhaustion_seconds: float | None
    forecast_lookback: int
    error_budget: float
    unit: Unit


def _check_grid(n: int, start: int, step: int, at: int) -> int:
    """The number of steps up to ``at``; ``at`` must be a grid edge within the data."""
    if step <= 0:
        raise EvaluationError(f"step must be positive, got {step}")
    end = start + n * step
    if (at - start) % step:
        raise EvaluationError(
            f"the evaluation time {at} is not a step edge of the data (start {start}, "
            f"step {step}s); evaluate at a multiple of the step"
        )
    if not start <= at <= end:
        raise EvaluationError(
            f"the evaluation time {at} is outside the data's edges {start}..{end}; fetch "
            "counts that end at the evaluation time"
        )
    return (at - start) // step


def _arrays(good: FloatArray, total: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Both counts as float64 arrays, checked before anything is cut or summed."""
    good = np.asarray(good, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    check_counts(good, total)
    return good, total


def _history(history: History | None, slo: SLO) -> History | None:
    """The history as float64 arrays, checked; time slices judge every step, so none."""
    if history is None:
        return None
    if isinstance(slo.sli, TimeslicesSLI):
        raise EvaluationError(
            "a time-slice SLI judges every slice, so its counts cannot come as a coarse "
            "history; fetch them at the evaluation step throughout"
        )
    good, total = _arrays(history.good, history.total)
    return History(start=history.start, step=history.step, good=good, total=total)


def sli_counts(
    slo: SLO, good: FloatArray, total: FloatArray, *, start: int, step: int, end: int
) -> tuple[FloatArray, FloatArray, Unit]:
    """The counts the figures are made of: events, or slices ending at ``end`` for a
    time-slice SLI (the one place that decides which, for every figure of the engine)."""
    if isinstance(slo.sli, TimeslicesSLI):
        good, total = to_timeslices(
            good,
            total,
            start=start,
            step=step,
            slice_seconds=slo.sli.slice_seconds,
            target=slo.sli.target,
            end=end,
        )
        return good, total, "slices"
    return good, total, "events"


def _lookbacks(requested: Sequence[int], thresholds: Sequence[AlertThreshold]) -> list[int]:
    wanted = set(requested)
    wanted.update(s for t in thresholds for s in (t.long_seconds, t.short_seconds))
    return sorted(wanted)


def forecast_lookback(policy: AlertPolicy, slo_window_seconds: int) -> int:
    """The lookback whose burn rate forecasts budget exhaustion.

    The longest long window of the policy that fits in the SLO window (3d for the SRE
    workbook table and a 28d SLO): long enough not to swing with every blip, short
    enough to follow the present. When none fits, the policy's shortest long window.
    """
    longs = sorted({w.long_seconds for w in policy.windows})
    fitting = [s for s in longs if s <= slo_window_seconds]
    return fitting[-1] if fitting else longs[0]


class Span(NamedTuple):
    """The counts an evaluation at ``end`` reads: the steps of ``(begin, end]``.

    Every sum the evaluation takes (the SLO window, each lookback) lies in that range;
    the ones over ``(fine_since, end]`` (the lookbacks) may start at any step, while the
    older part is only summed from the window's start, so a source may answer it at a
    coarser step (see :mod:`sloscope.sources.plan`). ``begin`` and ``fine_since`` are
    edges of the ``step`` grid that ends at ``end``.

    ``edges`` are the times every sum of a status starts at (each lookback's start and
    the window's), then ``end``: a status reads the counts only through sums between
    them, so a source may send each span between two edges as one sum (a range replay
    or a chart needs every step, and does not pass them on).
    """

    begin: int
    fine_since: int
    end: int
    step: int
    edges: tuple[int, ...] = ()


def needed_span(
    slo: SLO,
    at: int,
    *,
    step: int,
    policy: AlertPolicy,
    lookbacks: Sequence[int] = DEFAULT_LOOKBACKS,
) -> Span:
    """The :class:`Span` of counts :func:`evaluate_slo` reads for ``slo`` at ``at``.

    Pass the ``policy`` and ``lookbacks`` the evaluation will get: the longest of the
    lookbacks, the policy's alert windows (when the SLO alerts) and the forecast lookback
    must be at full resolution, and the SLO window reaches back to its start. Raises
    :class:`EvaluationError` when ``step`` does not divide one of those lookbacks, as
    :func:`evaluate_slo` would.
    """
    if step <= 0:
        raise EvaluationError(f"step must be positive, got {step}")
    every = _every_lookback(slo, policy, lookbacks)
    for seconds in every:
        lookback_steps(seconds, step)
    fine_since = at - every[-1]
    earliest = min(window_start(slo.window, at), fine_since)
    begin = at - -(-(at - earliest) // step) * step  # rounded down to a step edge
    edges = {at - seconds for seconds in every} | {window_start(slo.window, at), at}
    return Span(begin=begin, fine_since=fine_since, end=at, step=step, edges=tuple(sorted(edges)))


def _every_lookback(slo: SLO, policy: AlertPolicy, lookbacks: Sequence[int]) -> list[int]:
    """Every lookback an evaluation of ``slo`` sums over, shortest first."""
    nominal = slo.window.nominal_seconds
    thresholds = alert_thresholds(policy, nominal) if slo.alerting.enabled else ()
    return _lookbacks([*lookbacks, forecast_lookback(policy, nominal)], thresholds)


def _check_fine_enough(history: History | None, earliest: int, start: int) -> None:
    """Every lookback must lie in the per-step counts when the older part is coarse."""
    if history is not None and earliest < start:
        raise EvaluationError(
            f"a lookback reaches back to {earliest}, into the coarse history before "
            f"{start}; fetch per-step counts from the longest lookback on (needed_span)"
        )


def _coverage(window_first: int, at: int, data_start: int) -> float:
    """Share of ``(window_first, at]`` that data starting at ``data_start`` covers."""
    span = at - window_first
    return min(max(at - max(window_first, data_start), 0) / span, 1.0)


def _counts_enough(bad: float, total: float, guard: TrafficGuard) -> bool:
    """Whether one window's counts pass the low-traffic guard (see ``guard_counts``)."""
    return total >= guard.min_total and bad >= guard.min_bad


def _firing_at(
    thresholds: Sequence[AlertThreshold],
    burn: Mapping[int, float | None],
    counted: Mapping[int, bool],
) -> tuple[FiringAlert, ...]:
    """The rows firing at one time: both burns strictly above the factor, both windows counted.

    Strictly above, as the Prometheus rules compare; no burn (no events) never fires.
    """
    firing = []
    for t in thresholds:
        long_burn, short_burn = burn[t.long_seconds], burn[t.short_seconds]
        if long_burn is None or short_burn is None:
            continue
        if (
            min(long_burn, short_burn) > t.factor
            and counted[t.long_seconds]
            and counted[t.short_seconds]
        ):
            firing.append(
                FiringAlert(
                    t.severity, t.long_seconds, t.short_seconds, t.factor, long_burn, short_burn
                )
            )
    return tuple(firing)


def evaluate_slo(
    slo: SLO,
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    at: int,
    policy: AlertPolicy,
    lookbacks: Sequence[int] = DEFAULT_LOOKBACKS,
    history: History | None = None,
) -> SLOStatus:
    """The status of ``slo`` at ``at`` from per-step counts (see the module docstring).

    ``good``/``total`` are per-step counts on the grid starting at ``start`` with ``step``;
    steps after ``at`` are ignored. ``history``, when given, holds the coarse counts before
    ``start`` (see the module docstring); every lookback must then lie after ``start``.
    ``policy`` is the SLO's alert policy; its factors come from the SLO window's nominal
    length, and its low-traffic guard holds back a row whose windows hold too few events
    (events only; not slices). Raises :class:`EvaluationError` when ``at`` is not a grid
    edge inside the data, when a lookback or alert window is not a whole number of steps
    or reaches into the history, or when counts are negative or NaN. Data shorter than
    the window is no error: see :attr:`SLOStatus.coverage`.
    """
    good, total = _arrays(good, total)
    history = _history(history, slo)
    n = _check_grid(len(total), start, step, at)
    good, total, unit = sli_counts(slo, good[:n], total[:n], start=start, step=step, end=at)
    cum = cumulative(good, total, start=start, step=step, check=False, history=history)
    objective = slo.objective
    nominal = slo.window.nominal_seconds
    thresholds = alert_thresholds(policy, nominal) if slo.alerting.enabled else ()
    forecast_seconds = forecast_lookback(policy, nominal)
    every = _lookbacks([*lookbacks, forecast_seconds], thresholds)
    for seconds in every:
        lookback_steps(seconds, step)
    _check_fine_enough(history, at - every[-1], start)
    # O(1) per lookback: two differences of the cumulative sums, taken once.
    sums = {s: cum.bad_total(at - s, at) for s in every}
    burn = {s: budget_math.budget_spent(*sums[s], objective) for s in every}

    first = window_start(slo.window, at)
    coverage = _coverage(first, at, cum.origin)
    good_sum: float | None = None
    total_sum: float | None = None
    sli = consumed = remaining = None
    excess = 0.0
    if coverage > 0:
        bad_sum, total_sum = cum.bad_total(first, at)
        good_sum = total_sum - bad_sum
        sli = budget_math.sli(good_sum, total_sum)
        consumed = budget_math.budget_spent(bad_sum, total_sum, objective)
        remaining = None if consumed is None else 1.0 - consumed
        excess = max(-bad_sum, 0.0)

    # The low-traffic guard counts events; a time-slice SLI's counts are slices.
    guard = policy.guard if policy.guard is not None and unit == "events" else TrafficGuard()
    counted = {s: _counts_enough(*sums[s], guard) for s in every}
    firing = _firing_at(thresholds, burn, counted)

    return SLOStatus(
        at=at,
        window_start=first,
        coverage=coverage,
        good=good_sum,
        total=total_sum,
        sli=sli,
        consumed=consumed,
        remaining=remaining,
        excess_good=excess,
        burn_rates={s: burn[s] for s in sorted(set(lookbacks))},
        alert_rows=thresholds,
        alerts=firing,
        unreachable_alerts=tuple(t for t in thresholds if not t.can_fire(objective)),
        exhaustion_seconds=exhaustion_seconds(
            remaining, burn[forecast_seconds], window_length(slo.window, at)
        ),
        forecast_lookback=forecast_seconds,
        error_budget=budget_math.error_budget(objective),
        unit=unit,
    )


class RangeEvaluation(NamedTuple):
    """Burn rates and alert conditions of one SLO at every step of a range.

    ``timestamps[i]`` is the evaluation time of column ``i`` (a step's right edge);
    ``burn[j, i]`` the burn over ``lookbacks[j]`` seconds there (NaN without events);
    ``conditions`` one firing array per alert row of the policy (none when the SLO's
    alerting is disabled). ``counts`` are the cumulative sums of the whole grid, history
    included (slices for time-slice SLIs), for sums over any span such as an alert's.
    """

    timestamps: NDArray[np.int64]
    lookbacks: tuple[int, ...]
    burn: FloatArray
    conditions: tuple[AlertCondition, ...]
    counts: Cumulative
    unit: Unit

    def burn_rates(self, lookback: int) -> FloatArray:
        """The row of ``burn`` for one lookback (seconds); KeyError when not computed."""
        try:
            row: FloatArray = self.burn[self.lookbacks.index(lookback)]
        except ValueError:
            raise KeyError(f"no {lookback}s lookback; computed: {self.lookbacks}") from None
        return row


def evaluate_range(
    slo: SLO,
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    policy: AlertPolicy,
    lookbacks: Sequence[int] = DEFAULT_LOOKBACKS,
    range_start: int | None = None,
    history: History | None = None,
) -> RangeEvaluation:
    """Burn rates of every lookback (and the policy's windows) and alert conditions at every step.

    Evaluates the steps whose right edges lie in ``(range_start, end]`` (``range_start``
    a grid edge, default ``start``); the steps before serve as history, so a backtest
    fetches its longest lookback before its range. Vectorised: a few array operations
    per lookback and alert row, however many steps; the policy's low-traffic guard is
    two more rolling sums per alert window (events only; not slices). Time slices, when
    the SLI has them, end at the grid's end. ``history`` (coarse counts before ``start``,
    see :func:`evaluate_slo`) joins :attr:`RangeEvaluation.counts`, so a replay can sum
    an SLO window without its per-step counts; every lookback of the range must then lie
    after ``start``. Raises :class:`EvaluationError` like :func:`evaluate_slo`.
    """
    good, total = _arrays(good, total)
    history = _history(history, slo)
    n = len(total)
    end = start + n * step
    if range_start is None:
        range_start = start
    first = _check_grid(n, start, step, range_start)
    good, total, unit = sli_counts(slo, good, total, start=start, step=step, end=end)
    cum = cumulative(good, total, start=start, step=step, check=False, history=history)
    thresholds = (
        alert_thresholds(policy, slo.window.nominal_seconds) if slo.alerting.enabled else ()
    )
    every = tuple(_lookbacks(lookbacks, thresholds))
    _check_fine_enough(history, range_start - max(every), start)
    burn = burn_matrix(cum, every, slo.objective, first=cum.coarse_steps + first)
    guard = policy.guard or TrafficGuard()
    counted = None
    # The low-traffic guard counts events; a time-slice SLI's counts are slices.
    if guard.active and thresholds and unit == "events":
        windows = {s for t in thresholds for s in (t.long_seconds, t.short_seconds)}
        counted = {s: guard_counts(cum, s, guard, first=cum.coarse_steps + first) for s in windows}
    return RangeEvaluation(
        timestamps=cum.timestamps[cum.coarse_steps + first :],
        lookbacks=every,
        burn=burn,
        conditions=firing_conditions(burn, every, thresholds, counted),
        counts=cum,
        unit=unit,
    )
