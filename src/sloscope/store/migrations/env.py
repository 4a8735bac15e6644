"""Alembic's environment: migrations run on the connection sloscope hands over.

sloscope never runs alembic from a command line against an ini file; it calls
:func:`sloscope.store.migrate.upgrade`, which passes an open connection (already in a
transaction, holding the migration lock) through ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

from sloscope.store.tables import METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("sloscope migrations run through sloscope.store.migrate, with a connection")
context.configure(
    connection=connection,
    target_metadata=METADATA,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
