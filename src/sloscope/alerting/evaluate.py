"""The live alert evaluator: every SLO at one time, its alerts' states, their notifications.

The I/O edge around the pure alert logic. One call of :func:`evaluate_once`:

1. evaluates every SLO at ``at`` through the workspace (the engine's firing rows), and
   measures the error budget each firing alert has spent since it fired (from the SLO's
   counts, :func:`sloscope.events.impact.incident_impact`);
2. in ONE state-store transaction: loads each SLO's and severity's stored alert state,
   advances it (:func:`sloscope.alerting.state.advance`, with the configured lifetime:
   pending time and resolve hysteresis), runs the noise pipeline over the alerts firing
   now (dedup, silences judged at ``at``, page-inhibits-ticket, dependencies, grouping),
   saves the new states, their counters and their transitions (a pending alert that
   never fired ends ``inactive``, not ``resolved``), enqueues a notification for each
   firing that survived the pipeline and each resolution of a notified firing that no
   silence holds now (to the receivers the routes choose), enqueues one notification per
   budget-policy step an SLO crossed (:func:`sloscope.records.gating.notify_budget_crossings`),
   and advances each SLO's evaluation cursor;
3. after the commit, delivers what is due in the outbox.

A kill at any point loses nothing and sends nothing twice: the state change and its
notifications commit together or not at all, and the outbox keeps one row per alert,
transition and time. An SLO whose cursor is already at ``at`` (or later) is not
advanced again, so evaluating the same time twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sloscope.alerting import noise
from sloscope.alerting.model import Alert, slo_labels
from sloscope.alerting.spans import SEVERITIES, Lifetime
from sloscope.alerting.state import AlertState, Observation, Phase, Transition, advance
from sloscope.conventions import slo_id
from sloscope.engine.calendar import window_start
from sloscope.engine.windows import AlertSeverity
from sloscope.spec.durations import format_duration

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sloscope.alerting.adjustments import Adjustment
    from sloscope.alerting.notify.base import Notifier
    from sloscope.alerting.notify.delivery import DeliveryReport
    from sloscope.alerting.notify.message import Notification
    from sloscope.alerting.notify.routing import Route
    from sloscope.alerting.silences import Silence
    from sloscope.report.model import SLOResult
    from sloscope.sources.base import CountSeries, GroupKey, Source
    from sloscope.store.alerts import AlertIdentity, AlertStates
    from sloscope.store.alerts import AlertState as StoredState
    from sloscope.store.database import StateStore
    from sloscope.workspace import Workspace

#: The evaluation cursor's key column holds this many characters.
MAX_CURSOR_CHARS = 400


def stored_labels(stored: StoredState) -> dict[str, str]:
    """The labels silences and routes match a stored alert on: what the evaluator gave
    it (:meth:`Alert.match_labels`; the state machine's counters have their own columns)."""
    own = {k: str(v) for k, v in stored.labels.items()}
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
    labels: dict[str, str]
    stored: StoredState | None

    @property
    def notified(self) -> bool:
        """Whether the current firing (the stored one) was notified."""
        return self.stored is not None and self.stored.counters.notified

    @property
    def was_silenced(self) -> bool:
        """Whether a silence held the alert at its last evaluation."""
        return self.stored is not None and self.stored.counters.silenced

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
    own_source = source is None
    src = workspace.source() if source is None else source
    try:
        report = workspace.report(at, source=src, trends=False)
        spent = _spent_while_firing(workspace, store, src, report.results, at)
    finally:
        if own_source:
            src.close()
    routes = [r.to_route() for r in workspace.config.routes]
    depends_on = workspace.config.alerting.depends_on()
    with store.transaction() as session:
        silences = _silences(session, at)
        tracked, evaluated = _advance_all(session, report.results, at, lifetime)
        leaders = _leaders(tracked, at, lifetime, silences, depends_on)
        context = _Context(leaders, routes, silences, at, lifetime.interval, spent)
        enqueued = _record(session, tracked, context)
        enqueued += _budget_crossings(session, workspace, report.results, routes, at)
    _open_incidents(workspace, tracked, at)
    delivered = deliver_due(
        store, notifiers if notifiers is not None else workspace.notifiers(), at
    )
    return _outcome(at, evaluated, tracked, enqueued, delivered)


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
            before = _machine(identity.key, stored)
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
                    labels,
                    stored,
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


def _machine(key: str, stored: StoredState | None) -> AlertState:
    """The state machine's state from a stored alert (a fresh one when none is stored)."""
    if stored is None:
        return AlertState(key)
    phase: Phase = "inactive"
    if stored.state in ("pending", "firing"):
        phase = "pending" if stored.state == "pending" else "firing"
    firing = phase == "firing"
    counters = stored.counters
    return AlertState(
        key,
        phase,
        counters.run,
        counters.last_sustained,
        stored.fired_at if firing else None,
        peak=stored.peak_burn_rate if firing else None,
    )


def _leaders(
    tracked: Sequence[_Tracked],
    at: int,
    lifetime: Lifetime,
    silences: Sequence[Silence],
    depends_on: Mapping[str, Sequence[str]],
) -> dict[str, Alert]:
    """The alerts firing now that notify, by stable key, after the noise pipeline."""
    firing = [t.alert(at, lifetime.interval) for t in tracked if t.after.phase == "firing"]
    # Silences are judged at ``at``, not at each alert's start: one made while an alert
    # fires holds its notifications from then on, and its expiry lets them out again.
    steps = noise.default_pipeline(silences=silences, depends_on=depends_on, silenced_at=at)
    kept = noise.run(firing, steps)
    return {a.key: a for a in kept}


@dataclass(frozen=True)
class _Context:
    """What every alert of one evaluation is recorded against."""

    leaders: Mapping[str, Alert]  # the firing alerts that notify now, by noise-pipeline key
    routes: Sequence[Route]
    silences: Sequence[Silence]  # active at ``at``
    at: int
    interval: int
    spent: Mapping[str, float | None]  # budget spent since firing, by alert key


def _record(session: Session, tracked: Sequence[_Tracked], context: _Context) -> int:
    """Save every changed state and enqueue its notifications; the outbox rows added."""
    from sloscope.alerting.notify.delivery import enqueue
    from sloscope.alerting.notify.routing import receivers
    from sloscope.store.alerts import AlertStates
    from sloscope.store.outbox import Outbox

    states, outbox = AlertStates(session), Outbox(session)
    added = 0
    for t in tracked:
        silenced = _silenced(t, context)
        if not t.changes and (t.stored is None or _unchanged(t, silenced)):
            continue
        notified, messages = _notifications(t, context, silenced)
        for message in messages:
            added += enqueue(
                outbox, message, receivers(context.routes, message.routing_labels()), context.at
            )
        _save(states, t, context, notified=notified, silenced=silenced)
    return added


def _silenced(t: _Tracked, context: _Context) -> bool:
    """Whether a silence holds the alert at this evaluation."""
    labels = t.alert(context.at, context.interval).match_labels()
    return any(s.silences(labels, context.at) for s in context.silences)


def _unchanged(t: _Tracked, silenced: bool) -> bool:
    """Nothing to save: same machine state, same silence, no running figure to update."""
    return t.after == t.before and silenced == t.was_silenced and t.after.phase != "firing"


def _notifications(
    t: _Tracked, context: _Context, silenced: bool
) -> tuple[bool, list[Notification]]:
    """The notifications of the alert's changes now, and whether its firing is notified.

    A firing notifies when the noise pipeline keeps it (not silenced, grouped, held or
    inhibited now); a resolution when its firing was notified and no silence holds it
    now. A firing a silence held is notified late, once the silence no longer holds it.
    """
    firing = t.after.phase == "firing"
    leader = context.leaders.get(t.alert(context.at, context.interval).key) if firing else None
    notified = t.notified
    messages: list[Notification] = []
    for change in t.changes:
        send = False
        if change.to == "firing":
            send = notified = leader is not None
        elif change.to == "resolved":
            send, notified = notified and not silenced, False
        if send:
            spent = context.spent.get(t.identity.key) if change.to == "resolved" else None
            messages.append(_message(t, replace(change, budget_consumed=spent), leader))
    if firing and not notified and leader is not None and t.was_silenced and not t.changes:
        late = Transition(t.identity.key, "firing", context.at, t.after.since, t.after.peak)
        messages.append(_message(t, late, leader))
        notified = True
    return notified, messages


def _stored_state(t: _Tracked) -> str:
    """The stored state after the evaluation: the machine's phase, or how it ended."""
    if t.after.phase != "inactive":
        return t.after.phase
    ends = [c.to for c in t.changes if c.to in ("resolved", "inactive")]
    if ends:
        return ends[-1]
    return t.stored.state if t.stored is not None else "inactive"


def _save(
    states: AlertStates, t: _Tracked, context: _Context, *, notified: bool, silenced: bool
) -> None:
    """Record each change in order (each is a transition), then the state and counters."""
    from sloscope.store.alerts import Counters

    spent = context.spent.get(t.identity.key)
    for change in t.changes:
        figure: float | None = None
        if change.to == "firing":
            figure = 0.0
        elif change.to == "resolved":
            figure = spent
        states.apply(
            t.identity,
            change.to,
            at=change.at,
            burn_rate=change.peak_burn_rate,
            budget_consumed=figure,
            labels=t.labels,
        )
    after = t.after
    states.apply(
        t.identity,
        _stored_state(t),
        at=context.at,
        burn_rate=after.peak,
        budget_consumed=spent if after.phase == "firing" and not t.changes else None,
        labels=t.labels,
        counters=Counters(after.run, after.last_sustained, notified, silenced),
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


def _spent_while_firing(
    workspace: Workspace,
    store: StateStore,
    src: Source,
    results: Sequence[SLOResult],
    at: int,
) -> dict[str, float | None]:
    """The error budget each alert stored as firing has spent since it fired, by key.

    The SLO's counts from the alert's ``fired_at`` to ``at`` are fetched (one fetch per
    SLO with a firing alert, every group of a grouped SLO at once, before the state
    transaction so it holds no lock while the source answers) and measured by
    :func:`~sloscope.events.impact.incident_impact`: bad events in ``(fired_at, at]`` over
    the budget of the SLO window ending at ``at``. None when the source cannot answer or
    the window has no events.
    """
    from sloscope.errors import SourceError
    from sloscope.store.alerts import AlertIdentity, AlertStates

    with store.transaction() as session:
        firing = {s.key: s.fired_at for s in AlertStates(session).find(state="firing")}
    if not firing:
        return {}
    wanted: list[tuple[SLOResult, dict[str, int]]] = []
    for result in results:
        keys = {
            AlertIdentity(result.service.name, result.slo.name, sev, result.group_text).key
            for sev in SEVERITIES
        }
        fired = {k: t for k in keys if (t := firing.get(k)) is not None}
        if fired:
            wanted.append((result, fired))
    step = workspace.config.step_seconds
    # One span per SLO: from its window's start (or its earliest firing) to ``at``, at
    # full resolution since its earliest firing (at least one step).
    spans: dict[str, tuple[int, int, int]] = {}
    for result, fired in wanted:
        known = spans.get(_slo_key(result), (at, at, at))
        first = min(*fired.values(), at - step, known[1])
        begin = min(window_start(result.slo.window, at), first, known[0])
        spans[_slo_key(result)] = (begin, first, at)
    counts = _SLOCounts(workspace, src)
    adjustments = workspace.adjustments()
    spent: dict[str, float | None] = {}
    for result, fired in wanted:
        try:
            series = counts.of(result, spans[_slo_key(result)])
        except SourceError:
            series = None
        for key, began in fired.items():
            spent[key] = None if series is None else _impact(result, series, began, at, adjustments)
    return spent


def _slo_key(result: SLOResult) -> str:
    return slo_id(result.service.name, result.slo.name)


def _impact(
    result: SLOResult,
    series: CountSeries,
    began: int,
    at: int,
    adjustments: Sequence[Adjustment],
) -> float | None:
    """The budget spent from ``began`` to ``at``, without the steps an adjustment of the
    SLO (or its group) excludes, as the report leaves them out."""
    from sloscope.alerting.adjustments import adjusted_counts
    from sloscope.alerting.history import labels_of
    from sloscope.events.impact import incident_impact

    labels = {**labels_of(result.service, result.slo), **dict(result.group)}
    good, total = adjusted_counts(series, adjustments, labels)
    return incident_impact(
        result.slo, good, total, start=series.start, step=series.step, began=began, mitigated=at
    ).consumed


class _SLOCounts:
    """The counts of SLOs (or groups of a grouped SLO), each grouped SLO fetched once."""

    def __init__(self, workspace: Workspace, src: Source) -> None:
        self.workspace, self.src = workspace, src
        self.groups: dict[str, list[tuple[GroupKey, CountSeries]]] = {}

    def of(self, result: SLOResult, span: tuple[int, int, int]) -> CountSeries | None:
        """The counts of ``result``'s SLO (or group) over ``span``: from ``begin`` to
        ``at``, at full resolution since ``fine``."""
        from sloscope.sources.plan import FetchRequest, fetch_for_evaluation

        begin, fine, at = span
        step = self.workspace.config.step_seconds
        if result.group:
            from sloscope.report.groups import fetch_groups

            key = _slo_key(result)
            if key not in self.groups:
                self.groups[key] = fetch_groups(
                    self.src,
                    result.service,
                    result.slo,
                    (begin, at),
                    step,
                    max_groups=self.workspace.config.max_groups,
                )
            wanted = tuple(result.group)
            return next((c for g, c in self.groups[key] if tuple(g) == wanted), None)
        request = FetchRequest(
            sli=result.slo.sli, begin=begin, fine_since=fine, id=_slo_key(result)
        )
        (series,) = fetch_for_evaluation(self.src, [request], at, step)
        return series


def _budget_crossings(
    session: Session,
    workspace: Workspace,
    results: Sequence[SLOResult],
    routes: Sequence[Route],
    at: int,
) -> int:
    """Enqueue a notification for each budget-policy step an SLO crossed since its last
    evaluation (once per crossing: the steps held are stored in this transaction)."""
    from sloscope.records.gating import notify_budget_crossings

    figures = [workspace.budget_figures(r) for r in results]
    return notify_budget_crossings(session, figures, routes, at, at)


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
