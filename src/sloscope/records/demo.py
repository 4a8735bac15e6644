"""The demo's history in the state store: its releases, its incidents and its alerts, as
an on-call team would have recorded them, so ``report --org``, ``report`` and
``incident postmortem`` have something true to show.

Every incident the demo injected into the telemetry becomes one recorded incident (an
outage that hurt two SLOs is one incident linked to both), opened five minutes after it
began, acknowledged three minutes later, mitigated when the injected effect ended and
resolved half an hour after (unless that is still to come), with a cause tag and an
action item. Recording again (a second ``sloscope demo``) adds nothing: each incident
is keyed by its kind and start.

The alerts are those the backtest of the demo's month says the configured policies would
have sent (:func:`record_demo_alerts`): each recorded firing and, once it stopped,
resolved, as the evaluator would have stored them; the on-call acknowledged every page
three minutes after it fired (tickets are worked from the queue, unacknowledged). Their
times are in the past, so recording them again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sloscope.events.model import Deployment, IncidentState

if TYPE_CHECKING:
    from sloscope.alerting.model import Alert
    from sloscope.demo.catalog import Deployment as DemoDeployment
    from sloscope.demo.catalog import Incident as DemoIncident
    from sloscope.workspace import Workspace

_CAUSES = {
    "fast-burn": ("payment-provider", "critical", "add a fallback payment provider"),
    "latency-regression": ("release", "major", "load-test order placement before release"),
    "slow-burn": ("index-shard", "minor", "alert on a single shard's error ratio"),
    "recent-burn": ("session-store", "major", "rehearse the session store failover"),
}
DETECTED_AFTER = 300
ACKNOWLEDGED_AFTER = 180
RESOLVED_AFTER = 1800


@dataclass(frozen=True)
class DemoHistory:
    """How many deployments and incidents the demo recorded (new ones)."""

    deployments: int
    incidents: int


def _grouped(incidents: Sequence[DemoIncident]) -> list[tuple[DemoIncident, tuple[str, ...]]]:
    groups: dict[tuple[str, int, int, str], list[DemoIncident]] = {}
    for incident in incidents:
        key = (incident.service, incident.start, incident.end, incident.kind)
        groups.setdefault(key, []).append(incident)
    return [(members[0], tuple(m.slo for m in members)) for members in groups.values()]


def record_demo_history(
    ws: Workspace,
    deployments: Sequence[DemoDeployment],
    incidents: Sequence[DemoIncident],
    *,
    end: int,
    now: int,
) -> DemoHistory:
    """Record the demo's deployments and incidents (see the module docstring)."""
    from sloscope.store.events import ActionItems, Deployments, Incidents

    added = 0
    with ws.open_state() as store, store.transaction() as session:
        known = {
            (d.deployment.service, d.deployment.version, d.deployment.at)
            for d in Deployments(session).find()
        }
        for d in deployments:
            if (d.service, d.version, d.at) not in known:
                Deployments(session).add(
                    Deployment(d.service, d.version, d.at), recorded_by="demo", now=now
                )
                added += 1
        opened = 0
        for first, slos in _grouped(incidents):
            cause, severity, action = _CAUSES[first.kind]
            at = first.start + DETECTED_AFTER
            stored, new = Incidents(session).open(
                service=first.service,
                at=at,
                title=first.description or first.kind,
                slos=slos,
                severity=severity,
                cause_tags=(cause,),
                by="demo",
                page_key=f"demo:{first.kind}:{first.start}",
                now=now,
            )
            if not new:
                continue
            opened += 1
            mitigated = max(first.end, at + ACKNOWLEDGED_AFTER)
            steps: list[tuple[IncidentState, int]] = [
                ("acknowledged", at + ACKNOWLEDGED_AFTER),
                ("mitigated", mitigated),
                ("resolved", mitigated + RESOLVED_AFTER),
            ]
            for state, when in steps:
                if when <= end:
                    Incidents(session).advance(stored.id, state, when, "demo")
            ActionItems(session).add(stored.id, action, "", now)
    return DemoHistory(added, opened)


def record_demo_alerts(ws: Workspace, alerts: Sequence[Alert], *, end: int) -> int:
    """Record the alerts of the demo's backtest (see the module docstring): how many
    firings were new."""
    from sloscope.records.alerts import acknowledge_in
    from sloscope.store.alerts import AlertIdentity, AlertStates

    added = 0
    with ws.open_state() as store, store.transaction() as session:
        states = AlertStates(session)
        for alert in sorted(alerts, key=lambda a: a.start):
            identity = AlertIdentity(alert.service, alert.slo, alert.severity, alert.group)
            fired = states.apply(identity, "firing", at=alert.start, burn_rate=alert.peak_burn_rate)
            if fired.transition is None:
                continue  # recorded by an earlier demo run
            added += 1
            acked = alert.start + ACKNOWLEDGED_AFTER
            if alert.severity == "page" and acked <= min(alert.last, end):
                acknowledge_in(session, identity.key, by="demo", comment="on it", at=acked)
            if not alert.open:
                states.apply(
                    identity,
                    "resolved",
                    at=alert.last + alert.interval,
                    budget_consumed=alert.budget_consumed,
                )
    return added
