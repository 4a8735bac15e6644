"""Burn rates and multi-window multi-burn-rate alert conditions.

The burn rate over a lookback is the error ratio of its events divided by the error
budget (``1 - objective``): at 1 the budget lasts exactly the SLO window, at 14.4 a 30-day
budget loses 2% in one hour. Without events in the lookback there is no burn rate (NaN in
arrays, ``None`` for one value), and NaN compares false, so no alert fires on silence.

An alert row of a policy (:class:`~sloscope.engine.windows.AlertWindow`) fires while the
burn over its long window *and* over its short window are both strictly above its factor,
as the SRE workbook's Prometheus rules (``>``) do. The factor is derived from the SLO's
window (:meth:`AlertWindow.factor`).

Everything here is vectorised: :func:`burn_matrix` gives every lookback at every step in
a handful of array operations per lookback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sloscope.engine.budget import budget_spent, error_budget, max_burn_rate
from sloscope.engine.counts import Cumulative, FloatArray, lookback_steps, rolling_sums
from sloscope.engine.windows import AlertPolicy, AlertSeverity, AlertWindow, TrafficGuard
from sloscope.errors import EvaluationError

BoolArray = NDArray[np.bool_]


def burn_rate(good: float, total: float, objective: float) -> float | None:
    """The burn rate of one window's counts; None without events.

    >>> burn_rate(good=986.0, total=1000.0, objective=0.999)  # 1.4% errors, 0.1% budget
    14.0
    """
    return budget_spent(total - good, total, objective)


def burn_matrix(
    cum: Cumulative, lookbacks: Sequence[int], objective: float, *, first: int = 0
) -> FloatArray:
    """Burn rate over every lookback (seconds) at every step: shape ``(len(lookbacks), n - first)``.

    Row ``j`` column ``i`` is the burn over the ``lookbacks[j]`` seconds ending at the right
    edge of step ``first + i``; NaN where that lookback holds no events. Steps before
    ``first`` serve as history only. Lookbacks reaching before the grid use the steps
    there are. Raises :class:`EvaluationError` when a lookback is not a whole number of
    steps.
    """
    steps = [lookback_steps(seconds, cum.step) for seconds in lookbacks]
    if not 0 <= first <= cum.steps:
        raise EvaluationError(f"the first step {first} is outside the grid of {cum.steps} steps")
    budget = error_budget(objective)
    m = cum.steps - first
    out = np.empty((len(steps), m))
    totals = np.empty(m)
    # bad / (total * budget), the operations of budget_spent, so figures agree bitwise.
    # 0/0 is the "no events" NaN we want; bad is never > 0 where total is 0 (see counts).
    with np.errstate(divide="ignore", invalid="ignore"):
        for row, w in enumerate(steps):
            bad = rolling_sums(cum.bad, w, first=first, out=out[row])
            rolling_sums(cum.total, w, first=first, out=totals)
            if not cum.bad_monotone:
                np.maximum(bad, 0.0, out=bad)
            np.multiply(totals, budget, out=totals)
            np.divide(bad, totals, out=bad)
    return out


class AlertThreshold(NamedTuple):
    """One alert row of a policy with its burn-rate factor for one SLO window."""

    window: AlertWindow
    factor: float

    @property
    def severity(self) -> AlertSeverity:
        """``page`` or ``ticket``."""
        return self.window.severity

    @property
    def long_seconds(self) -> int:
        """The long window (seconds)."""
        return self.window.long_seconds

    @property
    def short_seconds(self) -> int:
        """The short window (seconds)."""
        return self.window.short_seconds

    def can_fire(self, objective: float) -> bool:
        """Whether any data can fire this row: the factor is below the highest burn rate.

        A 90% SLO burns at most 10 (every event bad), so a factor of 14.4 never fires.
        """
        return self.factor < max_burn_rate(objective)


@lru_cache(maxsize=256)
def alert_thresholds(policy: AlertPolicy, slo_window_seconds: int) -> tuple[AlertThreshold, ...]:
    """The rows of ``policy`` with their factors for an SLO window (nominal seconds).

    Remembered: a report of thousands of SLOs asks for the same few policies and windows
    (policies and rows are frozen, so sharing them is safe).
    """
    return tuple(AlertThreshold(w, w.factor(slo_window_seconds)) for w in policy.windows)


class AlertCondition(NamedTuple):
    """Where one alert row fires along a grid: ``firing[i]`` at the right edge of step ``i``."""

    threshold: AlertThreshold
    firing: BoolArray


def guard_counts(
    cum: Cumulative, lookback: int, guard: TrafficGuard, *, first: int = 0
) -> BoolArray:
    """Where a lookback (seconds) holds enough events for ``guard``, from step ``first`` on.

    ``out[i]`` says whether the window ending at the right edge of step ``first + i``
    holds at least ``guard.min_total`` events and ``guard.min_bad`` bad events: two
    rolling sums of the cumulative counts, as :func:`burn_matrix` takes them.
    """
    w = lookback_steps(lookback, cum.step)
    enough = np.greater_equal(rolling_sums(cum.total, w, first=first), guard.min_total)
    if guard.min_bad > 0:
        enough &= np.greater_equal(rolling_sums(cum.bad, w, first=first), guard.min_bad)
    return enough


def firing_conditions(
    burn: FloatArray,
    lookbacks: Sequence[int],
    thresholds: Sequence[AlertThreshold],
    counted: Mapping[int, BoolArray] | None = None,
) -> tuple[AlertCondition, ...]:
    """Firing arrays of alert rows from a :func:`burn_matrix` whose rows are ``lookbacks``.

    A row fires where its long and its short burn are both strictly above its factor.
    ``counted``, when given, maps a lookback to where its window holds enough events
    (:func:`guard_counts`); a row then fires only where both its windows count (the
    low-traffic guard). Raises :class:`EvaluationError` when a row's window is not among
    ``lookbacks``.
    """
    row_of = {seconds: index for index, seconds in enumerate(lookbacks)}
    conditions = []
    for threshold in thresholds:
        try:
            long_row = burn[row_of[threshold.long_seconds]]
            short_row = burn[row_of[threshold.short_seconds]]
        except KeyError as exc:
            raise EvaluationError(
                f"the burn matrix has no {exc.args[0]}s lookback, which the "
                f"{threshold.severity} alert ({threshold.window.long_label}/"
                f"{threshold.window.short_label}) needs; include it in the lookbacks"
            ) from None
        firing = np.greater(long_row, threshold.factor)
        firing &= np.greater(short_row, threshold.factor)
        if counted is not None:
            firing &= counted[threshold.long_seconds]
            firing &= counted[threshold.short_seconds]
        conditions.append(AlertCondition(threshold, firing))
    return tuple(conditions)


def firing_spans(firing: BoolArray, timestamps: NDArray[np.int64]) -> list[tuple[int, int]]:
    """Contiguous runs of ``True`` as ``(first, last)`` firing timestamps, in order.

    Both ends are times at which the condition held (a run of one step gives
    ``(t, t)``); the alert resolves at the next evaluation after ``last``. A run that
    reaches the end of the array is still going on at its last timestamp.

    >>> firing_spans(np.array([False, True, True, False, True]), np.array([60, 120, 180, 240, 300]))
    [(120, 180), (300, 300)]
    """
    if firing.shape != timestamps.shape or firing.ndim != 1:
        raise EvaluationError(
            f"firing and timestamps must be 1-d arrays of one length, got {firing.shape} "
            f"and {timestamps.shape}"
        )
    padded = np.concatenate(([False], firing.astype(np.bool_, copy=False), [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    starts, stops = changes[0::2], changes[1::2] - 1
    return [(int(timestamps[a]), int(timestamps[b])) for a, b in zip(starts, stops, strict=True)]
