"""The SQLite peek that spares ``report`` SQLAlchemy: certain answers, or "unsure"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sloscope.store.audit import AuditLog
from sloscope.store.database import StateStore, resolve_url
from sloscope.store.peek import audit_is_empty, sqlite_file


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///.sloscope/state.db",
        "sqlite:///state.db",
        "sqlite+pysqlite:///a/b.db",
        "sqlite:////tmp/abs/state.db",
    ],
)
def test_a_plain_sqlite_url_names_the_same_file_as_the_store(url: str, tmp_path: Path) -> None:
    assert sqlite_file(url, tmp_path) == Path(str(resolve_url(url, tmp_path).database))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u@127.0.0.1:5432/test",
        "sqlite:///state.db?timeout=5",
        "sqlite:///odd%20name.db",
        "sqlite:///:memory:",
        "sqlite://",
        "sqlite:///",
    ],
)
def test_anything_else_is_left_to_the_store(url: str, tmp_path: Path) -> None:
    assert sqlite_file(url, tmp_path) is None


def _store_with_entry(path: Path, service: str, at: int) -> None:
    with StateStore(f"sqlite:///{path}") as store, store.transaction() as session:
        AuditLog(session).append(at=at, kind="override", service=service, by="cto", reason="x")


def test_an_entry_in_range_is_seen_and_one_outside_is_not(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    _store_with_entry(path, "checkout", 1000)
    assert audit_is_empty(path, None, 1000, 1001) is False
    assert audit_is_empty(path, "checkout", 0, 2000) is False
    assert audit_is_empty(path, "search", 0, 2000) is True
    assert audit_is_empty(path, None, 1001, 2000) is True
    assert audit_is_empty(path, None, 0, 1000) is True


def test_a_fresh_store_has_no_entries(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateStore(f"sqlite:///{path}").close()
    assert audit_is_empty(path, None, 0, 2**40) is True


def test_unsure_without_the_table_or_the_file_and_nothing_is_created(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    connection.close()
    assert audit_is_empty(other, None, 0, 10) is False
    missing = tmp_path / "missing.db"
    assert audit_is_empty(missing, None, 0, 10) is False
    assert not missing.exists()
