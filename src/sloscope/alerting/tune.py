"""Propose, per SLO, the alert policy that detects every known incident with the fewest alerts.

The candidates form a bounded grid around the SRE workbook's table: the 1h/5m page at
1, 2 or 3% of the budget; the 6h/30m page at 5 or 8% or left out; the 1d/2h ticket at
10 or 15% or left out; the 3d/6h ticket at 10% or left out; and three low-traffic
guards. Every candidate of an SLO is replayed on the same counts with the same engine
as ``backtest``: the burn matrix and every row variant's firing array are computed
once per guard (:func:`~sloscope.engine.evaluate.evaluate_range` of a policy holding
all the variants), and a candidate is then an OR of arrays, its lifetime, its spans,
and the page-inhibits-ticket step. Nothing loops over evaluations in Python.

The winner detects as many of the SLO's incidents as any candidate can (all, when
some candidate does), then sends the fewest alerts, then detects soonest, then
differs least from the current policy. Incidents that name no SLO do not bind a single
SLO's tuning. Without incidents, the current policy's pages stand in for them: keep
paging when it paged, with less noise.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from sloscope.alerting.backtest import BacktestTarget, evaluate_target, excluded_tail
from sloscope.alerting.model import Alert
from sloscope.alerting.noise import inhibit
from sloscope.alerting.quality import Incident, score
from sloscope.alerting.spans import (
    Lifetime,
    alert_spans,
    evaluation_columns,
    lifetime_firing,
    range_alerts,
)
from sloscope.engine.burn import BoolArray
from sloscope.engine.evaluate import RangeEvaluation
from sloscope.engine.windows import AlertPolicy, AlertSeverity, AlertWindow, TrafficGuard

#: Row templates (severity, long, short) and the budget percents tried for each; None
#: leaves the row out.
GRID: tuple[tuple[AlertSeverity, int, int, tuple[float | None, ...]], ...] = (
    ("page", 3600, 300, (2.0, 1.0, 3.0)),
    ("page", 21600, 1800, (5.0, 8.0, None)),
    ("ticket", 86400, 7200, (10.0, 15.0, None)),
    ("ticket", 259200, 21600, (10.0, None)),
)
GUARDS: tuple[TrafficGuard, ...] = (
    TrafficGuard(100, 5),
    TrafficGuard(50, 3),
    TrafficGuard(200, 10),
)


@dataclass(frozen=True)
class Outcome:
    """A policy's figures on one SLO: alerts that started in the range, incidents found."""

    alerts: int
    detected: int
    incidents: int
    detection_seconds_median: float | None


@dataclass(frozen=True)
class Proposal:
    """The tuned policy of one SLO, with the figures before and after."""

    service: str
    slo: str
    current: AlertPolicy
    proposed: AlertPolicy
    before: Outcome
    after: Outcome
    candidates: int

    @property
    def changed(self) -> bool:
        """Whether the proposal differs from the current policy."""
        return (self.current.windows, self.current.guard) != (
            self.proposed.windows,
            self.proposed.guard,
        )


def _variants() -> list[AlertWindow]:
    return [
        AlertWindow(severity, percent, long_s, short_s)
        for severity, long_s, short_s, percents in GRID
        for percent in percents
        if percent is not None
    ]


def _outcome(alerts: list[Alert], incidents: Sequence[Incident], start: int) -> Outcome:
    notified = inhibit([a for a in alerts if a.last > start])
    quality = score(notified, incidents)
    return Outcome(
        alerts=sum(1 for a in notified if a.start > start),
        detected=quality.detected,
        incidents=quality.incidents,
        detection_seconds_median=quality.detection_seconds_median,
    )


class _SLOTuner:
    """Every candidate of one SLO, from one range evaluation per guard."""

    def __init__(self, target: BacktestTarget, lifetime: Lifetime, first: int, start: int) -> None:
        self.target = target
        self.lifetime = lifetime
        self.start = start
        self.variants = _variants()
        self.evaluations: dict[TrafficGuard, RangeEvaluation] = {}
        for guard in GUARDS:
            policy = AlertPolicy("tune", tuple(self.variants), guard=guard)
            self.evaluations[guard] = evaluate_target(target, policy, first, static=False)
        some = self.evaluations[GUARDS[0]]
        self.columns = evaluation_columns(some.timestamps, lifetime.interval)
        self.times = some.timestamps[self.columns]
        tail = excluded_tail(target, some)
        self.allowed: BoolArray | None = None if tail is None else ~tail[self.columns]

    def alerts(self, rows: Sequence[AlertWindow], guard: TrafficGuard) -> list[Alert]:
        """The alert spans of a candidate (rows taken from the variants)."""
        evaluation = self.evaluations[guard]
        found: list[Alert] = []
        for severity in ("page", "ticket"):
            chosen = [self.variants.index(r) for r in rows if r.severity == severity]
            if not chosen:
                continue
            condition = evaluation.conditions[chosen[0]].firing[self.columns].copy()
            for index in chosen[1:]:
                condition |= evaluation.conditions[index].firing[self.columns]
            if self.allowed is not None:
                condition &= self.allowed
            firing = lifetime_firing(condition, self.lifetime)
            longs = sorted({r.long_seconds for r in rows if r.severity == severity})
            burn = evaluation.burn_rates(longs[-1])[self.columns]
            found += alert_spans(
                firing,
                self.times,
                burn=burn,
                counts=evaluation.counts,
                target=self.target.alert_input,
                severity=severity,
                lifetime=self.lifetime,
            )
        return found


def _distance(rows: Sequence[AlertWindow], guard: TrafficGuard, current: AlertPolicy) -> int:
    differ = len(set(rows) ^ set(current.windows))
    return differ + (0 if guard == current.guard else 1)


Ranked = tuple[tuple[float, ...], list[AlertWindow], TrafficGuard, Outcome]


def _search(
    tuner: _SLOTuner, current: AlertPolicy, incidents: Sequence[Incident], start: int
) -> tuple[Ranked, int]:
    """The best candidate of the grid (see the module docstring) and how many were tried."""
    best: Ranked | None = None
    count = 0
    choices = [
        [AlertWindow(sev, p, long_s, short_s) if p is not None else None for p in percents]
        for sev, long_s, short_s, percents in GRID
    ]
    for combo in itertools.product(*choices):
        rows = [r for r in combo if r is not None]
        for guard in GUARDS:
            count += 1
            outcome = _outcome(tuner.alerts(rows, guard), incidents, start)
            detect = outcome.detection_seconds_median
            rank = (
                -outcome.detected,
                outcome.alerts,
                detect if detect is not None else float("inf"),
                _distance(rows, guard, current),
            )
            if best is None or rank < best[0]:
                best = (rank, rows, guard, outcome)
    assert best is not None
    return best, count


def propose(
    target: BacktestTarget,
    current: AlertPolicy,
    incidents: Sequence[Incident] | None,
    lifetime: Lifetime,
    *,
    first: int,
    start: int,
    name: str,
) -> Proposal:
    """The proposal for one SLO (see the module docstring); ``name`` names the new policy."""
    tuner = _SLOTuner(target, lifetime, first, start)
    own = evaluate_target(target, current, first, static=False)
    current_alerts = range_alerts(
        own, target.alert_input, lifetime, excluded=excluded_tail(target, own)
    )
    if incidents is None:
        incidents = [
            Incident(target.service, a.start, a.last, target.slo.name)
            for a in current_alerts
            if a.severity == "page" and a.last > start
        ]
    mine = [i for i in incidents if i.service == target.service and i.slo == target.slo.name]
    (_, rows, guard, after), count = _search(tuner, current, mine, start)
    proposed = AlertPolicy(
        name,
        tuple(rows),
        description=f"tuned by sloscope tune for {target.service}/{target.slo.name}",
        guard=guard,
    )
    before = _outcome(current_alerts, mine, start)
    return Proposal(target.service, target.slo.name, current, proposed, before, after, count)
