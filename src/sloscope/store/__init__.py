"""The state store: alert states, notification outbox, silences, evaluation cursors.

SQLAlchemy 2 over SQLite (default ``.sloscope/state.db``) or PostgreSQL, with alembic
migrations shipped in the package and run on open. Open it with
:class:`sloscope.store.database.StateStore`; each concept has a small repository in its
own module (:mod:`~sloscope.store.alerts`, :mod:`~sloscope.store.outbox`,
:mod:`~sloscope.store.silences`, :mod:`~sloscope.store.cursors`) that works inside one
``store.transaction()``.

``sloscope gate`` on a SQLite file already at the newest schema records its decision
without SQLAlchemy: :mod:`~sloscope.store.plain_gates` runs the same statements, compiled
for SQLite into :mod:`~sloscope.store.sqlite_statements`, with the stdlib ``sqlite3``
set up as the engine's connections are (:mod:`~sloscope.store.sqlite`).
"""
