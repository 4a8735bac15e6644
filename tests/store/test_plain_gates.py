"""The gate's stdlib SQLite transaction writes what the SQLAlchemy repositories write.

Each test runs the same calls on two SQLite stores, one through
:mod:`sloscope.store.gates` and one through :class:`PlainGates`, and compares the raw
rows (values and SQLite storage classes), then reads the direct path's rows back through
the repositories.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sloscope.errors import StateError
from sloscope.store.database import StateStore
from sloscope.store.gates import BudgetStepStates, GateRecords, Overrides
from sloscope.store.plain_gates import PlainGates
from sloscope.store.sqlite import HEAD_REVISION, open_at_head
from tests.store.test_gate_records import _decision


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[StateStore, PlainGates, Path, Path]]:
    """(a store used through SQLAlchemy, one used directly, their two files), both
    migrated to the newest schema."""
    through, direct = tmp_path / "through.db", tmp_path / "direct.db"
    for path in (through, direct):
        StateStore(f"sqlite:///{path}").close()
    plain = PlainGates.open(direct)
    assert plain is not None
    with StateStore(f"sqlite:///{through}") as store, plain:
        yield store, plain, through, direct


def _raw(path: Path, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table`` as stored: each value with its SQLite storage class."""
    with sqlite3.connect(path) as connection:
        names = [r[1] for r in connection.execute(f"PRAGMA table_info({table})")]
        columns = ", ".join(f'"{n}", typeof("{n}")' for n in names)
        return connection.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()


def test_a_decision_is_stored_as_sqlalchemy_stores_it_and_read_back_equal(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    store, plain, through, direct = stores
    figures = [{"slo": "a", "windows": ("1h", "5m"), "burn": {"1h": 14.5}, "left": None}]
    decisions = [
        _decision("r1", figures=figures, reasons=['ünïcode "quoted" 93.1%']),
        _decision("r2", journey="place-order", version=None, override_id=7, decision="allow"),
    ]
    with store.connection() as session:
        expected = [GateRecords(session).add(d) for d in decisions]
    with plain.transaction():
        written = [plain.add_decision(d) for d in decisions]
    assert written == expected
    assert _raw(direct, "gate_decisions") == _raw(through, "gate_decisions")
    with StateStore(f"sqlite:///{direct}") as reread, reread.connection() as session:
        assert GateRecords(session).find() == written


def test_a_request_recorded_before_is_left_to_the_repository(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    _, plain, _, direct = stores
    with plain.transaction():
        assert plain.add_decision(_decision("r1")) is not None
        assert plain.add_decision(_decision("r1", decision="allow")) is None
    assert [r[2] for r in _raw(direct, "gate_decisions")] == ["r1"]


def test_the_overrides_in_force_are_the_repositorys(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    store, plain, _, direct = stores
    granted = [
        {"service": "checkout", "journey": None, "since": 100, "until": 200},
        {"service": "checkout", "journey": "pay", "since": 150, "until": 300},
        {"service": "search", "journey": None, "since": 100, "until": 300},
    ]
    with StateStore(f"sqlite:///{direct}") as other:
        for opened in (store, other):
            with opened.connection() as session:
                for g in granted:
                    Overrides(session).add(**g, by="ana", reason="fix", now=90)
    for at in (99, 100, 160, 200, 300):
        with store.connection() as session:
            expected = Overrides(session).active("checkout", at)
        with plain.transaction():
            assert plain.active_overrides("checkout", at) == expected


def test_held_steps_are_swapped_as_the_repository_swaps_them(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    store, plain, through, direct = stores
    swaps: list[tuple[dict[str, frozenset[int]], int]] = [
        ({"checkout/a": frozenset({0})}, 100),  # a first evaluation adds the row
        ({"checkout/a": frozenset({0, 1}), "checkout/b": frozenset()}, 200),
        ({"checkout/a": frozenset(), "checkout/b": frozenset({1})}, 150),  # a older: kept
        ({"checkout/a": frozenset({0, 1}), "checkout/b": frozenset({1})}, 200),  # unchanged
        ({}, 300),
    ]
    for held, at in swaps:
        with store.connection() as session:
            expected = BudgetStepStates(session).swap_all(held, at)
        with plain.transaction():
            assert plain.swap_steps(held, at) == expected
        assert _raw(direct, "budget_step_states") == _raw(through, "budget_step_states")


def test_a_failed_transaction_writes_nothing(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    _, plain, _, direct = stores

    def fail_after_the_insert() -> None:
        with plain.transaction():
            plain.add_decision(_decision("r1"))
            raise RuntimeError("after the insert")

    with pytest.raises(RuntimeError):
        fail_after_the_insert()
    assert _raw(direct, "gate_decisions") == []


def test_a_lock_held_too_long_is_a_state_error_naming_the_store(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    _, plain, _, direct = stores
    plain.connection.execute("PRAGMA busy_timeout = 50")
    with sqlite3.connect(direct, isolation_level=None) as holder:
        holder.execute("BEGIN IMMEDIATE")
        with (
            pytest.raises(StateError, match=rf"state store sqlite:///{direct}: .*locked"),
            plain.transaction(),
        ):
            pass
        holder.execute("ROLLBACK")


def test_both_connections_are_set_up_alike(
    stores: tuple[StateStore, PlainGates, Path, Path],
) -> None:
    store, plain, _, _ = stores
    pragmas = ("busy_timeout", "journal_mode", "synchronous", "foreign_keys")

    def settings(connection: Any) -> list[Any]:
        return [connection.execute(f"PRAGMA {p}").fetchone()[0] for p in pragmas]

    with store.engine.connect() as connection:
        expected = settings(connection.connection.dbapi_connection)
    assert settings(plain.connection) == expected == [30_000, "wal", 1, 1]
    assert plain.connection.isolation_level is None


def test_only_a_store_at_the_newest_schema_is_opened_directly(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert open_at_head(missing) is None
    assert not missing.exists()  # never created: that is the migrations' job
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert open_at_head(empty) is None
    not_sqlite = tmp_path / "text.db"
    not_sqlite.write_text("not a database " * 100, encoding="utf-8")
    assert open_at_head(not_sqlite) is None
    older = tmp_path / "older.db"
    StateStore(f"sqlite:///{older}").close()
    connection = open_at_head(older)
    assert connection is not None
    connection.close()
    with sqlite3.connect(older) as db:
        db.execute("UPDATE alembic_version SET version_num = '0001'")
    db.close()
    assert open_at_head(older) is None
    assert HEAD_REVISION != "0001"
