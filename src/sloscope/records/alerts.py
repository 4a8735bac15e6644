"""The alerts on record as the dashboard and the API show them: which fire now, which of
those an active silence covers, each alert's transitions, and the matchers that silence
exactly one alert.

Read from the state store the evaluator writes (:mod:`sloscope.store.alerts`); whether
a silence covers an alert is the noise pipeline's rule
(:meth:`sloscope.alerting.silences.Silence.silences`), applied to the labels the
evaluator matched the alert on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sloscope.errors import NotFoundError, RequestError
from sloscope.timeparse import format_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sloscope.alerting.silences import Silence
    from sloscope.store.alerts import Acknowledgement, AlertState, Transition
    from sloscope.workspace import Workspace

#: Stored states of an alert that is (about to be) firing.
ACTIVE_STATES = ("firing", "pending")
#: The states an alert list can be filtered by: the stored ones, and ``silenced``.
ALERT_FILTERS = ("firing", "pending", "resolved", "inactive", "silenced")
#: The longest name of who acknowledges, and the longest comment.
MAX_ACK_BY_CHARS = 200
MAX_ACK_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class ActiveAlert:
    """An alert on record, its labels, and the active silences covering it (none when it
    is resolved: only a firing or pending alert can be silenced)."""

    state: AlertState
    labels: dict[str, str]
    silenced_by: tuple[int, ...]

    @property
    def silenced(self) -> bool:
        """Whether an active silence covers the alert (it notifies nobody)."""
        return bool(self.silenced_by)

    def to_dict(self) -> dict[str, Any]:
        """The alert as the API shows it (times RFC 3339, without the evaluator's
        counters)."""
        a = self.state
        identity = a.identity
        return {
            "key": a.key,
            "service": identity.service,
            "slo": identity.slo,
            "severity": identity.severity,
            "group": identity.group_key or None,
            "state": a.state,
            "silenced": self.silenced,
            "silenced_by": list(self.silenced_by),
            "since": format_time(a.since),
            "fired_at": _time(a.fired_at),
            "resolved_at": _time(a.resolved_at),
            "peak_burn_rate": a.peak_burn_rate,
            "budget_consumed": a.budget_consumed,
            "acked_at": _time(a.acked_at),
            "acked_by": a.acked_by,
            "labels": self.labels,
        }


def _rules(session: Session, at: int) -> list[tuple[int, Silence]]:
    """The silences active at ``at``, by id, as the noise pipeline applies them."""
    from sloscope.store.silences import Silences

    return [(s.id, s.rule()) for s in Silences(session).find(active_at=at)]


def _alert(state: AlertState, rules: list[tuple[int, Silence]], at: int) -> ActiveAlert:
    """``state`` with its labels and the silences of ``rules`` that cover it at ``at``."""
    from sloscope.alerting.evaluate import stored_labels

    labels = stored_labels(state)
    if state.state not in ACTIVE_STATES:
        return ActiveAlert(state, labels, ())
    return ActiveAlert(state, labels, tuple(i for i, rule in rules if rule.silences(labels, at)))


def active_alerts(
    session: Session, at: int, *, service: str | None = None, slo: str | None = None
) -> list[ActiveAlert]:
    """Alerts firing or pending at ``at`` (optionally of one service and SLO), oldest
    first, each with the ids of the silences active at ``at`` that cover it."""
    from sloscope.store.alerts import AlertStates

    rules = _rules(session, at)
    return [
        _alert(state, rules, at)
        for state in AlertStates(session).find(service=service, slo=slo)
        if state.state in ACTIVE_STATES
    ]


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


def recorded_alerts(
    ws: Workspace,
    now: int,
    *,
    state: str | None = None,
    service: str | None = None,
    slo: str | None = None,
) -> list[ActiveAlert]:
    """Every alert on record, the most recent change first, optionally only in ``state``
    (one of :data:`ALERT_FILTERS`: ``firing`` and ``pending`` leave out the silenced
    ones, ``silenced`` lists only those), of ``service`` or of ``slo``."""
    from sloscope.store.alerts import AlertStates

    if state is not None and state not in ALERT_FILTERS:
        raise RequestError(f"state: one of {', '.join(ALERT_FILTERS)}, not {state!r}")
    stored_state = None if state in (None, "silenced") else state
    with ws.open_state() as store, store.transaction() as session:
        rules = _rules(session, now)
        found = AlertStates(session).find(state=stored_state, service=service, slo=slo)
    alerts = [_alert(a, rules, now) for a in reversed(found)]
    if state == "silenced":
        return [a for a in alerts if a.silenced]
    if state in ACTIVE_STATES:
        return [a for a in alerts if not a.silenced]
    return alerts


def alert_history(ws: Workspace, key: str, now: int) -> tuple[ActiveAlert, list[Transition]]:
    """One alert on record (by its dedup key) and its transitions, oldest first;
    :class:`NotFoundError` when no alert has that key."""
    from sloscope.store.alerts import AlertStates

    with ws.open_state() as store, store.transaction() as session:
        states = AlertStates(session)
        found = states.get(key)
        if found is None:
            raise NotFoundError(f"no alert with key {key!r}; the alert list shows every key")
        transitions = states.history(key)
        rules = _rules(session, now)
    return _alert(found, rules, now), transitions


def alert_document(ws: Workspace, key: str, now: int) -> dict[str, Any]:
    """One alert with its transitions, oldest first: what ``GET /api/v1/alerts/{key}``
    answers and ``alert show --json`` prints."""
    alert, transitions = alert_history(ws, key, now)
    return alert.to_dict() | {"transitions": [transition_to_dict(t) for t in transitions]}


def acknowledge_alert(
    ws: Workspace, key: str, *, by: str, comment: str | None, now: int
) -> tuple[ActiveAlert, bool]:
    """``by`` acknowledges the firing or pending alert ``key`` at ``now`` (the CLI's
    ``alert ack`` and the API's ``POST /alerts/{key}/ack``): the alert as it is now, and
    whether this call acknowledged it (False when it already was: the first
    acknowledgement is kept, nothing is written). A first acknowledgement also goes to
    the audit log (``ack``), in the same transaction."""
    who, why = by.strip(), (comment or "").strip()
    if not who or len(who) > MAX_ACK_BY_CHARS:
        raise RequestError(f"by: give a name of 1 to {MAX_ACK_BY_CHARS} characters")
    if len(why) > MAX_ACK_COMMENT_CHARS:
        raise RequestError(f"comment: at most {MAX_ACK_COMMENT_CHARS} characters")
    with ws.open_state() as store, store.transaction() as session:
        done = acknowledge_in(session, key, by=who, comment=why, at=now)
        rules = _rules(session, now)
    return _alert(done.state, rules, now), done.first


def acknowledge_in(
    session: Session, key: str, *, by: str, comment: str, at: int
) -> Acknowledgement:
    """``by`` acknowledges the alert ``key`` at ``at`` within ``session``'s transaction:
    the alert's acknowledgement and, when it is the first, its ``ack`` audit entry (which
    the org report reads to count the firing actionable). Checks nothing of ``by`` and
    ``comment``: callers do (:func:`acknowledge_alert`)."""
    from sloscope.store.alerts import AlertStates
    from sloscope.store.audit import AuditLog

    done = AlertStates(session).acknowledge(key, by=by, at=at)
    if done.first:
        state = done.state
        identity = state.identity
        AuditLog(session).append(
            at=at,
            kind="ack",
            service=identity.service,
            by=by,
            reason=comment,
            detail={
                "key": state.key,
                "slo": identity.slo,
                "severity": identity.severity,
                "state": state.state,
                "since": state.since,
            },
        )
    return done


def transition_to_dict(transition: Transition) -> dict[str, Any]:
    """One recorded change of an alert's state."""
    return {
        "from": transition.from_state,
        "to": transition.to_state,
        "at": format_time(transition.at),
        "burn_rate": transition.burn_rate,
        "budget_consumed": transition.budget_consumed,
    }


def _time(value: int | None) -> str | None:
    return format_time(value) if value is not None else None
