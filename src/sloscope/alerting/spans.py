"""Firing conditions along a range → alert spans, vectorised.

The engine says, at every evaluation, whether each alert row of an SLO fires
(:func:`~sloscope.engine.evaluate.evaluate_range`). An alert of one severity is the OR
of that severity's rows, given a lifetime (:class:`Lifetime`):

- *pending*: it fires once its condition has held for ``pending_for`` (Prometheus'
  ``for:``), at ``pending_for / interval + 1`` evaluations in a row;
- *resolve hysteresis*: it resolves ``resolve_after`` after the last evaluation at which
  it would fire (never sooner than the next evaluation), so a condition that flaps off
  and on within ``resolve_after`` stays one alert and pages once.

Both are run lengths computed with ``maximum.accumulate`` over the whole array: no loop
over evaluations. :mod:`sloscope.alerting.state` drives the same lifetime one evaluation
at a time, and the two agree (a test replays one against the other).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sloscope.alerting.model import Alert
from sloscope.engine.burn import BoolArray
from sloscope.engine.counts import Cumulative, FloatArray
from sloscope.engine.evaluate import RangeEvaluation
from sloscope.engine.windows import AlertSeverity
from sloscope.errors import EvaluationError

SEVERITIES: tuple[AlertSeverity, ...] = ("page", "ticket")


@dataclass(frozen=True)
class Lifetime:
    """How an alert's condition becomes an alert: evaluation interval, pending, hysteresis.

    All in seconds; ``pending_for`` and ``resolve_after`` are whole intervals.
    """

    interval: int
    pending_for: int = 0
    resolve_after: int = 0

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise EvaluationError(f"the evaluation interval must be positive, got {self.interval}s")
        for name, value in (
            ("pending_for", self.pending_for),
            ("resolve_after", self.resolve_after),
        ):
            if value < 0 or value % self.interval:
                raise EvaluationError(
                    f"{name} ({value}s) must be a whole number of evaluation intervals "
                    f"({self.interval}s)"
                )

    @property
    def pending_steps(self) -> int:
        """Evaluations in a row the condition must hold before the alert fires."""
        return self.pending_for // self.interval + 1

    @property
    def hold_steps(self) -> int:
        """Evaluations an alert keeps firing after its last firing condition, itself included."""
        return max(self.resolve_after, self.interval) // self.interval


def sustained(condition: BoolArray, steps: int) -> BoolArray:
    """Where ``condition`` has held at the last ``steps`` evaluations in a row.

    >>> sustained(np.array([True, True, False, True, True, True]), 2).tolist()
    [False, True, False, False, True, True]
    """
    if steps <= 1:
        return condition.copy()
    index = np.arange(len(condition))
    last_false = np.maximum.accumulate(np.where(condition, -1, index))
    held: BoolArray = (index - last_false) >= steps
    return held


def held(condition: BoolArray, steps: int) -> BoolArray:
    """Where ``condition`` held at one of the last ``steps`` evaluations (hysteresis).

    >>> held(np.array([True, False, False, False, True, False]), 2).tolist()
    [True, True, False, False, True, True]
    """
    if steps <= 1:
        return condition.copy()
    index = np.arange(len(condition))
    last_true = np.maximum.accumulate(np.where(condition, index, -steps - 1))
    out: BoolArray = (index - last_true) < steps
    return out


def lifetime_firing(condition: BoolArray, lifetime: Lifetime) -> BoolArray:
    """Where the alert is firing, from where its condition holds (see the module docstring)."""
    return held(sustained(condition, lifetime.pending_steps), lifetime.hold_steps)


def runs(firing: BoolArray) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """First and last index of every run of ``True``, as two arrays."""
    padded = np.concatenate(([False], firing, [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    return changes[0::2], changes[1::2] - 1


@dataclass(frozen=True)
class SLOAlertInput:
    """What :func:`alert_spans` needs of one SLO besides its range evaluation."""

    service: str
    slo: str
    error_budget: float
    window_seconds: int
    labels: tuple[tuple[str, str], ...] = ()


def severity_conditions(evaluation: RangeEvaluation) -> dict[AlertSeverity, BoolArray]:
    """The OR of each severity's alert rows along the range (severities without rows absent)."""
    out: dict[AlertSeverity, BoolArray] = {}
    for condition in evaluation.conditions:
        if condition.threshold.severity in out:
            out[condition.threshold.severity] = out[condition.threshold.severity] | condition.firing
        else:
            out[condition.threshold.severity] = condition.firing.copy()
    return out


def peak_burn(evaluation: RangeEvaluation, severity: AlertSeverity) -> FloatArray:
    """The highest long-window burn of a severity's rows at every evaluation (NaN: none)."""
    longs = sorted(
        {
            c.threshold.long_seconds
            for c in evaluation.conditions
            if c.threshold.severity == severity
        }
    )
    rows = np.vstack([evaluation.burn_rates(s) for s in longs])
    with np.errstate(invalid="ignore"):
        peak: FloatArray = np.fmax.reduce(rows, axis=0)
    return peak


def alert_spans(
    firing: BoolArray,
    timestamps: NDArray[np.int64],
    *,
    burn: FloatArray,
    counts: Cumulative,
    target: SLOAlertInput,
    severity: AlertSeverity,
    lifetime: Lifetime,
) -> list[Alert]:
    """Alerts (one per run of ``firing``) with their peak burn and budget consumed.

    ``firing``, ``timestamps`` and ``burn`` are aligned, one value per evaluation.
    ``counts`` are the cumulative sums the burn came from. The budget consumed by an
    alert is its bad events from the evaluation before it fired to its last firing one,
    over the budget of the SLO window ending there. A run reaching the last evaluation is
    ``open``.
    """
    starts, stops = runs(firing)
    if not len(starts):
        return []
    first, last = timestamps[starts], timestamps[stops]

    def cum_at(cum: FloatArray, times: NDArray[np.int64]) -> FloatArray:
        """Cumulative sums up to each time (steps whose right edge is at or before it)."""
        index = np.clip((times - counts.start) // counts.step, 0, counts.steps)
        picked: FloatArray = cum[index]
        return picked

    bad = cum_at(counts.bad, last) - cum_at(counts.bad, first - lifetime.interval)
    window_total = cum_at(counts.total, last) - cum_at(counts.total, last - target.window_seconds)
    # The peak of each run: NaN outside the runs, so each reduceat segment sees only its own.
    with np.errstate(invalid="ignore"):
        peaks = np.fmax.reduceat(np.where(firing, burn, np.nan), starts)
    labels = dict(target.labels)
    alerts = []
    for k in range(len(starts)):
        total = float(window_total[k])
        consumed = max(float(bad[k]), 0.0) / (total * target.error_budget) if total > 0 else None
        peak = float(peaks[k])
        alerts.append(
            Alert(
                service=target.service,
                slo=target.slo,
                severity=severity,
                start=int(first[k]),
                last=int(last[k]),
                interval=lifetime.interval,
                peak_burn_rate=None if np.isnan(peak) else peak,
                budget_consumed=consumed,
                open=bool(stops[k] == len(firing) - 1),
                labels=labels,
            )
        )
    return alerts


def evaluation_columns(timestamps: NDArray[np.int64], interval: int) -> NDArray[np.intp]:
    """Indexes of the grid columns that are evaluation times (multiples of ``interval``)."""
    return np.flatnonzero(timestamps % interval == 0)


def range_alerts(
    evaluation: RangeEvaluation,
    target: SLOAlertInput,
    lifetime: Lifetime,
    *,
    excluded: BoolArray | None = None,
    severities: Sequence[AlertSeverity] = SEVERITIES,
) -> list[Alert]:
    """Every alert of one SLO along a range evaluation, page and ticket, in time order.

    Evaluations fall on multiples of ``lifetime.interval``. ``excluded`` (aligned with
    the evaluation's columns) marks steps a budget adjustment excludes: nothing fires
    there.
    """
    columns = evaluation_columns(evaluation.timestamps, lifetime.interval)
    times = evaluation.timestamps[columns]
    found: list[Alert] = []
    for severity, condition in severity_conditions(evaluation).items():
        if severity not in severities:
            continue
        allowed = condition if excluded is None else condition & ~excluded
        firing = lifetime_firing(allowed[columns], lifetime)
        found += alert_spans(
            firing,
            times,
            burn=peak_burn(evaluation, severity)[columns],
            counts=evaluation.counts,
            target=target,
            severity=severity,
            lifetime=lifetime,
        )
    return sorted(found, key=lambda a: (a.start, a.severity))
