"""An incident's impact measured on the telemetry: the budget each linked SLO lost
between the incident's start and its mitigation, the priority that follows, and the
budget burn-down around it (for the postmortem chart).

The counts come from the workspace's source (embedded store or Prometheus) over the
SLO window that ends at the mitigation; an incident still open is measured up to now.
When the source cannot answer, the figures are unknown (None), never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sloscope.conventions import slo_id
from sloscope.errors import SourceError
from sloscope.events.priority import Priority, incident_priority

if TYPE_CHECKING:
    from sloscope.alerting.adjustments import Adjustment
    from sloscope.engine.counts import FloatArray
    from sloscope.events.impact import SLOImpact
    from sloscope.sources.base import CountSeries
    from sloscope.spec.model import SLO, Service
    from sloscope.store.events import StoredIncident
    from sloscope.workspace import Workspace


@dataclass(frozen=True)
class Assessment:
    """What an incident cost and its priority; ``note`` says why figures are missing."""

    impacts: tuple[SLOImpact, ...]
    priority: Priority
    measured_until: int
    note: str = ""
    burn_down: dict[str, list[tuple[int, float | None]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The figures for ``incident show --json``: fractions 0-1, null when unknown."""
        return {
            "priority": self.priority.priority,
            "priority_reason": self.priority.reason,
            "impact": [
                {
                    "slo": i.slo,
                    "budget_consumed": i.consumed,
                    "outage_minutes": i.outage_minutes,
                    "bad_events": i.bad,
                }
                for i in self.impacts
            ],
            "impact_note": self.note or None,
        }

    @staticmethod
    def describe(impact: dict[str, Any]) -> str:
        """One impact dict as text."""
        consumed, minutes = impact["budget_consumed"], impact["outage_minutes"]
        if consumed is None or minutes is None:
            return f"{impact['slo']}: unknown (no events in its window)"
        return (
            f"{impact['slo']}: {consumed * 100:.1f}% of the error budget, "
            f"{minutes:.1f} minutes of full outage"
        )


def _linked(ws: Workspace, stored: StoredIncident) -> tuple[Service, list[SLO]]:
    service = ws.select(ws.services(), stored.incident.service)[0]
    return service, [s for s in service.slos if s.name in stored.incident.slos]


def _fetch(
    ws: Workspace, service: Service, slos: Sequence[SLO], begin: int, end: int
) -> list[CountSeries]:
    from sloscope.engine.calendar import window_start
    from sloscope.sources.plan import FetchRequest, fetch_for_evaluation

    requests = [
        FetchRequest(
            sli=slo.sli,
            begin=window_start(slo.window, begin),
            fine_since=window_start(slo.window, begin),
            id=slo_id(service.name, slo.name),
        )
        for slo in slos
    ]
    src = ws.source()
    try:
        return fetch_for_evaluation(src, requests, end, ws.config.step_seconds)
    finally:
        src.close()


def _on_grid(t: int, step: int) -> int:
    return -(-t // step) * step


def assess(
    ws: Workspace, stored: StoredIncident, *, now: int, burn_down_points: int = 0
) -> Assessment:
    """The incident's impact and priority (and, with ``burn_down_points``, each linked
    SLO's budget consumed at that many times from before the start to after the end)."""
    from sloscope.events.impact import budget_consumed_at, incident_impact

    events = ws.config.events
    incident = stored.incident
    step = ws.config.step_seconds
    until = _on_grid(min(incident.mitigated or now, now), step)
    began = incident.start
    service, slos = _linked(ws, stored)
    last = _on_grid(now, step)
    times = [
        t for t in _times(began, incident.resolved or until, step, burn_down_points) if t <= last
    ]
    first = min([began, *times])
    try:
        counts = _fetch(ws, service, slos, first, max([until, *times])) if slos else []
    except SourceError as exc:
        rules = events.priority_rules()
        return Assessment((), incident_priority((), rules, events.lowest_priority), until, str(exc))
    impacts, burn = [], {}
    adjustments = ws.adjustments()
    for slo, series in zip(slos, counts, strict=True):
        good, total = _adjusted(series, service, slo, adjustments)
        impacts.append(
            incident_impact(
                slo, good, total, start=series.start, step=series.step, began=began, mitigated=until
            )
        )
        if times:
            consumed = budget_consumed_at(
                slo, good, total, start=series.start, step=series.step, times=times
            )
            burn[slo.name] = list(zip(times, consumed, strict=True))
    priority = incident_priority(impacts, events.priority_rules(), events.lowest_priority)
    note = "" if slos else "no SLO linked: link SLOs with --slo to measure the impact"
    return Assessment(tuple(impacts), priority, until, note, burn)


def _adjusted(
    series: CountSeries, service: Service, slo: SLO, adjustments: Sequence[Adjustment]
) -> tuple[FloatArray, FloatArray]:
    """The SLO's counts without the steps its adjustments exclude, as the report has them."""
    if not adjustments:
        return series.good, series.total
    from sloscope.alerting.adjustments import adjusted_counts
    from sloscope.alerting.history import labels_of

    return adjusted_counts(series, adjustments, labels_of(service, slo))


def _times(began: int, ended: int, step: int, points: int) -> list[int]:
    """``points`` evenly spaced grid times from a quarter of the span before the start
    to a quarter after the end."""
    if points < 2:
        return []
    span = max(ended - began, step)
    lo = _on_grid(began - span // 4, step)
    hi = _on_grid(ended + span // 4, step)
    stride = max(step, (hi - lo) // (points - 1) // step * step)
    return list(range(lo, hi + 1, stride))
