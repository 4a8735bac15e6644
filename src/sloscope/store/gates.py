"""Gate decisions, overrides and the budget steps each SLO last held.

Every answer of the release gate is kept (:class:`GateRecords`): who asked, for which
version, the decision, its reasons and the figures behind them, the exception used.
``request_id`` is unique, so a request retried after a lost connection is kept once.
Overrides (:class:`Overrides`) lift a service's freezes until they expire; an override
is never deleted, it just stops being active. :class:`BudgetStepStates` remembers which
budget-policy steps each SLO held when last evaluated, so a notification fires once per
crossing (:func:`sloscope.policy.budget.crossed`), not on every evaluation.

The repositories run Core statements on the tables of :mod:`sloscope.store.tables`, not
mapped classes: ``sloscope gate``, which runs each of them about once per process, then
never builds the ORM's mappers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, String, bindparam, insert, select, update

from sloscope.store.database import dialect_name, insert_for, newest_first, time_ordered
from sloscope.store.tables import budget_step_states, gate_decisions, gate_overrides

if TYPE_CHECKING:
    from sqlalchemy import Row

    from sloscope.store.database import Executor


@dataclass(frozen=True)
class GateRecord:
    """One recorded gate decision."""

    id: int
    request_id: str
    service: str
    journey: str | None
    version: str | None
    asked_by: str
    at: int
    decision: str
    reasons: tuple[str, ...]
    figures: tuple[dict[str, Any], ...]
    exception_kind: str | None
    exception_reason: str | None
    override_id: int | None
    deployment_id: int | None
    created_at: int


@dataclass(frozen=True)
class StoredOverride:
    """A stored override, active in ``[since, until)``."""

    id: int
    service: str
    journey: str | None
    by: str
    reason: str
    since: int
    until: int
    created_at: int


class GateRecords:
    """Repository of gate decisions, within one transaction."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def add(self, values: Mapping[str, Any]) -> GateRecord:
        """Record a decision (the columns of :class:`GateRecord` but ``id``); a request
        already recorded (same ``request_id``) is returned as it was stored."""
        row = self.session.execute(_insert_decision(self.session), dict(values)).one_or_none()
        if row is None:  # recorded before: nothing inserted, nothing returned
            table = gate_decisions
            query = select(table).where(table.c.request_id == values["request_id"])
            return _record(self.session.execute(query).one()._mapping)
        # Only the id comes back: the rest is what was written, its JSON columns as
        # the database gives them back (the server records every gate call: reading
        # the whole row back and decoding its JSON cost more than the insert).
        stored = {"override_id": None, "deployment_id": None, **values, "id": row.id}
        for column in ("reasons", "figures"):
            stored[column] = json.loads(json.dumps(stored[column]))
        return _record(stored)

    def link_deployment(self, record_id: int, deployment_id: int) -> None:
        """Note the deployment a decision allowed (``gate --record``)."""
        table = gate_decisions
        self.session.execute(
            update(table).where(table.c.id == record_id).values(deployment_id=deployment_id)
        )

    def find(
        self,
        *,
        service: str | None = None,
        begin: int | None = None,
        end: int | None = None,
        limit: int = 10_000,
    ) -> list[GateRecord]:
        """Decisions in time order, optionally of one service and in ``[begin, end)``."""
        query = time_ordered(
            gate_decisions, gate_decisions.c.at, service=service, begin=begin, end=end
        )
        return [_record(row._mapping) for row in self.session.execute(query.limit(limit))]

    def newest(self, *, limit: int = 50, offset: int = 0) -> list[GateRecord]:
        """Decisions newest first, a page of ``limit`` after skipping ``offset``."""
        query = newest_first(gate_decisions, gate_decisions.c.at).limit(limit).offset(offset)
        return [_record(row._mapping) for row in self.session.execute(query)]


class Overrides:
    """Repository of gate overrides, within one transaction."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def add(
        self,
        *,
        service: str,
        journey: str | None,
        by: str,
        reason: str,
        since: int,
        until: int,
        now: int,
    ) -> StoredOverride:
        """Store an override and return it with its id."""
        added = insert(gate_overrides).values(
            service=service,
            journey=journey,
            by=by,
            reason=reason,
            since=since,
            until=until,
            created_at=now,
        )
        return _override(self.session.execute(added.returning(*gate_overrides.c)).one())

    def active(self, service: str, at: int) -> list[StoredOverride]:
        """The service's overrides in force at ``at``."""
        rows = self.session.execute(_ACTIVE_OVERRIDES, {"service": service, "at": at})
        return [_override(row) for row in rows]

    def find(
        self, *, begin: int | None = None, end: int | None = None, service: str | None = None
    ) -> list[StoredOverride]:
        """Overrides granted (``since``) in ``[begin, end)``, oldest first, optionally of
        one service."""
        table = gate_overrides
        query = time_ordered(table, table.c.since, service=service, begin=begin, end=end)
        return [_override(row) for row in self.session.execute(query)]


class BudgetStepStates:
    """The budget-policy steps each SLO held at its last evaluation."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def swap(self, slo_id: str, steps: frozenset[int], at: int) -> frozenset[int]:
        """Store ``steps`` as the SLO's held steps; return the ones stored before (see
        :meth:`swap_all`)."""
        return self.swap_all({slo_id: steps}, at)[slo_id]

    def swap_all(self, held: Mapping[str, frozenset[int]], at: int) -> dict[str, frozenset[int]]:
        """Store each SLO's held steps; return, per SLO, the ones stored before.

        The rows are locked (in ``slo_id`` order, so two writers never wait on each
        other in a cycle) while they are read and written, so two evaluations at once
        see one crossing, not two. An evaluation older than an SLO's stored one changes
        nothing for it and reports ``held`` back (nothing crossed). All SLOs of a gate
        decision take one select (and an insert and a second select for SLOs never seen) and
        the updates that change something.
        """
        if not held:
            return {}
        table = budget_step_states
        ids = sorted(held)
        query = (
            select(table).where(table.c.slo_id.in_(ids)).order_by(table.c.slo_id).with_for_update()
        )
        rows = self.session.execute(query).all()
        if len(rows) < len(ids):
            # First evaluation of some SLO: add its row (another writer may add it at the
            # same time: one of the two inserts does nothing), then lock them all in order.
            found = {row.slo_id for row in rows}
            insert = insert_for(self.session, table).on_conflict_do_nothing()
            missing = [i for i in ids if i not in found]
            self.session.execute(
                insert, [{"slo_id": i, "steps": [], "evaluated_at": -1} for i in missing]
            )
            rows = self.session.execute(query).all()
        before: dict[str, frozenset[int]] = {}
        changes: list[dict[str, Any]] = []
        for row in rows:
            steps = held[row.slo_id]
            if at < row.evaluated_at:
                before[row.slo_id] = steps
                continue
            before[row.slo_id] = frozenset(int(s) for s in row.steps)
            if sorted(steps) != list(row.steps) or at != row.evaluated_at:
                changes.append({"key": row.slo_id, "new_steps": sorted(steps), "new_at": at})
        if changes:
            self.session.execute(_STEPS_UPDATE, changes)
        return before

    def get(self, slo_id: str) -> frozenset[int]:
        """The steps stored for an SLO (none when it was never evaluated)."""
        table = budget_step_states
        query = select(table.c.steps).where(table.c.slo_id == slo_id)
        steps = self.session.execute(query).scalar_one_or_none()
        return frozenset(int(s) for s in steps) if steps is not None else frozenset()


#: One SLO's held steps and evaluation time, written for many SLOs at once (executemany).
_STEPS_UPDATE = (
    update(budget_step_states)
    .where(budget_step_states.c.slo_id == bindparam("key", type_=String))
    .values(
        steps=bindparam("new_steps", type_=JSON),
        evaluated_at=bindparam("new_at", type_=BigInteger),
    )
)


#: The insert of a decision, one per dialect: built once, its values bound per call.
_DECISION_INSERTS: dict[str, Any] = {}

#: A service's overrides in force at a time (built once: the server asks on every gate).
_ACTIVE_OVERRIDES = (
    select(gate_overrides)
    .where(
        gate_overrides.c.service == bindparam("service"),
        gate_overrides.c.since <= bindparam("at"),
        gate_overrides.c.until > bindparam("at"),
    )
    .order_by(gate_overrides.c.id)
)


def _insert_decision(session: Executor) -> Any:
    """The dialect's INSERT of a decision that skips a known ``request_id`` and returns
    the new row's id."""
    name = dialect_name(session)
    cached = _DECISION_INSERTS.get(name)
    if cached is None:
        added = insert_for(session, gate_decisions).on_conflict_do_nothing()
        cached = _DECISION_INSERTS[name] = added.returning(gate_decisions.c.id)
    return cached


def _record(row: Mapping[Any, Any]) -> GateRecord:
    """A decision from its columns (a row's mapping, or what was just written)."""
    return GateRecord(
        id=row["id"],
        request_id=row["request_id"],
        service=row["service"],
        journey=row["journey"],
        version=row["version"],
        asked_by=row["asked_by"],
        at=row["at"],
        decision=row["decision"],
        reasons=tuple(str(r) for r in row["reasons"]),
        figures=tuple(dict(f) for f in row["figures"]),
        exception_kind=row["exception_kind"],
        exception_reason=row["exception_reason"],
        override_id=row["override_id"],
        deployment_id=row["deployment_id"],
        created_at=row["created_at"],
    )


def _override(row: Row[Any]) -> StoredOverride:
    return StoredOverride(
        id=row.id,
        service=row.service,
        journey=row.journey,
        by=row.by,
        reason=row.reason,
        since=row.since,
        until=row.until,
        created_at=row.created_at,
    )
