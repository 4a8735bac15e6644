"""Opening the embedded telemetry store: the DuckDB file, its schema and its version.

Schema (version :data:`SCHEMA_VERSION`)::

    meta(key, value)                         schema_version, ...
    series(id, key, name, labels, type,      the catalog: one row per series, unique on
           first_ts, last_ts, last_value)    key = name{sorted labels}; labels is a MAP
    samples(series_id, ts, value, delta)     ts in Unix ms; delta = the sample's increase

A store written by a newer sloscope (a higher version) is refused rather than misread;
a file without the schema gets it when opened for writing.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from sloscope.errors import SourceError

#: Version of the schema this code writes; a store with a newer one is refused.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    key VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    labels MAP(VARCHAR, VARCHAR) NOT NULL,
    type VARCHAR NOT NULL,
    first_ts BIGINT,
    last_ts BIGINT,
    last_value DOUBLE
);
CREATE TABLE IF NOT EXISTS samples (
    series_id INTEGER NOT NULL,
    ts BIGINT NOT NULL,
    value DOUBLE NOT NULL,
    delta DOUBLE NOT NULL
);
"""


class StoreConnection:
    """The DuckDB connection of a telemetry store, with its schema checked.

    The base of :class:`~sloscope.telemetry.store.TelemetryStore`: it opens the file
    (creating parent directories unless ``read_only``), checks the schema version,
    creates the schema in a new file, and closes the connection.
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise SourceError(
                f"no telemetry store at {self.path} (load data first with 'sloscope ingest FILE')"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise SourceError(
                f"cannot open the telemetry store {self.path}: {exc} (another sloscope "
                "process may be writing to it; wait for it to finish)"
            ) from None
        try:
            self._check_schema()
        except BaseException:
            self.con.close()
            raise

    def _check_schema(self) -> None:
        tables = {
            row[0] for row in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        if "meta" in tables:
            rows = self.con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchall()
            version = int(rows[0][0]) if rows else 0
            if version > SCHEMA_VERSION:
                raise SourceError(
                    f"the telemetry store {self.path} has schema version {version}, newer than "
                    f"this sloscope understands ({SCHEMA_VERSION}); upgrade sloscope"
                )
            if version == SCHEMA_VERSION and {"series", "samples"} <= tables:
                return
        if self.read_only:
            raise SourceError(
                f"{self.path} is not a sloscope telemetry store (no schema); "
                "create it with 'sloscope ingest FILE'"
            )
        self.con.begin()
        self.con.execute(_SCHEMA)
        self.con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        self.con.commit()

    # --- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the DuckDB connection (safe to call twice)."""
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _scalar(self, sql: str) -> int:
        return int(self.con.execute(sql).fetchall()[0][0])

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query with bound parameters (for sources and diagnostics)."""
        return list(self.con.execute(sql, params or []).fetchall())
