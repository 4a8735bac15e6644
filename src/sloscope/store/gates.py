"""Gate decisions, overrides and the budget steps each SLO last held.

Every answer of the release gate is kept (:class:`GateRecords`): who asked, for which
version, the decision, its reasons and the figures behind them, the exception used.
``request_id`` is unique, so a request retried after a lost connection is kept once.
Overrides (:class:`Overrides`) lift a service's freezes until they expire; an override
is never deleted, it just stops being active. :class:`BudgetStepStates` remembers which
budget-policy steps each SLO held when last evaluated, so a notification fires once per
crossing (:func:`sloscope.policy.budget.crossed`), not on every evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.store.database import insert_for, newest_first, time_ordered
from sloscope.store.tables import BudgetStepStateRow, GateDecisionRow, OverrideRow


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
    """Repository of gate decisions, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, values: Mapping[str, Any]) -> GateRecord:
        """Record a decision (the columns of :class:`GateRecord` but ``id``); a request
        already recorded (same ``request_id``) is returned as it was stored."""
        insert = insert_for(self.session, GateDecisionRow).values(**values)
        added = insert.on_conflict_do_nothing().returning(GateDecisionRow)
        row = self.session.scalars(added).one_or_none()
        if row is None:  # recorded before: nothing inserted, nothing returned
            row = self.session.scalars(
                select(GateDecisionRow).where(GateDecisionRow.request_id == values["request_id"])
            ).one()
        return _record(row)

    def link_deployment(self, record_id: int, deployment_id: int) -> None:
        """Note the deployment a decision allowed (``gate --record``)."""
        row = self.session.get(GateDecisionRow, record_id, with_for_update=True)
        if row is not None:
            row.deployment_id = deployment_id
            self.session.flush()

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
            GateDecisionRow, GateDecisionRow.at, service=service, begin=begin, end=end
        )
        return [_record(row) for row in self.session.scalars(query.limit(limit))]

    def newest(self, *, limit: int = 50, offset: int = 0) -> list[GateRecord]:
        """Decisions newest first, a page of ``limit`` after skipping ``offset``."""
        query = newest_first(GateDecisionRow, GateDecisionRow.at)
        return [_record(row) for row in self.session.scalars(query.limit(limit).offset(offset))]


class Overrides:
    """Repository of gate overrides, within one session's transaction."""

    def __init__(self, session: Session) -> None:
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
        row = OverrideRow(
            service=service,
            journey=journey,
            by=by,
            reason=reason,
            since=since,
            until=until,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _override(row)

    def active(self, service: str, at: int) -> list[StoredOverride]:
        """The service's overrides in force at ``at``."""
        query = (
            select(OverrideRow)
            .where(OverrideRow.service == service, OverrideRow.since <= at, OverrideRow.until > at)
            .order_by(OverrideRow.id)
        )
        return [_override(row) for row in self.session.scalars(query)]

    def find(
        self, *, begin: int | None = None, end: int | None = None, service: str | None = None
    ) -> list[StoredOverride]:
        """Overrides granted (``since``) in ``[begin, end)``, oldest first, optionally of
        one service."""
        query = time_ordered(OverrideRow, OverrideRow.since, service=service, begin=begin, end=end)
        return [_override(row) for row in self.session.scalars(query)]


class BudgetStepStates:
    """The budget-policy steps each SLO held at its last evaluation."""

    def __init__(self, session: Session) -> None:
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
        query = (
            select(BudgetStepStateRow)
            .where(BudgetStepStateRow.slo_id.in_(ids))
            .order_by(BudgetStepStateRow.slo_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        rows = list(self.session.scalars(query))
        if len(rows) < len(ids):
            # First evaluation of some SLO: add its row (another writer may add it at the
            # same time: one of the two inserts does nothing), then lock them all in order.
            found = {row.slo_id for row in rows}
            insert = insert_for(self.session, BudgetStepStateRow).on_conflict_do_nothing()
            missing = [i for i in ids if i not in found]
            self.session.execute(
                insert, [{"slo_id": i, "steps": [], "evaluated_at": -1} for i in missing]
            )
            rows = list(self.session.scalars(query))
        before: dict[str, frozenset[int]] = {}
        for row in rows:
            steps = held[row.slo_id]
            if at < row.evaluated_at:
                before[row.slo_id] = steps
                continue
            before[row.slo_id] = frozenset(int(s) for s in row.steps)
            if sorted(steps) != list(row.steps):
                row.steps = sorted(steps)
            row.evaluated_at = at
        self.session.flush()
        return before

    def get(self, slo_id: str) -> frozenset[int]:
        """The steps stored for an SLO (none when it was never evaluated)."""
        row = self.session.get(BudgetStepStateRow, slo_id)
        return frozenset(int(s) for s in row.steps) if row is not None else frozenset()


def _record(row: GateDecisionRow) -> GateRecord:
    return GateRecord(
        id=row.id,
        request_id=row.request_id,
        service=row.service,
        journey=row.journey,
        version=row.version,
        asked_by=row.asked_by,
        at=row.at,
        decision=row.decision,
        reasons=tuple(str(r) for r in row.reasons),
        figures=tuple(dict(f) for f in row.figures),
        exception_kind=row.exception_kind,
        exception_reason=row.exception_reason,
        override_id=row.override_id,
        deployment_id=row.deployment_id,
        created_at=row.created_at,
    )


def _override(row: OverrideRow) -> StoredOverride:
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
