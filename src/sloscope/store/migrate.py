"""Running the alembic migrations that ship inside the package, with no alembic.ini.

:func:`upgrade` brings a database to the newest revision; :class:`StateStore` calls it on
open. On PostgreSQL a transaction-scoped advisory lock makes concurrent starts take
turns; on SQLite ``BEGIN IMMEDIATE`` does the same. A database migrated by a newer
sloscope (a revision this one does not know) is refused with a clear message.

A new revision (for a developer changing :mod:`sloscope.store.tables`) is written by
alembic's autogenerate against a database at the current head::

    with StateStore(url).engine.begin() as connection:
        command.revision(alembic_config(connection), message="...", autogenerate=True)

then read and tidied by hand; :func:`schema_drift` (tested) proves models and migrations
agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from sloscope.errors import StateError
from sloscope.store.tables import METADATA

MIGRATIONS = Path(__file__).parent / "migrations"

#: The advisory lock key under which PostgreSQL migrations run ("sloscope" in ASCII).
_LOCK_KEY = 0x736C6F73636F7065


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic config for the packaged migrations, bound to ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this sloscope knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package ships at least one revision
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` in one transaction."""
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base``: no tables) in one transaction."""
    _run(engine, lambda config: command.downgrade(config, revision))


def schema_drift(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty: none).

    The check behind "models and migrations agree", like ``alembic check``.
    """
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, METADATA))


def _run(engine: Engine, step: Any) -> None:
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            step(alembic_config(connection))
    except CommandError as exc:
        raise StateError(
            f"state store {where} cannot be migrated: {exc}; it may have been written by a "
            "newer sloscope (upgrade sloscope) or belong to another program"
        ) from None
    except SQLAlchemyError as exc:
        original = getattr(exc, "orig", None) or exc
        reason = str(original).strip().splitlines()[0] if str(original).strip() else ""
        raise StateError(
            f"state store {where} cannot be opened: {reason or type(exc).__name__}"
        ) from None
