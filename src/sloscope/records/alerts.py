"""The alerts on record as the dashboard shows them: which fire now, which of those an
active silence covers, and the matchers that silence exactly one alert.

Read from the state store the evaluator writes (:mod:`sloscope.store.alerts`); whether
a silence covers an alert is the noise pipeline's rule
(:meth:`sloscope.alerting.silences.Silence.silences`), applied to the labels the
evaluator matched the alert on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sloscope.store.alerts import AlertState

#: Stored states of an alert that is (about to be) firing.
ACTIVE_STATES = ("firing", "pending")


@dataclass(frozen=True)
class ActiveAlert:
    """A firing (or pending) alert, its labels, and the active silences covering it."""

    state: AlertState
    labels: dict[str, str]
    silenced_by: tuple[int, ...]

    @property
    def silenced(self) -> bool:
        """Whether an active silence covers the alert (it notifies nobody)."""
        return bool(self.silenced_by)


def active_alerts(
    session: Session, at: int, *, service: str | None = None, slo: str | None = None
) -> list[ActiveAlert]:
    """Alerts firing or pending at ``at`` (optionally of one service and SLO), oldest
    first, each with the ids of the silences active at ``at`` that cover it."""
    from sloscope.alerting.evaluate import stored_labels
    from sloscope.store.alerts import AlertStates
    from sloscope.store.silences import Silences

    rules = [(s.id, s.rule()) for s in Silences(session).find(active_at=at)]
    found = []
    for state in AlertStates(session).find(service=service):
        if state.state not in ACTIVE_STATES or (slo is not None and state.identity.slo != slo):
            continue
        labels = stored_labels(state)
        covering = tuple(i for i, rule in rules if rule.silences(labels, at))
        found.append(ActiveAlert(state, labels, covering))
    return found


def find_active(session: Session, at: int, key: str) -> ActiveAlert | None:
    """The active alert with dedup key ``key`` at ``at``, or None."""
    return next((a for a in active_alerts(session, at) if a.state.key == key), None)


def silence_matchers(alert: ActiveAlert) -> list[str]:
    """Matchers that silence this alert and no other: its service, SLO and severity, and
    for a grouped SLO's alert every other label it carries (the group's among them)."""
    identity = alert.state.identity
    names = ["service", "slo", "severity"]
    if identity.group_key:
        names += sorted(k for k in alert.labels if k not in names)
    # The matcher parser takes the value between the outer quotes as it is (no escapes).
    return [f'{name}="{alert.labels[name]}"' for name in names]
