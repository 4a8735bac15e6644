"""The release gate with a memory: every decision recorded, overrides and exceptions
audited, budget-step crossings notified once.

:func:`gate_and_record` asks the workspace's gate with the overrides the store holds,
then in one transaction records the decision (and, with ``record``, the deployment it
allowed), appends any exception to the audit log, and enqueues a notification for each
budget-policy step an SLO crossed since its last evaluation
(:func:`notify_budget_crossings`, which the alert evaluator can call too).
Bad input (unknown service, an exception without reason or of a kind no policy allows)
raises before anything is written.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from sloscope.errors import RequestError
from sloscope.policy.budget import crossed, format_percent, held_steps
from sloscope.policy.gate import GateDecision, GateException, Override, check_override

if TYPE_CHECKING:
    from sloscope.alerting.notify.routing import Route
    from sloscope.policy.gate import SLOFigures
    from sloscope.report.model import Report
    from sloscope.store.audit import AuditEntry
    from sloscope.store.database import Executor
    from sloscope.store.gate_rows import GateRecord, StoredOverride
    from sloscope.store.plain_gates import PlainGates
    from sloscope.workspace import Workspace

#: A name (who asked, who granted) is a name, not a document.
MAX_NAME_CHARS = 200


class GateOutcome(NamedTuple):
    """A gate decision, its record, and the deployment recorded with it (if any);
    ``document`` is the decision as ``gate --json`` prints it
    (:func:`~sloscope.policy.render.gate_to_dict`), made once for the record and the
    answer."""

    decision: GateDecision
    record: GateRecord
    deployment_id: int | None
    notified: int
    document: dict[str, Any]


def check_name(name: str, option: str) -> str:
    """A person's name, stripped; :class:`RequestError` when empty or too long."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_CHARS:
        raise RequestError(f"{option}: give a name of 1 to {MAX_NAME_CHARS} characters")
    return cleaned


def gate_and_record(
    ws: Workspace,
    service: str,
    at: int,
    *,
    asked_by: str,
    now: int,
    journey: str | None = None,
    version: str | None = None,
    exception: GateException | None = None,
    record: bool = False,
    commit: str | None = None,
    request_id: str | None = None,
    evaluated: Report | None = None,
    memo: StepMemo | None = None,
    direct: bool = False,
) -> GateOutcome:
    """Ask the gate (with the overrides on record) and record its answer: what
    ``sloscope gate`` and ``POST /api/v1/gate`` both do. ``evaluated``: the service's
    report at ``at`` if already computed (a server's cache), read instead of the source.
    ``memo``: the budget steps this process stored lately (a server keeps one).
    ``direct`` (a one-shot command): on a SQLite file at the newest schema, read and
    write the common case's rows with the stdlib sqlite3, not SQLAlchemy
    (:mod:`sloscope.store.plain_gates`)."""
    asked_by = check_name(asked_by, "--by")
    if record and not version:
        raise RequestError("--record needs --version V: the deployment to record")

    def ask(stored: Sequence[StoredOverride]) -> GateDecision:
        return ws.gate(
            service,
            at,
            journey=journey,
            version=version,
            exception=exception,
            overrides=[_override(o) for o in stored],
            evaluated=evaluated,
        )

    keep = partial(
        _record,
        ws=ws,
        asked_by=asked_by,
        now=now,
        record=record,
        commit=commit,
        request_id=request_id,
        memo=memo,
    )
    # An exception goes to the audit log and --record adds a deployment: SQLAlchemy's
    # (as is a server's step memo, which only the repositories' commits update).
    usual = exception is None and not record and memo is None
    plain = _open_plain(ws) if direct and usual else None
    if plain is not None:
        with plain:
            with plain.transaction():
                stored = plain.active_overrides(service, at)
            decision = ask(stored)
            outcome = _record_plain(
                plain, decision, stored=stored, asked_by=asked_by, now=now, request_id=request_id
            )
        if outcome is not None:
            return outcome
        # Something unusual (a budget step crossed): the repositories record it instead.
        with ws.open_state() as store, store.connection() as session:
            return keep(session, decision, stored=stored)
    # Core connections, not ORM sessions: every repository the gate writes through runs
    # Core statements, so the command never imports the ORM or builds its mappers.
    with ws.open_state() as store:
        with store.connection() as session:
            stored = _active_overrides(session, service, at)
            if evaluated is not None:
                # Nothing to read from the source: decide and record in this transaction.
                return keep(session, ask(stored), stored=stored)
        # The gate reads the telemetry, which may take seconds: not in a transaction.
        decision = ask(stored)
        with store.connection() as session:
            return keep(session, decision, stored=stored)


def _decision_values(
    decision: GateDecision,
    document: Mapping[str, Any],
    *,
    stored: Sequence[StoredOverride],
    asked_by: str,
    now: int,
    request_id: str | None,
) -> dict[str, Any]:
    """The columns of ``decision``'s record (a new ``request_id`` unless given)."""
    request = decision.request
    exception = request.exception
    return {
        "request_id": request_id or uuid.uuid4().hex,
        "service": request.service,
        "journey": request.journey,
        "version": request.version,
        "asked_by": asked_by,
        "at": request.at,
        "decision": decision.decision,
        "reasons": list(decision.reasons),
        "figures": document["slos"],
        "exception_kind": exception.kind if exception else None,
        "exception_reason": exception.reason if exception else None,
        "override_id": _override_id(decision, stored),
        "deployment_id": None,
        "created_at": now,
    }


def _record(
    session: Executor,
    decision: GateDecision,
    *,
    ws: Workspace,
    stored: Sequence[StoredOverride],
    asked_by: str,
    now: int,
    record: bool,
    commit: str | None,
    request_id: str | None,
    memo: StepMemo | None,
) -> GateOutcome:
    from sloscope.policy.render import gate_to_dict
    from sloscope.store.gates import GateRecords

    request = decision.request
    exception = request.exception
    document = gate_to_dict(decision)
    values = _decision_values(
        decision, document, stored=stored, asked_by=asked_by, now=now, request_id=request_id
    )
    kept = GateRecords(session).add(values)
    if exception is not None:
        from sloscope.store.audit import AuditLog

        lifted = any(v.lifted_by == "exception" for v in decision.slos)
        AuditLog(session).append(
            at=request.at,
            kind="exception",
            service=request.service,
            by=asked_by,
            reason=exception.reason,
            detail={
                "exception": exception.kind,
                "version": request.version,
                "decision": decision.decision,
                "lifted_freeze": lifted,
                "gate_decision": kept.id,
            },
        )
    deployment_id = None
    if record and decision.decision in ("allow", "warn") and request.version:
        from sloscope.events.model import Deployment
        from sloscope.store.events import Deployments

        deployment = Deployment(request.service, request.version, request.at, commit)
        deployment_id = Deployments(session).add(deployment, recorded_by=asked_by, now=now).id
        GateRecords(session).link_deployment(kept.id, deployment_id)
    routes = [r.to_route() for r in ws.config.routes]
    notified = notify_budget_crossings(
        session, [v.figures for v in decision.slos], routes, request.at, now, memo=memo
    )
    return GateOutcome(decision, kept, deployment_id, notified, document)


class _UnusualError(Exception):
    """The direct transaction met what only the repositories handle: roll it back."""


def _open_plain(ws: Workspace) -> PlainGates | None:
    """The state store for the direct path, when it is a SQLite file at the newest schema."""
    from sloscope.store.peek import sqlite_file
    from sloscope.store.plain_gates import PlainGates

    path = sqlite_file(ws.config.state.url, ws.root)
    return PlainGates.open(path) if path is not None else None


def _record_plain(
    plain: PlainGates,
    decision: GateDecision,
    *,
    stored: Sequence[StoredOverride],
    asked_by: str,
    now: int,
    request_id: str | None,
) -> GateOutcome | None:
    """Record ``decision`` (no exception, no deployment) and store the steps its SLOs hold,
    in one transaction on ``plain``; None, with nothing written, when a step was crossed
    (notifications to enqueue) or the request was recorded before."""
    from sloscope.policy.render import gate_to_dict

    document = gate_to_dict(decision)
    values = _decision_values(
        decision, document, stored=stored, asked_by=asked_by, now=now, request_id=request_id
    )
    figures = [v.figures for v in decision.slos]
    now_held = _held(figures)
    try:
        with plain.transaction():
            kept = plain.add_decision(values)
            before = plain.swap_steps(now_held, decision.request.at)
            if kept is None or any(crossed(before[f.id], now_held[f.id]) for f in figures):
                raise _UnusualError
    except _UnusualError:
        return None
    return GateOutcome(decision, kept, None, 0, document)


def _override_id(decision: GateDecision, stored: Sequence[StoredOverride]) -> int | None:
    used = decision.override
    if used is None:
        return None
    return next((o.id for o in stored if o.by == used.by and o.until == used.until), None)


def _active_overrides(session: Executor, service: str, at: int) -> list[StoredOverride]:
    from sloscope.store.gates import Overrides

    return Overrides(session).active(service, at)


def _override(stored: StoredOverride) -> Override:
    return Override(
        service=stored.service,
        by=stored.by,
        reason=stored.reason,
        until=stored.until,
        since=stored.since,
        journey=stored.journey,
    )


def grant_override(
    ws: Workspace,
    service: str,
    *,
    by: str,
    reason: str,
    until: int,
    since: int,
    now: int,
    journey: str | None = None,
) -> StoredOverride:
    """Store an override of ``service``'s freezes and its audit entry, in one transaction.

    Raises :class:`RequestError` (nothing written) without who, why or a valid expiry,
    and :class:`~sloscope.errors.NotFoundError` for a service the specs do not have.
    """
    from sloscope.store.audit import AuditLog
    from sloscope.store.gates import Overrides

    override = Override(service, by.strip(), reason.strip(), until, since, journey)
    check_override(override)
    check_name(by, "--by")
    ws.select(ws.services(), service)
    with ws.open_state() as store, store.connection() as session:
        kept = Overrides(session).add(
            service=service,
            journey=journey,
            by=override.by,
            reason=override.reason,
            since=since,
            until=until,
            now=now,
        )
        AuditLog(session).append(
            at=since,
            kind="override",
            service=service,
            by=override.by,
            reason=override.reason,
            detail={"override": kept.id, "until": until, "journey": journey},
        )
        return kept


def audit_entries(
    ws: Workspace,
    *,
    service: str | None = None,
    begin: int | None = None,
    end: int | None = None,
) -> list[AuditEntry]:
    """The audit log, oldest first, optionally of one service and in ``[begin, end)``."""
    from sloscope.store.audit import AuditLog

    with ws.open_state() as store, store.connection() as session:
        return AuditLog(session).find(service=service, begin=begin, end=end)


def gate_decisions(
    ws: Workspace,
    *,
    service: str | None = None,
    begin: int | None = None,
    end: int | None = None,
) -> list[GateRecord]:
    """Recorded gate decisions, oldest first, optionally of one service and asked about
    a time in ``[begin, end)``."""
    from sloscope.store.gates import GateRecords

    with ws.open_state() as store, store.connection() as session:
        return GateRecords(session).find(service=service, begin=begin, end=end)


def overrides(
    ws: Workspace,
    *,
    service: str | None = None,
    begin: int | None = None,
    end: int | None = None,
) -> list[StoredOverride]:
    """Overrides granted in ``[begin, end)`` (expired ones too), oldest first."""
    from sloscope.store.gates import Overrides

    with ws.open_state() as store, store.connection() as session:
        return Overrides(session).find(service=service, begin=begin, end=end)


class StepMemo:
    """The budget-policy steps this process last stored per SLO, trusted for ``ttl`` seconds.

    A server answers hundreds of gate calls a second for the same SLOs, whose held steps
    rarely change: while every SLO of a call holds the steps this process stored less than
    ``ttl`` seconds ago, nothing can have crossed by its own account, and the call skips
    the store. A change another process made meanwhile is seen at most ``ttl`` later (or
    notified by that process, which swaps the same rows).
    """

    def __init__(self, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._stored: dict[str, tuple[frozenset[int], float]] = {}
        self._lock = threading.Lock()

    def unchanged(self, held: Mapping[str, frozenset[int]]) -> bool:
        """Whether every SLO of ``held`` holds what was stored, recently enough."""
        oldest = self.clock() - self.ttl
        with self._lock:
            known = {slo_id: self._stored.get(slo_id) for slo_id in held}
        return all(k is not None and k[1] > oldest and k[0] == held[i] for i, k in known.items())

    def remember(self, held: Mapping[str, frozenset[int]]) -> None:
        """Note ``held`` as stored now."""
        now = self.clock()
        with self._lock:
            self._stored.update((slo_id, (steps, now)) for slo_id, steps in held.items())


def notify_budget_crossings(
    session: Executor,
    figures: Sequence[SLOFigures],
    routes: Sequence[Route],
    at: int,
    now: int,
    *,
    memo: StepMemo | None = None,
) -> int:
    """Enqueue one notification per budget-policy step each SLO crossed since its last
    evaluation (held now, not before), to the receivers the routes choose; the rows added.

    The steps held are stored per SLO in the same transaction, so repeating an evaluation
    (or running two at once) notifies once per crossing. ``memo``: what this process
    stored lately; when every SLO holds just that, the store is not asked (:class:`StepMemo`).
    """
    from sloscope.store.gates import BudgetStepStates

    now_held = _held(figures)
    if memo is not None and memo.unchanged(now_held):
        return 0
    before = BudgetStepStates(session).swap_all(now_held, at)
    if memo is not None:
        # Only what was committed may be trusted: a transaction rolled back later stored
        # nothing, and the next call must swap again.
        from sloscope.store.database import after_commit

        after_commit(session, lambda: memo.remember(now_held))
    messages = [
        _step_message(figure, i, at)
        for figure in figures
        for i in crossed(before[figure.id], now_held[figure.id])
    ]
    if not messages:
        return 0
    # The notification modules load only when a step was crossed: most asks cross none.
    from sloscope.alerting.notify.delivery import enqueue
    from sloscope.alerting.notify.routing import receivers
    from sloscope.store.outbox import Outbox

    outbox = Outbox(session)
    return sum(enqueue(outbox, m, receivers(routes, m.routing_labels()), now) for m in messages)


def _held(figures: Sequence[SLOFigures]) -> dict[str, frozenset[int]]:
    """The budget-policy steps each SLO holds now, by SLO id."""
    return {f.id: held_steps(f.policy, f.consumed, f.burn_rates) for f in figures}


def _step_message(figure: SLOFigures, index: int, at: int) -> Any:
    from sloscope.alerting.notify.message import Notification

    step = figure.policy.steps[index]
    consumed = figure.consumed or 0.0
    what = f"{format_percent(consumed)} of the {figure.window} error budget consumed"
    return Notification(
        service=figure.service,
        slo=figure.slo,
        journey=figure.journey,
        severity=step.action,
        transition="firing",
        at=at,
        started_at=at,
        dedup_key=_step_key(figure.id, index),
        burn_rate=max(
            0.0, max((r for r in figure.burn_rates.values() if r is not None), default=0.0)
        ),
        objective=figure.objective,
        budget_consumed=figure.consumed,
        budget_remaining=figure.remaining,
        labels={
            "kind": "budget-step",
            "policy": figure.policy.name,
            "release": step.release_action,
        },
        annotations={
            "summary": f"{figure.id}: {what} ({step.action} step of policy {figure.policy.name!r})"
        },
    )


def _step_key(slo_id: str, index: int) -> str:
    """A budget step's alert key: short enough for the outbox whatever the SLO's name."""
    digest = hashlib.sha256(slo_id.encode()).hexdigest()[:40]
    return f"budget-{digest}-{index}"
