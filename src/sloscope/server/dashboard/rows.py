"""What the dashboard shows of an evaluated SLO, as plain values for the templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sloscope.conventions import slo_id
from sloscope.report.model import SLOResult
from sloscope.report.text import NO_DATA, burn, duration_words, percent
from sloscope.spec.durations import format_duration

if TYPE_CHECKING:
    from sloscope.records.alerts import ActiveAlert
    from sloscope.store.events import StoredDeployment, StoredIncident
    from sloscope.store.history import AlertChangeRecord

#: Each budget-policy (gate) state's word on the page (the colour is a second signal).
STATE_WORDS = {"ok": "OK", "notify": "Warning", "freeze": "Freeze", "unknown": "No data"}
#: Each SLO health's word: what the SLO is doing now, beside what the gate would say.
HEALTH_WORDS = {
    "ok": "OK",
    "burning": "Burning",
    "paging": "Paging",
    "exhausted": "Exhausted",
    "nodata": "No data",
}
#: The colour class of each health (Okabe-Ito: green, orange, vermillion, grey).
HEALTH_COLOURS = {
    "ok": "ok",
    "burning": "notify",
    "paging": "freeze",
    "exhausted": "freeze",
    "nodata": "unknown",
}


def health(result: SLOResult) -> str:
    """``nodata``; ``exhausted`` (no budget left); ``paging`` or ``burning`` (a page or
    ticket alert fires); else ``ok``."""
    if not result.has_data:
        return "nodata"
    remaining = result.status.remaining
    if remaining is not None and remaining <= 0:
        return "exhausted"
    severities = {a.severity for a in result.status.alerts}
    if "page" in severities:
        return "paging"
    return "burning" if severities else "ok"


@dataclass(frozen=True)
class SLORow:
    """One SLO's figures, formatted for reading."""

    service: str
    owner: str
    slo: str
    journey: str
    health: str
    health_word: str
    health_colour: str
    state: str
    state_word: str
    objective: str
    sli: str
    window: str
    remaining: float | None
    remaining_text: str
    fastest_burn: str
    fastest_window: str
    alerts: tuple[str, ...]
    exhausted_in: str
    reasons: tuple[str, ...]
    runbook: str | None
    id: str

    @property
    def runbook_link(self) -> bool:
        """Whether the runbook is a web address (anything else is shown as text only)."""
        return bool(self.runbook) and str(self.runbook).startswith(("https://", "http://"))

    @property
    def meter_value(self) -> float:
        """The remaining budget clipped to 0..1 for a ``<meter>``."""
        return 0.0 if self.remaining is None else min(1.0, max(0.0, self.remaining))


def slo_row(result: SLOResult) -> SLORow:
    """The row of one evaluated SLO."""
    status, slo = result.status, result.slo
    has = result.has_data
    rates = {k: v for k, v in status.burn_rates.items() if v is not None} if has else {}
    fastest = max(rates, key=lambda k: rates[k]) if rates else None
    state = result.decision.state
    now = health(result)
    return SLORow(
        service=result.service.name,
        owner=result.service.owner,
        slo=slo.name,
        journey=slo.journey or "",
        health=now,
        health_word=HEALTH_WORDS[now],
        health_colour=HEALTH_COLOURS[now],
        state=state,
        state_word=STATE_WORDS.get(state, state),
        objective=percent(slo.objective),
        sli=percent(status.sli) if has else NO_DATA,
        window=slo.window.label,
        remaining=status.remaining if has else None,
        remaining_text=percent(status.remaining, 1) if has else NO_DATA,
        fastest_burn=burn(rates[fastest]) if fastest is not None else NO_DATA,
        fastest_window=format_duration(fastest) if fastest is not None else "",
        alerts=tuple(
            f"{a.severity} {format_duration(a.long_seconds)}/{format_duration(a.short_seconds)}"
            for a in status.alerts
        ),
        exhausted_in=duration_words(status.exhaustion_seconds) if has else NO_DATA,
        reasons=tuple(result.decision.reasons),
        runbook=slo.alerting.runbook,
        id=slo_id(result.service.name, slo.name),
    )


def burn_table(result: SLOResult) -> list[dict[str, Any]]:
    """Each burn-rate lookback with its rate and the alert thresholds on that window."""
    rows = []
    for lookback, rate in sorted(result.status.burn_rates.items()):
        limits = [
            f"{a.severity} > {a.factor:g}x"
            for a in result.status.alert_rows
            if a.long_seconds == lookback
        ]
        over = any(
            rate is not None and rate > a.factor
            for a in result.status.alert_rows
            if a.long_seconds == lookback
        )
        rows.append(
            {
                "window": format_duration(lookback),
                "rate": burn(rate) if result.has_data else NO_DATA,
                "limits": ", ".join(limits),
                "over": over and result.has_data,
            }
        )
    return rows


def matches(row: SLORow, service: str, owner: str, state: str) -> bool:
    """Whether a row passes the overview's filters (empty: any)."""
    return (
        (not service or row.service == service)
        and (not owner or row.owner == owner)
        and (not state or row.health == state)
    )


def slo_href(service: str, slo: str) -> str:
    """The address of an SLO's page."""
    return f"/services/{quote(service, safe='')}/slos/{quote(slo, safe='')}"


def chart_marks(
    deployed: Sequence[StoredDeployment],
    incidents: Sequence[StoredIncident],
    begin: int,
    end: int,
) -> list[dict[str, Any]]:
    """The marks drawn on an SLO's charts, in time order: each deployment, and each
    incident's opening and resolution, that fall in ``[begin, end]``."""
    marks: list[dict[str, Any]] = []
    for stored in deployed:
        d = stored.deployment
        commit = f" ({d.commit})" if d.commit else ""
        marks.append(
            {"at": d.at, "kind": "deploy", "label": f"deploy {d.version}{commit}", "href": None}
        )
    for kept in incidents:
        i = kept.incident
        href = f"/incidents/{kept.id}"
        ends = [("opened", i.start)]
        if i.resolved is not None:
            ends.append(("resolved", i.resolved))
        marks += [
            {
                "at": at,
                "kind": "incident",
                "label": f"incident {kept.id} {word}: {kept.title}",
                "href": href,
            }
            for word, at in ends
        ]
    shown = [m for m in marks if begin <= m["at"] <= end]
    return sorted(shown, key=lambda m: (m["at"], m["kind"]))


def alert_change_row(change: AlertChangeRecord) -> dict[str, Any]:
    """One alert state change for a history table."""
    return {
        "at": change.at,
        "service": change.service,
        "slo": change.slo,
        "href": slo_href(change.service, change.slo),
        "severity": change.severity,
        "group": change.group_key,
        "change": f"{change.from_state or 'new'} → {change.to_state}",
        "to_state": change.to_state,
        "burn": burn(change.burn_rate) if change.burn_rate is not None else NO_DATA,
    }


def active_alert_row(alert: ActiveAlert) -> dict[str, Any]:
    """One firing (or pending) alert for the alerts page."""
    s = alert.state
    identity = s.identity
    return {
        "key": s.key,
        "service": identity.service,
        "slo": identity.slo,
        "href": slo_href(identity.service, identity.slo),
        "severity": identity.severity,
        "group": identity.group_key,
        "state": "silenced" if alert.silenced else s.state,
        "burn": burn(s.peak_burn_rate) if s.state == "firing" else NO_DATA,
        "started": s.fired_at if s.fired_at is not None else s.since,
        "silenced_by": alert.silenced_by,
        "acked_at": s.acked_at,
        "acked_by": s.acked_by,
    }
