"""A SQLite state store's connection settings and schema revision, without SQLAlchemy.

Both ways of opening a SQLite store take them from here: the SQLAlchemy engine of
:mod:`sloscope.store.database` (every command's store) and :func:`open_at_head`, the
stdlib ``sqlite3`` connection on which ``sloscope gate`` runs its common transaction
(:mod:`sloscope.store.plain_gates`), because importing SQLAlchemy costs a one-shot command
more than its whole transaction. Either way a connection waits the same busy timeout,
runs in WAL mode with the same durability, enforces foreign keys, and starts every
transaction with ``BEGIN IMMEDIATE`` (see :mod:`sloscope.store.database`).

:class:`CompiledStatement` is a statement of the repositories as SQLAlchemy compiles it
for SQLite (:mod:`sloscope.store.sqlite_statements`, generated from the Core statements
and checked against them by a test), and :func:`execute` runs one with the bind and
result processing SQLAlchemy would apply (JSON columns as ``json.dumps`` text).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

#: The newest migration revision (a test checks it is alembic's head).
HEAD_REVISION = "0006"

#: The revision a migrated database is at (alembic's table).
REVISION_QUERY = "SELECT version_num FROM alembic_version"

#: Seconds a SQLite writer waits for another one's lock before giving up.
SQLITE_BUSY_SECONDS = 30.0


def configure(connection: sqlite3.Connection) -> None:
    """Set a new connection up as every connection to the state store is."""
    # pysqlite's own transaction handling would start transactions late (at the first
    # write) and never with IMMEDIATE; sloscope emits BEGIN IMMEDIATE itself.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL syncs the log at checkpoints, not at every commit: a commit
    # survives the process being killed (kill -9 included) and the database is never
    # corrupted, but a power cut may lose the last commits. A gate decision per request
    # otherwise waits for one fsync each, which caps the server at the disk's rate.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def open_at_head(path: Path) -> sqlite3.Connection | None:
    """A configured connection to the SQLite store at ``path`` when it exists and is at
    :data:`HEAD_REVISION`; None otherwise (missing, older, newer, unreadable), and the
    caller opens the store with SQLAlchemy, which creates or migrates it."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS)
    except sqlite3.Error:
        return None
    try:
        configure(connection)
        found = connection.execute(REVISION_QUERY).fetchall()
    except sqlite3.Error:
        connection.close()
        return None
    if found != [(HEAD_REVISION,)]:
        connection.close()
        return None
    return connection


@contextmanager
def immediate(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        # SQLite ends a transaction itself on some errors (a full disk, an I/O error).
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class CompiledStatement(NamedTuple):
    """A repository's statement as SQLAlchemy compiles it for SQLite.

    ``sql`` has ``?`` placeholders, bound from ``params`` (names, in order; a name in
    ``expanding`` is a list whose items each take a placeholder, as SQLAlchemy expands
    ``IN``); ``json_params`` and ``json_columns`` are the JSON-typed parameters and
    result columns.
    """

    sql: str
    params: tuple[str, ...]
    expanding: tuple[str, ...] = ()
    json_params: tuple[str, ...] = ()
    json_columns: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


def _bind(statement: CompiledStatement, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    sql = statement.sql
    bound: list[Any] = []
    for name in statement.params:
        value = values[name]
        if name in statement.expanding:
            sql = sql.replace(f"(__[POSTCOMPILE_{name}])", f"({', '.join('?' * len(value))})")
            bound += value
        else:
            bound.append(json.dumps(value) if name in statement.json_params else value)
    return sql, bound


def execute(
    connection: sqlite3.Connection,
    statement: CompiledStatement,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Run ``statement`` with ``values`` (a list of them: once per item, as
    ``executemany``, which takes no expanding parameter); the rows it returns as
    mappings of ``columns``, JSON decoded."""
    if not isinstance(values, Mapping):
        if values:
            sql, _ = _bind(statement, values[0])
            connection.executemany(sql, [_bind(statement, v)[1] for v in values])
        return []
    sql, bound = _bind(statement, values)
    rows = connection.execute(sql, bound).fetchall()
    found = [dict(zip(statement.columns, row, strict=True)) for row in rows]
    for row in found:
        for column in statement.json_columns:
            if row[column] is not None:
                row[column] = json.loads(row[column])
    return found
