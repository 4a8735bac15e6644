"""The live alert evaluator: every SLO at one time, its alerts' states, their notifications.

The I/O edge around the pure alert logic. One call of :func:`evaluate_once`:

1. evaluates every SLO at ``at`` through the workspace (the engine's firing rows);
2. in ONE state-store transaction: loads each SLO's and severity's stored alert state,
   advances it (:func:`sloscope.alerting.state.advance`, with the configured lifetime:
   pending time and resolve hysteresis), runs the noise pipeline over the alerts firing
   now (dedup, silences, page-inhibits-ticket, dependencies, grouping), saves the new
   states and their transitions, enqueues a notification for each firing and resolution
   that survived the pipeline (to the receivers the routes choose), and advances each
   SLO's evaluation cursor;
3. after the commit, delivers what is due in the outbox.

A kill at any point loses nothing and sends nothing twice: the state change and its
notifications commit together or not at all, and the outbox keeps one row per alert,
transition and time. An SLO whose cursor is already at ``at`` (or later) is not
advanced again, so evaluating the same time twice changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sloscope.alerting import noise
from sloscope.alerting.model import Alert, slo_labels
from sloscope.alerting.spans import SEVERITIES, Lifetime
from sloscope.alerting.state import AlertState, Observation, Phase, Transition, advance
from sloscope.conventions import slo_id
from sloscope.engine.windows import AlertSeverity
from sloscope.spec.durations import format_duration

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sloscope.alerting.notify.base import Notifier
    from sloscope.alerting.notify.delivery import DeliveryReport
    from sloscope.alerting.notify.message import Notification
    from sloscope.alerting.notify.routing import Route
    from sloscope.alerting.silences import Silence
    from sloscope.report.model import SLOResult
    from sloscope.sources.base import Source
    from sloscope.store.alerts import AlertIdentity, AlertStates
    from sloscope.store.alerts import AlertState as StoredState
    from sloscope.store.database import StateStore
    from sloscope.workspace import Workspace

#: The key of the stored alert labels that keeps the state machine's counters.
MACHINE_KEY = "evaluation"

#: Crash-test hook: when set to a file path, an evaluation writes that file after its
#: state change commits and then waits (at most :data:`PAUSE_SECONDS`) before delivering,
#: so a test can kill the process -9 exactly there. Unset in normal use.
PAUSE_ENV = "SLOSCOPE_TEST_PAUSE_BEFORE_DELIVERY"
PAUSE_SECONDS = 30.0

#: The evaluation cursor's key column holds this many characters.
MAX_CURSOR_CHARS = 400


def stored_labels(stored: StoredState) -> dict[str, str]:
    """The labels silences and routes match a stored alert on: what the evaluator gave
    it (:meth:`Alert.match_labels`), without the state machine's counters."""
    own = {k: str(v) for k, v in stored.labels.items() if k != MACHINE_KEY}
    identity = stored.identity
    return {**own, "service": identity.service, "slo": identity.slo, "severity": identity.severity}


@dataclass(frozen=True)
class EvaluationOutcome:
    """What one :func:`evaluate_once` did."""

    at: int
    evaluated: int  # SLOs advanced (not already evaluated at ``at``)
    firing: int  # alerts firing after the evaluation
    enqueued: int  # outbox rows added
    transitions: tuple[Transition, ...] = ()
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0

    def counts(self) -> dict[str, int]:
        """The figures the server loop counts (notifications by outcome)."""
        return {"sent": self.sent, "retried": self.retried, "dead": self.dead, "lost": self.lost}

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"evaluated {self.evaluated} SLO(s) at {self.at}: {self.firing} alert(s) firing, "
            f"{len(self.transitions)} change(s), {self.enqueued} notification(s) queued; "
            f"sent {self.sent}, retried {self.retried}, dead {self.dead}"
        )


@dataclass
class _Tracked:
    """One SLO and severity during an evaluation: its state before and after, its figures."""

    identity: AlertIdentity
    result: SLOResult
    severity: AlertSeverity
    before: AlertState
    after: AlertState
    changes: tuple[Transition, ...]
    notified: bool
    labels: dict[str, str]
    stored: bool

    def alert(self, at: int, interval: int) -> Alert:
        """The firing alert as the noise pipeline sees it (started ``since``, still at ``at``)."""
        return Alert(
            self.identity.service,
            self.identity.slo,
            self.severity,
            start=self.after.since if self.after.since is not None else at,
            last=at,
            interval=interval,
            peak_burn_rate=self.after.peak,
            group=self.identity.group_key,
            labels=self.labels,
        )


def evaluate_once(
    workspace: Workspace,
    store: StateStore,
    at: int,
    *,
    source: Source | None = None,
    notifiers: Mapping[str, Notifier] | None = None,
) -> EvaluationOutcome:
    """Evaluate every SLO at ``at``, record and notify alert changes, deliver what is due.

    ``source`` and ``notifiers`` default to the workspace's own (tests pass fakes).
    """
    from sloscope.alerting.notify.delivery import deliver_due

    lifetime = workspace.config.lifetime()
    report = workspace.report(at, source=source, trends=False)
    routes = [r.to_route() for r in workspace.config.routes]
    depends_on = workspace.config.alerting.depends_on()
    with store.transaction() as session:
        silences = _silences(session, at)
        tracked, evaluated = _advance_all(session, report.results, at, lifetime)
        leaders = _leaders(tracked, at, lifetime, silences, depends_on)
        enqueued = _record(session, tracked, leaders, routes, at, interval=lifetime.interval)
    _open_incidents(workspace, tracked, at)
    _pause_for_crash_test()
    delivered = deliver_due(
        store, notifiers if notifiers is not None else workspace.notifiers(), at
    )
    return _outcome(at, evaluated, tracked, enqueued, delivered)


def _pause_for_crash_test() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        Path(marker).write_text("committed\n", encoding="utf-8")
        time.sleep(PAUSE_SECONDS)


def _outcome(
    at: int, evaluated: int, tracked: Sequence[_Tracked], enqueued: int, delivered: DeliveryReport
) -> EvaluationOutcome:
    return EvaluationOutcome(
        at=at,
        evaluated=evaluated,
        firing=sum(t.after.phase == "firing" for t in tracked),
        enqueued=enqueued,
        transitions=tuple(c for t in tracked for c in t.changes),
        sent=delivered.sent,
        retried=delivered.retried,
        dead=delivered.dead,
        lost=delivered.lost,
    )


def _silences(session: Session, at: int) -> list[Silence]:
    from sloscope.store.silences import Silences

    return [stored.rule() for stored in Silences(session).find(active_at=at)]


def _advance_all(
    session: Session, results: Sequence[SLOResult], at: int, lifetime: Lifetime
) -> tuple[list[_Tracked], int]:
    """Every SLO's and severity's state before and after ``at``; and how many SLOs moved."""
    from sloscope.store.alerts import AlertIdentity, AlertStates
    from sloscope.store.cursors import Cursors

    states, cursors = AlertStates(session), Cursors(session)
    tracked: list[_Tracked] = []
    evaluated = 0
    for result in results:
        service, slo = result.service, result.slo
        # A grouped SLO gives one result per group: each group is its own alert and cursor.
        cursor = _cursor_id(slo_id(service.name, slo.name), result.group_text)
        seen = cursors.get(cursor)
        fresh = seen is None or seen < at
        evaluated += fresh
        for severity in SEVERITIES:
            identity = AlertIdentity(service.name, slo.name, severity, result.group_text)
            stored = states.get(identity.key)
            before, notified = _machine(identity.key, stored)
            after: AlertState = before
            changes: tuple[Transition, ...] = ()
            if fresh:
                obs = _observation(result, severity, at)
                after, changes = advance(before, obs, lifetime, result.status.error_budget)
            labels = slo_labels(
                service.name,
                slo.name,
                journey=slo.journey,
                own={**service.labels, **slo.labels, **dict(result.group)},
            )
            tracked.append(
                _Tracked(
                    identity,
                    result,
                    severity,
                    before,
                    after,
                    changes,
                    notified,
                    labels,
                    stored is not None,
                )
            )
        if fresh:
            cursors.advance(cursor, at, at)
    return tracked, evaluated


def _cursor_id(slo: str, group: str) -> str:
    """The cursor of one SLO (and group); a long group is hashed to fit the column."""
    whole = slo + group
    if len(whole) <= MAX_CURSOR_CHARS:
        return whole
    return f"{slo[:300]}#{hashlib.sha256(whole.encode('utf-8')).hexdigest()[:32]}"


def _observation(result: SLOResult, severity: AlertSeverity, at: int) -> Observation:
    rows = [a for a in result.status.alerts if a.severity == severity]
    burn = max((a.long_burn for a in rows), default=None)
    return Observation(
        at=at, condition=bool(rows), burn=burn, window_total=result.status.total or 0.0
    )


def _machine(key: str, stored: StoredState | None) -> tuple[AlertState, bool]:
    """The state machine's state from a stored alert (a fresh one when none is stored)."""
    if stored is None:
        return AlertState(key), False
    extras = stored.labels.get(MACHINE_KEY) or {}
    phase: Phase = "inactive"
    if stored.state in ("pending", "firing"):
        phase = "pending" if stored.state == "pending" else "firing"
    firing = phase == "firing"
    state = AlertState(
        key,
        phase,
        int(extras.get("run", 0)),
        extras.get("last_sustained"),
        stored.fired_at if firing else None,
        float(extras.get("bad", 0.0)),
        float(extras.get("window_total", 0.0)),
        stored.peak_burn_rate if firing else None,
    )
    return state, bool(extras.get("notified", False)) and firing


def _leaders(
    tracked: Sequence[_Tracked],
    at: int,
    lifetime: Lifetime,
    silences: Sequence[Silence],
    depends_on: Mapping[str, Sequence[str]],
) -> dict[str, Alert]:
    """The alerts firing now that notify, by stable key, after the noise pipeline."""
    firing = [t.alert(at, lifetime.interval) for t in tracked if t.after.phase == "firing"]
    kept = noise.run(firing, noise.default_pipeline(silences=silences, depends_on=depends_on))
    return {a.key: a for a in kept}


def _record(
    session: Session,
    tracked: Sequence[_Tracked],
    leaders: Mapping[str, Alert],
    routes: Sequence[Route],
    at: int,
    *,
    interval: int,
) -> int:
    """Save every changed state and enqueue its notifications; the outbox rows added."""
    from sloscope.alerting.notify.delivery import enqueue
    from sloscope.alerting.notify.routing import receivers
    from sloscope.store.alerts import AlertStates
    from sloscope.store.outbox import Outbox

    states, outbox = AlertStates(session), Outbox(session)
    added = 0
    for t in tracked:
        if not t.changes and not (t.stored and t.after != t.before):
            continue
        leader = leaders.get(t.alert(at, interval).key) if t.after.phase == "firing" else None
        notified = t.notified
        for change in t.changes:
            send = change.to == "firing" and leader is not None
            send = send or (change.to == "resolved" and notified)
            notified = (notified or send) and change.to != "resolved"
            if send:
                message = _message(t, change, leader)
                added += enqueue(outbox, message, receivers(routes, message.routing_labels()), at)
        if not t.changes:
            notified = t.notified
        _save(states, t, at, notified)
    return added


def _save(states: AlertStates, t: _Tracked, at: int, notified: bool) -> None:
    after = t.after
    stored_state = after.phase if after.phase != "inactive" else "resolved"
    machine = {
        "run": after.run,
        "last_sustained": after.last_sustained,
        "bad": after.bad,
        "window_total": after.window_total,
        "notified": notified,
    }
    status = t.result.status
    states.apply(
        t.identity,
        stored_state,
        at=at,
        burn_rate=after.peak,
        budget_consumed=status.consumed,
        labels={**t.labels, MACHINE_KEY: machine},
    )


def _message(t: _Tracked, change: Transition, leader: Alert | None) -> Notification:
    """The notification of one firing or resolution."""
    from sloscope.alerting.notify.message import BurnWindow, Notification, RelatedAlert

    status, slo = t.result.status, t.result.slo
    rows = [a for a in status.alerts if a.severity == t.severity]
    windows = tuple(
        BurnWindow(
            long=format_duration(a.long_seconds),
            short=format_duration(a.short_seconds),
            factor=a.factor,
            long_burn_rate=a.long_burn,
            short_burn_rate=a.short_burn,
        )
        for a in rows
    )
    related = tuple(
        RelatedAlert(
            service=link.service,
            slo=link.slo,
            severity=link.severity,
            relation="held" if link.relation == "held" else "grouped",
            reason=link.relation,
        )
        for link in (leader.related if leader is not None else ())
    )
    exhaustion = status.exhaustion_seconds
    tier = slo.alerting.page if t.severity == "page" else slo.alerting.ticket
    burn = change.peak_burn_rate if change.peak_burn_rate is not None else 0.0
    return Notification(
        service=t.identity.service,
        slo=t.identity.slo,
        journey=slo.journey,
        severity=t.severity,
        transition="firing" if change.to == "firing" else "resolved",
        at=change.at,
        started_at=change.since if change.since is not None else change.at,
        dedup_key=t.identity.key,
        burn_rate=max(0.0, burn),
        windows=windows,
        objective=slo.objective,
        budget_consumed=status.consumed,
        budget_remaining=status.remaining,
        exhaustion_at=None if exhaustion is None else change.at + int(exhaustion),
        runbook_url=slo.alerting.runbook,
        dashboard_url=slo.alerting.dashboard,
        related=related,
        labels={**t.labels, **dict(getattr(tier, "labels", {}) or {})},
    )


def _open_incidents(workspace: Workspace, tracked: Sequence[_Tracked], at: int) -> None:
    """Open the incident of each page that started firing (when the config asks for it)."""
    if not workspace.config.events.open_on_page:
        return
    from sloscope.records.incidents import open_incident_for_page

    for t in tracked:
        for change in t.changes:
            if t.severity == "page" and change.to == "firing":
                open_incident_for_page(
                    workspace,
                    service=t.identity.service,
                    slo=t.identity.slo,
                    dedup_key=t.identity.key,
                    fired_at=change.at,
                    now=at,
                )
