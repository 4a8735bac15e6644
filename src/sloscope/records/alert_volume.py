"""The plain report's alert section: alerts per week over the last 28 days and the share
that was actionable, counted by the org report's rules (:mod:`sloscope.records.org`,
:mod:`sloscope.report.org.figures`), which load only when the state store holds firings
in that range: a report with none there loads none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sloscope.timeparse import format_time

if TYPE_CHECKING:
    from sloscope.report.org.figures import AlertRecord
    from sloscope.workspace import Workspace

#: How far back the plain report's alert figures look.
ALERT_SECTION_SECONDS = 28 * 86_400


def alert_volume(ws: Workspace, at: int, service: str | None = None) -> dict[str, Any] | None:
    """Alerts/week over the 28 days up to ``at``, overall and per service, and the share
    that was actionable (the org report's rule, :func:`~sloscope.report.org.figures.actionable`);
    None when no alert started firing then, or (without creating it) when the workspace
    has no state store yet."""
    from sloscope.store.peek import firings_are_empty

    begin = at - ALERT_SECTION_SECONDS
    if ws.state_lacks(lambda path: firings_are_empty(path, service, begin, at + 1)):
        return None
    # The org report's rules, loaded only when there are firings to count.
    from sloscope.records.org import alert_records
    from sloscope.report.org.figures import LINK_WINDOW_SECONDS, WEEK, actionable
    from sloscope.store.events import Incidents
    from sloscope.store.history import firings

    with ws.open_state() as store, store.transaction() as session:
        found = firings(session, begin=begin, end=at + 1)
        chosen = [f for f in found if service is None or f.service == service]
        alerts = list(alert_records(session, chosen))
        incidents = tuple(i.incident for i in Incidents(session).find())
    link = LINK_WINDOW_SECONDS
    weeks = ALERT_SECTION_SECONDS / WEEK

    def figures(chosen: list[AlertRecord]) -> dict[str, Any]:
        useful = sum(actionable(a, incidents, link) for a in chosen)
        return {
            "alerts": len(chosen),
            "per_week": round(len(chosen) / weeks, 2),
            "actionable": useful,
            "actionable_share": useful / len(chosen) if chosen else None,
        }

    if not alerts:
        return None
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
