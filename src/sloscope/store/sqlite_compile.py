"""Compile the gate's Core statements for SQLite into :mod:`sloscope.store.sqlite_statements`.

The statements have one owner, the repositories of :mod:`sloscope.store.gates`; the
gate's stdlib SQLite transaction runs the text SQLAlchemy compiles from them, kept in a
generated module so that ``sloscope gate`` need not import SQLAlchemy to get it.
``python scripts/compile_sqlite_statements.py`` rewrites the module, and a unit test
fails when the committed text differs from what the statements compile to now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects import sqlite

from sloscope.store.gates import sqlite_statements
from sloscope.store.sqlite import CompiledStatement

#: ruff's line length: the module is written as ``ruff format`` would leave it.
_WIDTH = 100

#: The generated module.
MODULE = Path(__file__).with_name("sqlite_statements.py")

_HEADER = '''\
"""The gate's statements as SQLAlchemy compiles them for SQLite: GENERATED, do not edit.

Made by ``python scripts/compile_sqlite_statements.py`` from the Core statements of
:mod:`sloscope.store.gates` (:func:`~sloscope.store.gates.sqlite_statements`); a unit test
fails when this text differs from what they compile to. Run with
:func:`sloscope.store.sqlite.execute`.
"""

from __future__ import annotations

from sloscope.store.sqlite import CompiledStatement
'''


def compile_statement(statement: Any, keys: tuple[str, ...]) -> CompiledStatement:
    """``statement`` compiled for SQLite (the pysqlite dialect SQLAlchemy's engine uses),
    an INSERT for the parameters ``keys``."""
    compiled = statement.compile(dialect=sqlite.dialect(), column_keys=list(keys) or None)
    binds = compiled.binds
    params = tuple(compiled.positiontup or ())
    columns = tuple(c.name for c in _returned(statement))
    return CompiledStatement(
        sql=compiled.string,
        params=params,
        expanding=tuple(dict.fromkeys(p for p in params if binds[p].expanding)),
        json_params=tuple(dict.fromkeys(p for p in params if _is_json(binds[p].type))),
        json_columns=tuple(c.name for c in _returned(statement) if _is_json(c.type)),
        columns=columns,
    )


def _returned(statement: Any) -> list[Any]:
    """The columns a statement's rows have: a select's, or an INSERT's RETURNING."""
    returning = getattr(statement, "_returning", None)
    if returning:
        return list(returning)
    return list(getattr(statement, "selected_columns", ()))


def _is_json(kind: Any) -> bool:
    return isinstance(kind, JSON)


def render_module() -> str:
    """The text of :mod:`sloscope.store.sqlite_statements` as the statements are now
    (formatted as ``ruff format`` leaves it)."""
    parts = [_HEADER]
    for name, (statement, keys) in sqlite_statements().items():
        compiled = compile_statement(statement, keys)
        parts.append(f"\n{name} = CompiledStatement(\n")
        parts.append(_sql_field(compiled.sql))
        for field in ("params", "expanding", "json_params", "json_columns", "columns"):
            parts.append(_tuple_field(field, getattr(compiled, field)))
        parts.append(")\n")
    return "".join(parts)


def _quoted(text: str) -> str:
    """``text`` as a literal in the quotes ruff prefers (double, unless that escapes)."""
    shown = repr(text)
    if '"' not in text and shown.startswith("'"):
        return f'"{shown[1:-1]}"'
    return shown


def _sql_field(sql: str) -> str:
    whole = _quoted(sql)
    if len(f"    sql={whole},") <= _WIDTH:
        return f"    sql={whole},\n"
    if len(f"        {whole}") <= _WIDTH:
        return f"    sql=(\n        {whole}\n    ),\n"
    return f"    sql=(\n{_sql_lines(sql)}    ),\n"


def _sql_lines(sql: str, width: int = 80) -> str:
    """``sql`` as implicitly joined literals of at most about ``width`` characters, cut
    after a space or a line break."""
    pieces: list[str] = []
    current = ""
    for word in sql.replace("\n", "\n\0").replace(" ", " \0").split("\0"):
        if current and (len(current) + len(word) > width or current.endswith("\n")):
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    return "".join(f"        {_quoted(p)}\n" for p in pieces if p)


def _tuple_field(field: str, values: tuple[str, ...]) -> str:
    inline = "(" + ", ".join(_quoted(v) for v in values) + ("," if len(values) == 1 else "") + ")"
    line = f"    {field}={inline},\n"
    if len(line) <= _WIDTH + 1:
        return line
    items = "".join(f"        {_quoted(v)},\n" for v in values)
    return f"    {field}=(\n{items}    ),\n"
