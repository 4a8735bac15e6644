"""Records as JSON-ready dicts and as lines of text, for the CLI and the server.

Times are RFC 3339 in both (the store keeps Unix seconds); figures with no data are
``null``, never 0.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sloscope.events.response import repeats
from sloscope.timeparse import format_time

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sloscope.events.changes import ChangeFailureReport, FailureRate
    from sloscope.store.audit import AuditEntry
    from sloscope.store.events import ActionItem, StoredDeployment, StoredIncident
    from sloscope.store.gate_rows import GateRecord, StoredOverride


def deployment_to_dict(stored: StoredDeployment) -> dict[str, Any]:
    """A recorded deployment."""
    d = stored.deployment
    return {
        "id": stored.id,
        "service": d.service,
        "version": d.version,
        "commit": d.commit,
        "at": format_time(d.at),
        "recorded_by": stored.recorded_by,
    }


def incident_to_dict(stored: StoredIncident, repeat_of: str | None = None) -> dict[str, Any]:
    """A recorded incident with its timeline."""
    i = stored.incident
    return {
        "id": stored.id,
        "service": i.service,
        "title": stored.title,
        "state": stored.state,
        "severity": i.severity,
        "slos": list(i.slos),
        "cause_tags": list(i.cause_tags),
        "links": list(stored.links),
        "opened_at": format_time(i.start),
        "acknowledged_at": _time(i.acknowledged),
        "mitigated_at": _time(i.mitigated),
        "resolved_at": _time(i.resolved),
        "repeat_of": int(repeat_of) if repeat_of else None,
        "timeline": [
            {"at": format_time(e.at), "state": e.state, "by": e.by, "note": e.note}
            for e in i.timeline
        ],
    }


def incidents_to_dicts(found: Sequence[StoredIncident], window: int) -> list[dict[str, Any]]:
    """Incidents with ``repeat_of`` filled in (same SLO and cause tag within ``window``)."""
    repeated = repeats([s.incident for s in found], window=window)
    return [incident_to_dict(s, repeated.get(s.incident.id)) for s in found]


def action_to_dict(item: ActionItem) -> dict[str, Any]:
    """A postmortem action item."""
    return {
        "id": item.id,
        "incident": item.incident_id,
        "text": item.text,
        "owner": item.owner,
        "status": item.status,
        "created_at": format_time(item.created_at),
        "done_at": _time(item.done_at),
    }


def audit_to_dict(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry (time as RFC 3339)."""
    found = asdict(entry)
    found["at"] = format_time(entry.at)
    return found


def override_to_dict(override: StoredOverride) -> dict[str, Any]:
    """A stored override."""
    return {
        "id": override.id,
        "service": override.service,
        "journey": override.journey,
        "by": override.by,
        "reason": override.reason,
        "since": format_time(override.since),
        "until": format_time(override.until),
    }


def gate_record_to_dict(record: GateRecord) -> dict[str, Any]:
    """A recorded gate decision: who asked about what, the answer and why."""
    return {
        "id": record.id,
        "service": record.service,
        "journey": record.journey,
        "version": record.version,
        "asked_by": record.asked_by,
        "at": format_time(record.at),
        "decision": record.decision,
        "reasons": list(record.reasons),
        "slos": [dict(f) for f in record.figures],
        "exception": (
            {"kind": record.exception_kind, "reason": record.exception_reason}
            if record.exception_kind is not None
            else None
        ),
        "override": record.override_id,
        "deployment": record.deployment_id,
        "recorded_at": format_time(record.created_at),
    }


def _rate(rate: FailureRate) -> dict[str, Any]:
    return {"deployments": rate.deployments, "failed": rate.failed, "rate": rate.rate}


def change_failures_to_dict(report: ChangeFailureReport, begin: int, end: int) -> dict[str, Any]:
    """A change failure report: overall, per service, and every deployment's outcome."""
    return {
        "from": format_time(begin),
        "to": format_time(end),
        "overall": _rate(report.overall),
        "services": {name: _rate(rate) for name, rate in report.by_service.items()},
        "deployments": [
            {
                "service": o.deployment.service,
                "version": o.deployment.version,
                "at": format_time(o.deployment.at),
                "failed_by": o.failed_by,
            }
            for o in report.outcomes
        ],
    }


def audit_line(entry: AuditEntry) -> str:
    """One audit entry as a line of text."""
    detail = entry.detail
    if entry.kind == "ack":
        key = str(detail.get("key"))[:12]
        what = f"{detail.get('slo')} {detail.get('severity')} alert {key} acknowledged"
        why = f": {entry.reason}" if entry.reason else ""
        return f"{format_time(entry.at)}  {entry.service}  {what} by {entry.by}{why}"
    what = (
        f"override until {format_time(int(detail['until']))}"
        if entry.kind == "override" and "until" in detail
        else f"{detail.get('exception', entry.kind)} exception"
    )
    return f"{format_time(entry.at)}  {entry.service}  {what} by {entry.by}: {entry.reason}"


def incident_lines(data: dict[str, Any]) -> list[str]:
    """An incident dict (:func:`incident_to_dict`) as lines of text, timeline included."""
    head = f"incident {data['id']} [{data['state']}] {data['service']}: {data['title']}"
    lines = [head, f"  severity {data['severity']}; SLOs: {', '.join(data['slos']) or 'none'}"]
    if data["cause_tags"]:
        lines.append(f"  causes: {', '.join(data['cause_tags'])}")
    if data["repeat_of"]:
        lines.append(f"  repeats incident {data['repeat_of']}")
    lines += [f"  link: {link}" for link in data["links"]]
    for entry in data["timeline"]:
        who = f" by {entry['by']}" if entry["by"] else ""
        note = f": {entry['note']}" if entry["note"] else ""
        lines.append(f"  {entry['at']}  {entry['state']}{who}{note}")
    return lines


def _time(value: int | None) -> str | None:
    return format_time(value) if value is not None else None
