"""The report's sections from the state store, and the ``report --json`` document.

The alerts section: alerts per week over the last 28 days and the share that was
actionable, counted by the org report's rules (:mod:`sloscope.records.org`,
:mod:`sloscope.report.org.figures`). The audit section: the overrides and exceptions of
those 28 days. Each asks the store first whether it holds anything in that range, and
loads the rules, repositories and renderers only when it does: a report with nothing
there loads none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sloscope.timeparse import format_time

if TYPE_CHECKING:
    from sloscope.report.model import Report
    from sloscope.report.org.figures import AlertRecord
    from sloscope.store.audit import AuditEntry
    from sloscope.workspace import Workspace

#: How far back the report's alerts and audit sections look.
SECTION_SECONDS = 28 * 86_400


def _section_range(at: int) -> tuple[int, int]:
    """The sections' range, ``[begin, end)``: the 28 days up to ``at``, ``at`` included."""
    return at - SECTION_SECONDS, at + 1


def alert_volume(ws: Workspace, at: int, service: str | None = None) -> dict[str, Any] | None:
    """Alerts/week over the 28 days up to ``at``, overall and per service, and the share
    that was actionable (the org report's rule, :func:`~sloscope.report.org.figures.actionable`);
    None when no alert started firing then, or (without creating it) when the workspace
    has no state store yet."""
    from sloscope.store.peek import firings_are_empty

    begin, end = _section_range(at)
    if ws.state_lacks(lambda path: firings_are_empty(path, service, begin, end)):
        return None
    # The org report's rules, loaded only when there are firings to count.
    from sloscope.records.org import alert_records
    from sloscope.report.org.figures import LINK_WINDOW_SECONDS, WEEK, actionable
    from sloscope.store.events import Incidents
    from sloscope.store.history import firings

    with ws.open_state() as store, store.transaction() as session:
        found = firings(session, begin=begin, end=end)
        chosen = [f for f in found if service is None or f.service == service]
        alerts = list(alert_records(session, chosen))
        incidents = tuple(i.incident for i in Incidents(session).find())
    if not alerts:
        return None
    link = LINK_WINDOW_SECONDS
    weeks = SECTION_SECONDS / WEEK

    def figures(some: list[AlertRecord]) -> dict[str, Any]:
        useful = sum(actionable(a, incidents, link) for a in some)
        return {
            "alerts": len(some),
            "per_week": round(len(some) / weeks, 2),
            "actionable": useful,
            "actionable_share": useful / len(some) if some else None,
        }

    names = sorted({a.service for a in alerts})
    return {
        "from": format_time(begin),
        "to": format_time(at),
        **figures(alerts),
        "services": [
            {"service": n, **figures([a for a in alerts if a.service == n])} for n in names
        ],
    }


def alert_volume_lines(volume: dict[str, Any]) -> list[str]:
    """The plain report's "Alerts" section as Markdown lines."""

    def line(name: str, f: dict[str, Any]) -> str:
        share = f["actionable_share"]
        useful = "n/a" if share is None else f"{share * 100:.0f}%"
        return (
            f"- {name}: {f['per_week']:.1f}/week "
            f"({f['alerts']} alert{'' if f['alerts'] == 1 else 's'}), "
            f"actionable {useful} ({f['actionable']} of {f['alerts']})"
        )

    lines = ["", "## Alerts (last 28 days, from the state store)", "", line("overall", volume)]
    lines += [line(s["service"], s) for s in volume["services"]]
    return lines


def recent_audit(ws: Workspace, at: int, service: str | None = None) -> list[AuditEntry]:
    """Overrides and exceptions of the 28 days up to ``at`` for the report's audit
    section (acknowledgements count in its alerts section instead); none (without
    creating it) when the workspace has no state store yet."""
    from sloscope.store.peek import audit_is_empty

    begin, end = _section_range(at)
    if ws.state_lacks(lambda path: audit_is_empty(path, service, begin, end)):
        return []
    from sloscope.records.gating import audit_entries

    entries = audit_entries(ws, service=service, begin=begin, end=end)
    return [e for e in entries if e.kind in ("override", "exception")]


def report_json(ws: Workspace, report: Report, service: str | None = None) -> str:
    """``report --json`` (and ``GET /api/v1/status``): the report document, with a
    top-level ``audit`` key when the 28 days up to its time have audit entries and an
    ``alerts`` key when alerts started firing then (:func:`alert_volume`)."""
    from sloscope.jsontext import dumps_indented
    from sloscope.report.json import render_json, report_to_dict

    entries = recent_audit(ws, report.at, service)
    volume = alert_volume(ws, report.at, service)
    if not entries and volume is None:
        return render_json(report)
    doc = report_to_dict(report)
    if entries:
        from sloscope.records.render import audit_to_dict  # the events' renderers too

        doc["audit"] = [audit_to_dict(e) for e in entries]
    if volume is not None:
        doc["alerts"] = volume
    return dumps_indented(doc) + "\n"
