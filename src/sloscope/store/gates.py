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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, String, bindparam, insert, select, update

from sloscope.store.database import dialect_insert, dialect_name, newest_first, time_ordered
from sloscope.store.gate_rows import (
    GateRecord,
    StoredOverride,
    override_from,
    record_from,
    step_changes,
    written_record,
)
from sloscope.store.tables import budget_step_states, gate_decisions, gate_overrides

if TYPE_CHECKING:
    from sloscope.store.database import Executor


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
            return record_from(self.session.execute(query).one()._mapping)
        # Only the id comes back: the rest is what was written.
        return written_record(values, row.id)

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
        return [record_from(row._mapping) for row in self.session.execute(query.limit(limit))]

    def newest(self, *, limit: int = 50, offset: int = 0) -> list[GateRecord]:
        """Decisions newest first, a page of ``limit`` after skipping ``offset``."""
        query = newest_first(gate_decisions, gate_decisions.c.at).limit(limit).offset(offset)
        return [record_from(row._mapping) for row in self.session.execute(query)]


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
        return override_from(
            self.session.execute(added.returning(*gate_overrides.c)).one()._mapping
        )

    def active(self, service: str, at: int) -> list[StoredOverride]:
        """The service's overrides in force at ``at``."""
        rows = self.session.execute(_ACTIVE_OVERRIDES, {"service": service, "at": at})
        return [override_from(row._mapping) for row in rows]

    def find(
        self, *, begin: int | None = None, end: int | None = None, service: str | None = None
    ) -> list[StoredOverride]:
        """Overrides granted (``since``) in ``[begin, end)``, oldest first, optionally of
        one service."""
        table = gate_overrides
        query = time_ordered(table, table.c.since, service=service, begin=begin, end=end)
        return [override_from(row._mapping) for row in self.session.execute(query)]


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
        ids = sorted(held)
        rows = self.session.execute(_STEPS_LOCKED, {"ids": ids}).all()
        if len(rows) < len(ids):
            # First evaluation of some SLO: add its row (another writer may add it at the
            # same time: one of the two inserts does nothing), then lock them all in order.
            found = {row.slo_id for row in rows}
            missing = [i for i in ids if i not in found]
            self.session.execute(
                _steps_insert(dialect_name(self.session)),
                [{"slo_id": i, "steps": [], "evaluated_at": -1} for i in missing],
            )
            rows = self.session.execute(_STEPS_LOCKED, {"ids": ids}).all()
        before, changes = step_changes((row._mapping for row in rows), held, at)
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


#: Some SLOs' held steps, locked (in ``slo_id`` order, so two writers never wait on each
#: other in a cycle) until the transaction ends.
_STEPS_LOCKED = (
    select(budget_step_states)
    .where(budget_step_states.c.slo_id.in_(bindparam("ids", expanding=True)))
    .order_by(budget_step_states.c.slo_id)
    .with_for_update()
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
        cached = _DECISION_INSERTS[name] = _decision_insert(name)
    return cached


def _decision_insert(name: str) -> Any:
    added = dialect_insert(name, gate_decisions).on_conflict_do_nothing()
    return added.returning(gate_decisions.c.id)


def _steps_insert(name: str) -> Any:
    """The dialect's INSERT of step rows that skips an SLO already stored."""
    return dialect_insert(name, budget_step_states).on_conflict_do_nothing()


def sqlite_statements() -> dict[str, tuple[Any, tuple[str, ...]]]:
    """The statements the gate's common transaction runs, by the name the stdlib SQLite
    path knows them by (:mod:`sloscope.store.sqlite_statements`, compiled from these),
    each with the parameter names it is run with (an INSERT compiles for its keys)."""
    decision_keys = tuple(c.name for c in gate_decisions.c if c.name != "id")
    return {
        "ACTIVE_OVERRIDES": (_ACTIVE_OVERRIDES, ()),
        "INSERT_DECISION": (_decision_insert("sqlite"), decision_keys),
        "STEPS_LOCKED": (_STEPS_LOCKED, ()),
        "INSERT_STEPS": (_steps_insert("sqlite"), ("slo_id", "steps", "evaluated_at")),
        "UPDATE_STEPS": (_STEPS_UPDATE, ()),
    }
