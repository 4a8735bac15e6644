"""The real PostgreSQL at 127.0.0.1:5432 (trust auth, database ``test``), one schema per run.

Plain functions, no pytest, so worker processes started by the tests can use them too.
``make test`` starts the server when it is down (``scripts/ensure-services``).
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

#: Users tried in order: the Debian superuser, then the machine's root role.
USERS = ("postgres", "root")
HOST = os.environ.get("SLOSCOPE_TEST_PG_HOST", "127.0.0.1:5432")
DATABASE = "test"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL answers at 127.0.0.1:5432 with trust auth and database ``test``."""


def server_url() -> str:
    """The URL of the first user that can connect; :class:`PostgresUnavailableError` otherwise."""
    reasons = []
    for user in USERS:
        url = f"postgresql+psycopg://{user}@{HOST}/{DATABASE}"
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url
        except OperationalError as exc:
            reasons.append(f"{user}: {str(exc.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    raise PostgresUnavailableError(
        f"PostgreSQL is not reachable at {HOST} (database {DATABASE!r}, trust auth): "
        + "; ".join(reasons)
        + ". Start it with 'make services' (scripts/ensure-services) or "
        "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'"
    )


def create_schema(url: str) -> str:
    """A new, empty schema with a unique name."""
    name = f"sloscope_test_{uuid.uuid4().hex[:12]}"
    _execute(url, f'CREATE SCHEMA "{name}"')
    return name


def drop_schema(url: str, name: str) -> None:
    """Drop the schema and everything in it."""
    _execute(url, f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _execute(url: str, statement: str) -> None:
    # Schema names cannot be bound parameters; ours are generated from hex digits only.
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
