"""The embedded telemetry store: counter samples in one DuckDB file, with a series catalog.

:class:`TelemetryStore` is what the workspace, the ingest and the embedded source use: it
opens the file, checks the schema and its version, keeps the series catalog and adds
samples in one transaction (:meth:`TelemetryStore.add`; the sample arithmetic is plain
functions in :mod:`~sloscope.telemetry.samples` and :mod:`~sloscope.telemetry.counters`).

Schema (version :data:`SCHEMA_VERSION`)::

    meta(key, value)                         schema_version, ...
    series(id, key, name, labels, type,      the catalog: one row per series, unique on
           first_ts, last_ts, last_value)    key = name{sorted labels}; labels is a MAP
    samples(series_id, ts, value, delta)     ts in Unix ms; delta = the sample's increase

A store written by a newer sloscope (a higher version) is refused rather than misread;
a file without the schema gets it when opened for writing.

A series is known by its key, ``name{sorted labels}``; new keys get the next ids. The
catalog also keeps each series' first and last timestamp and last value, so adding
samples after the stored ones needs no read of ``samples``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.errors import IngestError, SourceError
from sloscope.telemetry.openmetrics import SeriesKey
from sloscope.telemetry.samples import NEVER, SortedSamples, write_samples

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


@dataclass(frozen=True)
class AddResult:
    """What one :meth:`TelemetryStore.add` did."""

    new_samples: int
    duplicates: int
    conflicts: int
    series: int
    new_series: int
    nan_skipped: int = 0


class TelemetryStore:
    """Counter samples in a DuckDB file, with a series catalog.

    >>> with TelemetryStore(tmp / "telemetry.duckdb") as store:  # doctest: +SKIP
    ...     store.series_count()
    0

    The workspace decides the path (``.sloscope/telemetry.duckdb``); parent directories
    are created. ``read_only=True`` opens an existing file for queries only (several
    processes may read at once; DuckDB allows one writer).
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

    # --- what is stored ------------------------------------------------------------------

    def series_count(self) -> int:
        """Number of series in the catalog."""
        return self._scalar("SELECT count(*) FROM series")

    def sample_count(self) -> int:
        """Number of stored samples."""
        return self._scalar("SELECT count(*) FROM samples")

    def time_range(self) -> tuple[int, int] | None:
        """(first, last) sample timestamp in Unix ms, or None when the store is empty."""
        # fetchall, not fetchone: DuckDB refuses new work while a result is unfinished.
        first, last = self.con.execute("SELECT min(first_ts), max(last_ts) FROM series").fetchall()[
            0
        ]
        if first is None:
            return None
        return int(first), int(last)

    # --- adding samples ------------------------------------------------------------------

    def add(
        self,
        series: list[SeriesKey],
        series_index: NDArray[np.int32],
        timestamps: NDArray[np.int64],
        values: NDArray[np.float64],
    ) -> AddResult:
        """Store samples in one transaction; duplicates are skipped, deltas kept exact.

        ``series_index[i]`` indexes ``series``; ``timestamps`` are Unix ms. NaN samples
        are not stored (counted in ``nan_skipped``). A sample at a
        (series, ts) already stored is a duplicate when its value is the same and a
        conflict otherwise; either way the stored value is kept. Samples older than
        stored ones (filling a gap) are merged and the deltas of their series are
        recomputed from the earliest new timestamp on
        (:func:`~sloscope.telemetry.samples.write_samples`). On any error the store is
        left exactly as it was.
        """
        if self.read_only:
            raise IngestError(f"the telemetry store {self.path} is open read-only")
        # NaN (a staleness marker, or a broken exporter) counts nothing, and DuckDB would
        # read it from numpy as NULL: such samples are not stored.
        numbers = ~np.isnan(values)
        nan_skipped = len(values) - int(numbers.sum())
        if nan_skipped:
            series_index, timestamps, values = (
                series_index[numbers],
                timestamps[numbers],
                values[numbers],
            )
        if not len(values):
            return AddResult(0, 0, 0, 0, 0, nan_skipped)
        self.con.begin()
        try:
            result = self._add(series, series_index, timestamps, values)
            self.con.commit()
            result = dataclasses.replace(result, nan_skipped=nan_skipped)
        except duckdb.Error as exc:
            self._rollback()
            raise IngestError(
                f"could not store the samples in {self.path}: {exc}; nothing was stored "
                "(check free disk space and that no other process writes the store)"
            ) from exc
        except BaseException:
            self._rollback()
            raise
        return result

    def _rollback(self) -> None:
        # A failed COMMIT has already ended the transaction: then there is nothing to undo.
        with contextlib.suppress(duckdb.Error):
            self.con.rollback()

    def _add(
        self,
        series: list[SeriesKey],
        series_index: NDArray[np.int32],
        timestamps: NDArray[np.int64],
        values: NDArray[np.float64],
    ) -> AddResult:
        used = np.unique(series_index)
        ids, new_series = self._resolve_series([series[i] for i in used.tolist()])
        lut = np.full(max(len(series), 1), -1, dtype=np.int32)
        lut[used] = ids
        order = np.lexsort((timestamps, lut[series_index]))
        batch = SortedSamples(lut[series_index[order]], timestamps[order], values[order])
        del order
        # What is stored already, per series: its last sample (write_samples appends
        # after it, or merges the stored samples in when a gap is being filled).
        batch_ids = batch.series_ids()
        state = self._series_state(batch_ids)
        known = [state.get(i, (NEVER, np.nan)) for i in batch_ids.tolist()]
        written = write_samples(
            self.con,
            batch,
            last_ts=np.array([t for t, _ in known], dtype=np.int64),
            last_value=np.array([v for _, v in known], dtype=np.float64),
        )
        self._update_series_state(written.samples)
        return AddResult(
            new_samples=written.new_samples,
            duplicates=written.duplicates,
            conflicts=written.conflicts,
            series=len(batch_ids),
            new_series=new_series,
        )

    # --- the series catalog, inside the caller's transaction ------------------------------

    def _resolve_series(self, keys: list[SeriesKey]) -> tuple[NDArray[np.int64], int]:
        """Catalog ids of ``keys``, adding the new ones; (ids, how many were new)."""
        con = self.con
        texts = [k.key for k in keys]
        found: dict[str, int] = {}
        if texts:
            con.register("_keys", {"key": np.array(texts, dtype=object)})
            try:
                rows = con.execute(
                    "SELECT s.key, s.id FROM series s JOIN _keys k ON s.key = k.key"
                ).fetchall()
            finally:
                con.unregister("_keys")
            found = {str(k): int(i) for k, i in rows}
        new = [i for i, text in enumerate(texts) if text not in found]
        if new:
            new_ids = self._insert_series([keys[i] for i in new])
            for p, i in enumerate(new):
                found[texts[i]] = int(new_ids[p])
        return np.array([found[t] for t in texts], dtype=np.int64), len(new)

    def _insert_series(self, keys: list[SeriesKey]) -> NDArray[np.int32]:
        """Add ``keys`` (all new) to the catalog; their ids, in order."""
        con = self.con
        next_id = self._scalar("SELECT coalesce(max(id), 0) + 1 FROM series")
        new_ids = np.arange(next_id, next_id + len(keys), dtype=np.int32)
        label_pos = [p for p, key in enumerate(keys) for _ in key.labels]
        cat = {
            "pos": np.arange(len(keys), dtype=np.int32),
            "id": new_ids,
            "key": np.array([key.key for key in keys], dtype=object),
            "name": np.array([key.name for key in keys], dtype=object),
            "type": np.array([key.type for key in keys], dtype=object),
        }
        labels = {
            "pos": np.array(label_pos, dtype=np.int32),
            "k": np.array([n for key in keys for n, _ in key.labels], dtype=object),
            "v": np.array([v for key in keys for _, v in key.labels], dtype=object),
        }
        con.register("_cat", cat)
        con.register("_labels", labels)
        try:
            con.execute(
                """
                INSERT INTO series (id, key, name, labels, type)
                SELECT c.id, c.key, c.name,
                       coalesce(map_from_entries(
                           list({'key': l.k, 'value': l.v}) FILTER (WHERE l.k IS NOT NULL)),
                           MAP()),
                       c.type
                FROM _cat c LEFT JOIN _labels l USING (pos)
                GROUP BY c.pos, c.id, c.key, c.name, c.type
                """
            )
        finally:
            con.unregister("_cat")
            con.unregister("_labels")
        return new_ids

    def _series_state(self, ids: NDArray[np.int32]) -> dict[int, tuple[int, float]]:
        """(last_ts, last_value) of the stored series among ``ids`` that have samples."""
        self.con.register("_ids", {"id": ids.astype(np.int32)})
        try:
            rows = self.con.execute(
                "SELECT s.id, s.last_ts, s.last_value FROM series s JOIN _ids USING (id) "
                "WHERE s.last_ts IS NOT NULL"
            ).fetchall()
        finally:
            self.con.unregister("_ids")
        return {int(i): (int(t), float(v)) for i, t, v in rows}

    def _update_series_state(self, samples: SortedSamples) -> None:
        """Record each touched series' first and last sample."""
        sid, ts, val = samples.sid, samples.ts, samples.val
        if not len(sid):
            return
        starts = samples.starts()
        ends = np.r_[starts[1:], len(sid)] - 1
        state = {
            "id": sid[starts].astype(np.int32),
            "first_ts": ts[starts],
            "last_ts": ts[ends],
            "last_value": val[ends],
        }
        self.con.register("_state", state)
        try:
            self.con.execute(
                """
                UPDATE series SET
                    first_ts = least(coalesce(series.first_ts, u.first_ts), u.first_ts),
                    last_ts = u.last_ts,
                    last_value = u.last_value
                FROM _state u WHERE series.id = u.id
                """
            )
        finally:
            self.con.unregister("_state")
