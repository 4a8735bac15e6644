"""The gate's committed SQLite statements are what its Core statements compile to now,
and run as SQLAlchemy runs them."""

from __future__ import annotations

import sqlite3

from sloscope.store.sqlite import CompiledStatement, execute
from sloscope.store.sqlite_compile import MODULE, compile_statement, render_module


def test_the_committed_statements_are_the_core_statements_compiled_for_sqlite() -> None:
    # On failure: python scripts/compile_sqlite_statements.py, and commit the module.
    assert MODULE.read_text(encoding="utf-8") == render_module()


def test_an_expanding_list_and_json_are_bound_and_read_back_as_sqlalchemy_does() -> None:
    from sqlalchemy import JSON, Column, MetaData, String, Table, bindparam, select

    table = Table("t", MetaData(), Column("k", String), Column("doc", JSON))
    query = select(table).where(table.c.k.in_(bindparam("keys", expanding=True)))
    compiled = compile_statement(query.order_by(table.c.k), ())
    assert compiled.expanding == ("keys",)
    assert compiled.json_columns == ("doc",)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (k VARCHAR, doc JSON)")
    insert = CompiledStatement(
        "INSERT INTO t (k, doc) VALUES (?, ?)", ("k", "doc"), json_params=("doc",)
    )
    execute(connection, insert, [{"k": "a", "doc": {"x": [1]}}, {"k": "b", "doc": None}])
    execute(connection, insert, {"k": "c", "doc": [2]})
    assert connection.execute("SELECT doc FROM t ORDER BY k").fetchall() == [
        ('{"x": [1]}',),
        ("null",),
        ("[2]",),
    ]
    found = execute(connection, compiled, {"keys": ["c", "a"]})
    assert found == [{"k": "a", "doc": {"x": [1]}}, {"k": "c", "doc": [2]}]
    assert execute(connection, insert, []) == []
