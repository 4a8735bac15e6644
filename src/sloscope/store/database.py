"""Opening the state store: one URL, SQLite or PostgreSQL, migrated to the newest schema.

::

    with StateStore("sqlite:///.sloscope/state.db", root=workspace) as store:
        with store.transaction() as session:
            Silences(session).add(...)

SQLite transactions start with ``BEGIN IMMEDIATE``: a writer takes the database's write
lock when its transaction begins, not halfway through, so two processes never both read
a row and then both write it (and never deadlock upgrading a read lock). The file runs
in WAL mode so readers do not wait for writers. PostgreSQL transactions are plain READ
COMMITTED; the repositories lock the rows they change (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from sloscope.closing import Closing
from sloscope.errors import ConfigError, StateError
from sloscope.store.sqlite import HEAD_REVISION, REVISION_QUERY, SQLITE_BUSY_SECONDS, configure

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

#: What a repository of Core statements runs them on: a session's or a connection's
#: transaction (:meth:`StateStore.transaction` or :meth:`StateStore.connection`).
Executor: TypeAlias = "Session | Connection"

#: The key in a connection's ``info`` of what to run once its transaction commits.
_AFTER_COMMIT = "sloscope.after_commit"

_POSTGRES_NAMES = ("postgres", "postgresql", "postgresql+psycopg")


def resolve_url(url: str, root: Path | None = None) -> URL:
    """The SQLAlchemy URL for ``url``: relative SQLite paths are under ``root``.

    ``postgresql://`` and ``postgres://`` mean the psycopg 3 driver. Other databases are
    refused with a :class:`ConfigError` naming the supported ones.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "state.url: not a database URL; write sqlite:///.sloscope/state.db or "
            "postgresql+psycopg://USER@HOST:5432/DATABASE"
        ) from None
    if parsed.drivername in _POSTGRES_NAMES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise ConfigError(
                "state.url: an in-memory SQLite database would forget every alert at exit; "
                "name a file, e.g. sqlite:///.sloscope/state.db"
            )
        path = Path(database)
        if not path.is_absolute() and root is not None:
            path = root / path
        return parsed.set(drivername="sqlite", database=str(path))
    raise ConfigError(
        f"state.url: unsupported database {parsed.drivername!r}; use sqlite:///FILE or "
        "postgresql+psycopg://USER@HOST:5432/DATABASE"
    )


def describe_url(url: URL) -> str:
    """The URL as it may be shown: the password masked."""
    return url.render_as_string(hide_password=True)


class StateStore(Closing):
    """The transactional state store: alert states, outbox, silences, cursors.

    Opening it runs the migrations up to the newest revision (see
    :mod:`sloscope.store.migrate`). ``schema`` (PostgreSQL only) puts every table in that
    schema, which must exist; tests use one schema per run.
    """

    def __init__(
        self,
        url: str,
        *,
        root: Path | None = None,
        schema: str | None = None,
        migrate: bool = True,
    ) -> None:
        self.url = resolve_url(url, root)
        self.dialect = "sqlite" if self.url.drivername == "sqlite" else "postgresql"
        self.engine = _create_engine(self.url, schema)
        # Every SQLite transaction takes the write lock (BEGIN IMMEDIATE), so they run one at
        # a time anyway; queueing this process's threads on a lock of its own wakes the next
        # one at once, where SQLite's busy handler would have it sleep and retry (tens of
        # milliseconds under a server's load). Other processes still meet the busy timeout.
        self._serial: AbstractContextManager[Any] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext()
        )
        if migrate and not _at_head(self.engine):
            # Importing alembic costs a command more than its own work; a store already
            # at the newest revision (every open but the first) needs none of it.
            from sloscope.store.migrate import upgrade

            try:
                upgrade(self.engine)
            except BaseException:
                self.engine.dispose()
                raise

    @property
    def name(self) -> str:
        """The store's URL with the password masked, for messages."""
        return describe_url(self.url)

    @cached_property
    def _sessions(self) -> sessionmaker[Session]:
        # The ORM loads with the first session: a command whose repositories run Core
        # statements on a connection (the release gate) never imports it.
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        Database failures become :class:`StateError` naming the store (never its password).
        """
        try:
            with self._serial, self._sessions() as session, session.begin():
                yield session
        except OperationalError as exc:
            raise StateError(f"state store {self.name}: {_reason(exc)}") from None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in one transaction, as :meth:`transaction` (the same locking,
        commit and errors) for repositories that run Core statements only; what
        :func:`after_commit` was given runs once it committed."""
        committed: list[Callable[[], None]] = []
        try:
            with self._serial, self.engine.begin() as connection:
                connection.info[_AFTER_COMMIT] = committed
                try:
                    yield connection
                finally:
                    # ``info`` stays with the pooled connection: the next transaction's
                    # actions must not find these.
                    del connection.info[_AFTER_COMMIT]
        except OperationalError as exc:
            raise StateError(f"state store {self.name}: {_reason(exc)}") from None
        for action in committed:
            action()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _at_head(engine: Engine) -> bool:
    """Whether the database is already at :data:`HEAD_REVISION` (False when unsure)."""
    try:
        with engine.connect() as connection:
            found = connection.execute(text(REVISION_QUERY))
            return bool(found.scalar_one_or_none() == HEAD_REVISION)
    except SQLAlchemyError:
        return False


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's first line, which never carries the URL's password."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__


def _create_engine(url: URL, schema: str | None) -> Engine:
    if url.drivername == "sqlite":
        if schema is not None:
            raise ConfigError("state store: a schema is only for PostgreSQL")
        assert url.database is not None  # resolve_url refuses a missing path
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(
                f"cannot create {folder} for the state store: {exc.strerror}"
            ) from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        import psycopg  # noqa: F401  (a clear message instead of SQLAlchemy's)
    except ImportError:
        raise ConfigError(
            "state.url: PostgreSQL needs psycopg 3: pip install 'psycopg[binary]'"
        ) from None
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if schema is not None:
        connect_args["options"] = f"-c search_path={schema}"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The same settings as the gate's stdlib connection (sloscope.store.sqlite); BEGIN
    # IMMEDIATE is emitted by _sqlite_begin.
    configure(dbapi_connection)


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def after_commit(executor: Executor, action: Callable[[], None]) -> None:
    """Run ``action`` once ``executor``'s transaction has committed (never when it rolls
    back): a session of :meth:`StateStore.transaction` or a connection of
    :meth:`StateStore.connection`."""
    if isinstance(executor, Connection):
        executor.info[_AFTER_COMMIT].append(action)
        return
    event.listen(executor, "after_commit", lambda _session: action(), once=True)


def dialect_name(session: Executor) -> str:
    """The name of the database dialect ``session`` runs on (``sqlite``, ``postgresql``)."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    return str(dialect.name)


def insert_for(session: Executor, model: Any) -> Any:
    """An INSERT for ``model`` (a mapped class or a Core table) in the session's
    dialect, so callers can add ``on_conflict_do_nothing`` / ``on_conflict_do_update``
    (SQLite and PostgreSQL share it).
    """
    return dialect_insert(dialect_name(session), model)


def dialect_insert(name: str, model: Any) -> Any:
    """:func:`insert_for` a dialect named ``name`` (``sqlite``, ``postgresql``)."""
    # Each dialect's module loads with its first insert: a SQLite store needs no PostgreSQL.
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(model)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model)


def in_range(query: Any, column: Any, begin: int | None, end: int | None) -> Any:
    """``query`` limited to rows whose ``column`` lies in ``[begin, end)`` (None: open)."""
    if begin is not None:
        query = query.where(column >= begin)
    if end is not None:
        query = query.where(column < end)
    return query


def time_ordered(
    model: Any, column: Any, *, service: str | None, begin: int | None, end: int | None
) -> Any:
    """A select of ``model``'s rows (a mapped class or a Core table) oldest first by
    ``column`` (ties by id), optionally of one ``service`` and with ``column`` in
    ``[begin, end)``."""
    table = _table(model)
    query = select(model).order_by(column, table.c.id)
    if service is not None:
        query = query.where(table.c.service == service)
    return in_range(query, column, begin, end)


def newest_first(model: Any, column: Any) -> Any:
    """A select of ``model``'s rows (a mapped class or a Core table) newest first by
    ``column`` (ties: the later id first)."""
    return select(model).order_by(column.desc(), _table(model).c.id.desc())


def _table(model: Any) -> Any:
    """The Core table of a mapped class, or the table itself."""
    return getattr(model, "__table__", model)
