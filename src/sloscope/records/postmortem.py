"""Gather an incident's facts from the state store and the telemetry, and write its
postmortem: ``incident-ID.md`` and, beside it, ``incident-ID-burndown.png``.

The timeline holds the incident's own state changes (open, acknowledged, mitigated,
resolved), the service's alerts that fired, were acknowledged or resolved, its
deployments, and the overrides and gate exceptions of its audit log, from a day before
the incident to its end.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sloscope.events.response import repeats
from sloscope.report.postmortem import ImpactRow, PostmortemFacts, TimelineItem
from sloscope.timeparse import format_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sloscope.records.impact import Assessment
    from sloscope.store.audit import AuditEntry
    from sloscope.store.events import StoredIncident
    from sloscope.workspace import Workspace

#: Points on the burn-down chart and in its table.
BURN_DOWN_POINTS = 13
_DAY = 86_400


def _store_timeline(session: Session, stored: StoredIncident, end: int) -> list[TimelineItem]:
    from sloscope.store.events import Deployments
    from sloscope.store.rows import AlertStateRow, AlertTransitionRow

    incident = stored.incident
    begin = incident.start - _DAY
    items = [
        TimelineItem(
            e.at,
            "incident",
            f"{e.state}" + (f" by {e.by}" if e.by else "") + (f": {e.note}" if e.note else ""),
        )
        for e in incident.timeline
    ]
    for deployed in Deployments(session).find(service=incident.service, begin=begin, end=end + 1):
        d = deployed.deployment
        commit = f" ({d.commit})" if d.commit else ""
        items.append(TimelineItem(d.at, "deploy", f"{d.version}{commit}"))
    from sqlalchemy import select

    query = (
        select(
            AlertStateRow.slo,
            AlertStateRow.severity,
            AlertTransitionRow.to_state,
            AlertTransitionRow.at,
        )
        .join(AlertStateRow, AlertStateRow.id == AlertTransitionRow.alert_id)
        .where(
            AlertStateRow.service == incident.service,
            AlertTransitionRow.to_state.in_(("firing", "resolved")),
            AlertTransitionRow.at >= begin,
            AlertTransitionRow.at <= end,
        )
    )
    for slo, severity, state, at in session.execute(query):
        items.append(TimelineItem(at, "alert", f"{severity} {slo} {state}"))
    from sloscope.store.audit import AuditLog

    audited = AuditLog(session).find(service=incident.service, begin=begin, end=end + 1)
    items.extend(_audit_item(entry) for entry in audited)
    return items


def _audit_item(entry: AuditEntry) -> TimelineItem:
    """An audit entry as the timeline tells it: who acknowledged which alert, who lifted
    a freeze until when, who released under which exception; always with the reason."""
    detail, why = entry.detail, f": {entry.reason}" if entry.reason else ""
    if entry.kind == "ack":
        text = f"{detail.get('severity')} {detail.get('slo')} acknowledged by {entry.by}{why}"
        return TimelineItem(entry.at, "alert", text)
    if entry.kind == "override":
        until = detail.get("until")
        lifted = f" until {format_time(int(until))}" if until is not None else ""
        return TimelineItem(entry.at, "override", f"freeze lifted by {entry.by}{lifted}{why}")
    version = f" of {detail['version']}" if detail.get("version") else ""
    text = f"{detail.get('exception')} release{version} by {entry.by}{why}"
    return TimelineItem(entry.at, "exception", text)


def gather(
    ws: Workspace,
    incident_id: int,
    *,
    now: int,
    chart: str | None,
    measure: Callable[[StoredIncident, int], Assessment] | None = None,
) -> PostmortemFacts:
    """The facts of incident ``incident_id``'s postmortem. ``measure(incident, points)``:
    how its impact is measured on the telemetry (default
    :func:`~sloscope.records.impact.assess` at ``now``; a server passes its cache of
    them); the records are always read from the state store."""
    from sloscope.records.impact import assess
    from sloscope.store.events import ActionItems, Incidents

    with ws.open_state() as store, store.transaction() as session:
        incidents = Incidents(session)
        stored = incidents.get(incident_id)
        everything = [s.incident for s in incidents.find(service=stored.incident.service)]
        actions = ActionItems(session).find(incident_id=incident_id)
        if measure is None:
            assessed = assess(ws, stored, now=now, burn_down_points=BURN_DOWN_POINTS)
        else:
            assessed = measure(stored, BURN_DOWN_POINTS)
        end = stored.incident.resolved or assessed.measured_until
        timeline = _store_timeline(session, stored, end)
    repeated = repeats(everything, window=ws.config.events.repeat_window_seconds)
    incident = stored.incident
    return PostmortemFacts(
        incident_id=stored.id,
        service=incident.service,
        title=stored.title,
        severity=incident.severity,
        cause_tags=incident.cause_tags,
        links=stored.links,
        priority=assessed.priority.priority,
        priority_reason=assessed.priority.reason,
        impacts=tuple(ImpactRow(i.slo, i.consumed, i.outage_minutes) for i in assessed.impacts),
        timeline=tuple(timeline),
        burn_down=assessed.burn_down,
        actions=tuple((a.id, a.text, a.owner, a.status) for a in actions),
        chart=chart if assessed.burn_down else None,
        repeat_of=int(repeated[incident.id]) if incident.id in repeated else None,
        note=assessed.note,
    )


def write_postmortem(ws: Workspace, incident_id: int, folder: Path, *, now: int) -> list[Path]:
    """Write the postmortem (and its chart, when an SLO is linked) into ``folder``."""
    from sloscope.report.charts import burn_down_png
    from sloscope.report.postmortem import render_postmortem

    chart_name = f"incident-{incident_id}-burndown.png"
    facts = gather(ws, incident_id, now=now, chart=chart_name)
    written = []
    if facts.chart:
        marks = [(i.at, i.text.split(" ")[0]) for i in facts.timeline if i.kind == "incident"]
        png = burn_down_png(
            facts.burn_down, marks, f"incident {incident_id}: {facts.service} budget consumed"
        )
        (folder / chart_name).write_bytes(png)
        written.append(folder / chart_name)
    document = folder / f"incident-{incident_id}.md"
    document.write_text(render_postmortem(facts), encoding="utf-8")
    return [document, *written]
