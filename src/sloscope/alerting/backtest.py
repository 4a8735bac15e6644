"""Replay a range of stored history through the alert policy and the noise pipeline.

The workspace fetches each SLO's per-step counts once (the range plus the history its
longest window and the alert lifetime need) and hands them over as
:class:`BacktestTarget` objects; :func:`backtest` does the rest without I/O:

1. budget adjustments zero their steps' counts (``excluded``) before the sums;
2. :func:`~sloscope.engine.evaluate.evaluate_range` gives every alert row's firing
   array, low-traffic guard applied, in a few array operations per window;
3. :func:`~sloscope.alerting.spans.range_alerts` turns them into alert spans (pending,
   hysteresis, peak burn, budget consumed);
4. the noise pipeline (:mod:`sloscope.alerting.noise`) folds what would not notify;
5. with incidents, :func:`~sloscope.alerting.quality.score` says how good that was.

With ``compare_static`` the naive policy many teams page on (the 5-minute error ratio
above the error budget: a 5m burn rate above 1) is replayed on the same counts, with no
pending time, hysteresis, guard or pipeline, as teams run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sloscope.alerting.adjustments import zero_excluded
from sloscope.alerting.model import Alert
from sloscope.alerting.noise import Step, run
from sloscope.alerting.quality import Incident, Quality, score
from sloscope.alerting.spans import (
    Lifetime,
    SLOAlertInput,
    alert_spans,
    evaluation_columns,
    range_alerts,
)
from sloscope.engine.burn import BoolArray
from sloscope.engine.evaluate import RangeEvaluation, evaluate_range
from sloscope.engine.windows import AlertPolicy
from sloscope.errors import EvaluationError
from sloscope.sources.base import CountSeries
from sloscope.spec.model import SLO

#: The naive policy's lookback and its burn-rate threshold (error ratio above the budget).
STATIC_LOOKBACK = 300
STATIC_FACTOR = 1.0
WEEK = 7 * 86400


@dataclass(frozen=True)
class BacktestTarget:
    """One SLO to replay: its counts (history included) and what is excluded of them.

    ``excluded`` is aligned with the counts' steps (budget adjustments), or None.
    """

    service: str
    slo: SLO
    counts: CountSeries
    excluded: BoolArray | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def alert_input(self) -> SLOAlertInput:
        """What the span builder needs to know of the SLO."""
        return SLOAlertInput(
            service=self.service,
            slo=self.slo.name,
            error_budget=self.slo.error_budget,
            window_seconds=self.slo.window.nominal_seconds,
            labels=tuple(sorted(self.labels.items())),
        )


@dataclass(frozen=True)
class Replay:
    """What one policy would have done: the notified alerts and how good they were.

    ``alerts`` overlap the range (one that started before it is listed with its real
    start); ``started`` counts those that started in it, the base of
    ``alerts_per_week``. ``spans`` counts alert spans before the noise pipeline.
    """

    policy: str
    alerts: tuple[Alert, ...]
    started: int
    alerts_per_week: float
    spans: int
    quality: Quality | None


@dataclass(frozen=True)
class BacktestResult:
    """A backtest over ``(start, end]`` at ``interval``: one replay per policy compared."""

    start: int
    end: int
    interval: int
    replays: tuple[Replay, ...]
    static: Replay | None = None
    incidents: tuple[Incident, ...] | None = None


@dataclass(frozen=True)
class PolicySet:
    """A policy to replay: its name and the alert policy of every target, in order."""

    name: str
    policies: Sequence[AlertPolicy]


@dataclass(frozen=True)
class ReplayInputs:
    """What a replay runs on: the lifetime, the range (aligned to the evaluation
    interval), the policies to compare, and every SLO's fetched counts."""

    lifetime: Lifetime
    start: int
    end: int
    policy_sets: Sequence[PolicySet]
    targets: Sequence[BacktestTarget]


def lead_seconds(lifetime: Lifetime) -> int:
    """Evaluations before the range that decide the alert state at its first evaluation."""
    return lifetime.pending_for + lifetime.resolve_after + lifetime.interval


def evaluate_target(
    target: BacktestTarget, policy: AlertPolicy, range_start: int, *, static: bool
) -> RangeEvaluation:
    """The engine's range evaluation of one target with adjustments applied."""
    counts = target.counts
    good, total = zero_excluded(counts.good, counts.total, target.excluded)
    if range_start < counts.start:
        raise EvaluationError(
            f"the counts of {target.service}/{target.slo.name} start at {counts.start}, "
            f"after the replay's first evaluation {range_start}"
        )
    return evaluate_range(
        target.slo,
        good,
        total,
        start=counts.start,
        step=counts.step,
        policy=policy,
        lookbacks=(STATIC_LOOKBACK,) if static else (),
        range_start=range_start,
    )


def excluded_tail(target: BacktestTarget, evaluation: RangeEvaluation) -> BoolArray | None:
    """The target's excluded steps aligned with the evaluation's columns (None: none)."""
    if target.excluded is None:
        return None
    tail: BoolArray = target.excluded[len(target.excluded) - len(evaluation.timestamps) :]
    return tail


def static_alerts(
    target: BacktestTarget, evaluation: RangeEvaluation, interval: int
) -> list[Alert]:
    """The naive policy's alerts: every run of a 5-minute burn rate above 1."""
    columns = evaluation_columns(evaluation.timestamps, interval)
    burn = evaluation.burn_rates(STATIC_LOOKBACK)
    with np.errstate(invalid="ignore"):
        firing = np.greater(burn, STATIC_FACTOR)
    tail = excluded_tail(target, evaluation)
    if tail is not None:
        firing &= ~tail
    return alert_spans(
        firing[columns],
        evaluation.timestamps[columns],
        burn=burn[columns],
        counts=evaluation.counts,
        target=target.alert_input,
        severity="page",
        lifetime=Lifetime(interval),
    )


def _replay(
    name: str,
    *,
    alerts: list[Alert],
    spans: int,
    start: int,
    end: int,
    incidents: Sequence[Incident] | None,
) -> Replay:
    shown = tuple(a for a in alerts if a.last > start)
    started = sum(1 for a in shown if a.start > start)
    return Replay(
        policy=name,
        alerts=shown,
        started=started,
        alerts_per_week=started / ((end - start) / WEEK),
        spans=spans,
        quality=None if incidents is None else score(shown, incidents),
    )


def backtest(
    targets: Sequence[BacktestTarget],
    policy_sets: Sequence[PolicySet],
    lifetime: Lifetime,
    *,
    start: int,
    end: int,
    pipeline: Sequence[Step] = (),
    incidents: Sequence[Incident] | None = None,
    compare_static: bool = False,
) -> BacktestResult:
    """Replay ``(start, end]`` for every policy set (see the module docstring).

    ``start`` and ``end`` are multiples of the evaluation interval; each target's counts
    begin early enough for its longest window before ``start - lead_seconds``.
    """
    if end <= start:
        raise EvaluationError(f"the backtest must end after it starts ({start} .. {end})")
    if start % lifetime.interval or end % lifetime.interval:
        raise EvaluationError(
            f"the range {start}..{end} must start and end on multiples of the evaluation "
            f"interval ({lifetime.interval}s)"
        )
    first = start - lead_seconds(lifetime)
    replays = []
    static: list[Alert] = []
    for index, policy_set in enumerate(policy_sets):
        found: list[Alert] = []
        want_static = compare_static and index == 0
        for target, policy in zip(targets, policy_set.policies, strict=True):
            evaluation = evaluate_target(target, policy, first, static=want_static)
            found += range_alerts(
                evaluation,
                target.alert_input,
                lifetime,
                excluded=excluded_tail(target, evaluation),
            )
            if want_static:
                static += static_alerts(target, evaluation, lifetime.interval)
        notified = run(found, pipeline)
        replays.append(
            _replay(
                policy_set.name,
                alerts=notified,
                spans=len(found),
                start=start,
                end=end,
                incidents=incidents,
            )
        )
    static_replay = None
    if compare_static:
        ordered = sorted(static, key=lambda a: (a.start, a.service, a.slo))
        static_replay = _replay(
            "static", alerts=ordered, spans=len(ordered), start=start, end=end, incidents=incidents
        )
    return BacktestResult(
        start=start,
        end=end,
        interval=lifetime.interval,
        replays=tuple(replays),
        static=static_replay,
        incidents=None if incidents is None else tuple(incidents),
    )
