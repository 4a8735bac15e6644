"""The release gate's common transaction on a SQLite state store, with the stdlib sqlite3.

``sloscope gate`` reads the overrides in force, then writes its decision and the budget
steps each SLO holds: a few rows, which cost a fraction of what importing SQLAlchemy
does. On a SQLite file already at the newest schema it runs them here, as the
statements of :mod:`sloscope.store.gates` compiled for SQLite
(:mod:`sloscope.store.sqlite_statements`), on a connection set up as the SQLAlchemy
engine's are (:mod:`sloscope.store.sqlite`), so both write the same rows. Anything else
(a missing or older store, PostgreSQL, an exception to audit, a budget step crossed,
a deployment to record) goes through the SQLAlchemy repositories.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sloscope.closing import Closing
from sloscope.errors import StateError
from sloscope.store import sqlite_statements as statements
from sloscope.store.gate_rows import (
    GateRecord,
    StoredOverride,
    override_from,
    step_changes,
    written_record,
)
from sloscope.store.sqlite import execute, immediate, open_at_head


class PlainGates(Closing):
    """The gate's reads and writes on one stdlib connection to a SQLite store at the
    newest schema (:meth:`open`); each method runs inside :meth:`transaction`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.name = f"sqlite:///{path}"

    @classmethod
    def open(cls, path: Path) -> PlainGates | None:
        """The store at ``path`` when it exists and is at the newest schema; None when
        the caller must open it with SQLAlchemy (which creates or migrates it)."""
        connection = open_at_head(path)
        return cls(connection, path) if connection is not None else None

    @contextmanager
    def transaction(self) -> Iterator[PlainGates]:
        """One ``BEGIN IMMEDIATE`` transaction, as :meth:`StateStore.connection
        <sloscope.store.database.StateStore.connection>` (locking, commit, errors)."""
        try:
            with immediate(self.connection):
                yield self
        except sqlite3.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "OperationalError"
            raise StateError(f"state store {self.name}: {reason}") from None

    def active_overrides(self, service: str, at: int) -> list[StoredOverride]:
        """The service's overrides in force at ``at`` (:meth:`Overrides.active
        <sloscope.store.gates.Overrides.active>`)."""
        rows = execute(self.connection, statements.ACTIVE_OVERRIDES, {"service": service, "at": at})
        return [override_from(row) for row in rows]

    def add_decision(self, values: Mapping[str, Any]) -> GateRecord | None:
        """Record a decision (:meth:`GateRecords.add <sloscope.store.gates.GateRecords.add>`);
        None when its ``request_id`` is already recorded (the caller asks the repository)."""
        rows = execute(self.connection, statements.INSERT_DECISION, values)
        return written_record(values, rows[0]["id"]) if rows else None

    def swap_steps(self, held: Mapping[str, frozenset[int]], at: int) -> dict[str, frozenset[int]]:
        """Store each SLO's held steps; return, per SLO, the ones stored before
        (:meth:`BudgetStepStates.swap_all <sloscope.store.gates.BudgetStepStates.swap_all>`:
        here the transaction's write lock is the whole database's)."""
        if not held:
            return {}
        ids = sorted(held)
        rows = execute(self.connection, statements.STEPS_LOCKED, {"ids": ids})
        if len(rows) < len(ids):
            found = {row["slo_id"] for row in rows}
            missing = [
                {"slo_id": i, "steps": [], "evaluated_at": -1} for i in ids if i not in found
            ]
            execute(self.connection, statements.INSERT_STEPS, missing)
            rows = execute(self.connection, statements.STEPS_LOCKED, {"ids": ids})
        before, changes = step_changes(rows, held, at)
        execute(self.connection, statements.UPDATE_STEPS, changes)
        return before

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()
