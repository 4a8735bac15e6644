"""Cheap questions to a SQLite state store, asked without SQLAlchemy.

Importing SQLAlchemy costs a command more than most of its work. ``report`` only wants
to know whether the audit log holds an entry to show; when the store is a plain SQLite
file and the answer is "none", it need not load SQLAlchemy at all. Every answer here is
either certain or "unsure" (``None``/``False``), and an unsure caller asks the real
store (:mod:`sloscope.store.database`), which stays the one owner of the schema and its
migrations.
"""

from __future__ import annotations

from pathlib import Path

_PLAIN_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file(url: str, root: Path | None = None) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///PATH``, relative paths under ``root``).

    None for anything else (PostgreSQL, query options, quoting, ``:memory:``): the full
    URL resolution (:func:`~sloscope.store.database.resolve_url`) handles those.
    """
    prefix = next((p for p in _PLAIN_PREFIXES if url.startswith(p)), None)
    if prefix is None:
        return None
    database = url[len(prefix) :]
    if not database or database == ":memory:" or any(c in database for c in "?#%"):
        return None
    path = Path(database)
    return root / path if not path.is_absolute() and root is not None else path


def audit_is_empty(path: Path, service: str | None, begin: int, end: int) -> bool:
    """True when the SQLite store at ``path`` certainly has no audit entry in ``[begin, end)``
    (of ``service`` when given); False when it has one or when unsure (no such table yet,
    a lock, an unreadable file).

    The file is opened read-only: this question never creates or changes a store.
    """
    query = "SELECT 1 FROM audit_log WHERE at >= ? AND at < ?"
    params: list[object] = [begin, end]
    if service is not None:
        query += " AND service = ?"
        params.append(service)
    return has_no_row(path, query, params)


def firings_are_empty(path: Path, service: str | None, begin: int, end: int) -> bool:
    """True when the SQLite store at ``path`` certainly has no alert that started firing in
    ``[begin, end)`` (of ``service`` when given); False when it has one or when unsure."""
    query = (
        "SELECT 1 FROM alert_transitions t JOIN alert_states s ON s.id = t.alert_id"
        " WHERE t.to_state = 'firing' AND t.at >= ? AND t.at < ?"
    )
    params: list[object] = [begin, end]
    if service is not None:
        query += " AND s.service = ?"
        params.append(service)
    return has_no_row(path, query, params)


def adjustments_are_empty(path: Path) -> bool:
    """True when the SQLite store at ``path`` certainly holds no budget adjustment made
    through the API; False when it has one or when unsure."""
    return has_no_row(path, "SELECT 1 FROM budget_adjustments", [])


def has_no_row(path: Path, query: str, params: list[object]) -> bool:
    """True when ``query`` certainly selects no row of the SQLite store at ``path``, opened
    read-only; False when it selects one or when unsure (no such table yet, a lock, an
    unreadable file)."""
    # Imported here: a workspace without a state store (the usual ``report``) never asks.
    import sqlite3

    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except (sqlite3.Error, ValueError):
        return False
    try:
        return connection.execute(query + " LIMIT 1", params).fetchone() is None
    except sqlite3.Error:
        return False
    finally:
        connection.close()
