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
    rollups(series_id, hour, delta,          each series' increases summed per hour
            mass, exact)                     (:mod:`~sloscope.telemetry.rollups`)

A store written by a newer sloscope (a higher version) is refused rather than misread;
a file without the schema gets it when opened for writing. A version 1 store (no
roll-ups) is read as it is, from its samples, and migrated (its roll-ups built) the
first time it is opened for writing: by an ingest or ``store delete-series --yes``.

A series is known by its key, ``name{sorted labels}``; new keys get the next ids. The
catalog also keeps each series' first and last timestamp and last value, so adding
samples after the stored ones needs no read of ``samples``.
"""

from __future__ import annotations

import contextlib
import errno
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.closing import Closing
from sloscope.errors import IngestError, SloscopeError, SourceError
from sloscope.telemetry.rollups import TABLE as ROLLUPS_TABLE
from sloscope.telemetry.rollups import build_all

if TYPE_CHECKING:
    from sloscope.telemetry.openmetrics.numbers import Columns
    from sloscope.telemetry.openmetrics.series import SeriesKey
    from sloscope.telemetry.samples import RowWriter

#: Version of the schema this code writes; a store with a newer one is refused.
#: 2 added the hourly roll-ups.
SCHEMA_VERSION = 2
#: The version before roll-ups, still read (from its samples) and migrated on writing.
_NO_ROLLUPS = 1

_SCHEMA = (
    """
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
    + ROLLUPS_TABLE
)


# A catalog change that touches no data: the checkpoint after it truncates free blocks.
_RECLAIM = (
    "CREATE TABLE _reclaim (x INTEGER); INSERT INTO _reclaim VALUES (1); "
    "DROP TABLE _reclaim; CHECKPOINT"
)


class AddResult(NamedTuple):
    """What one :meth:`TelemetryStore.add` did."""

    new_samples: int
    duplicates: int
    conflicts: int
    series: int
    new_series: int
    nan_skipped: int = 0


class TelemetryStore(Closing):
    """Counter samples in a DuckDB file, with a series catalog.

    >>> with TelemetryStore(tmp / "telemetry.duckdb") as store:  # doctest: +SKIP
    ...     store.series_count()
    0

    The workspace decides the path (``.sloscope/telemetry.duckdb``); parent directories
    are created. ``read_only=True`` opens an existing file for queries only (several
    processes may read at once; DuckDB allows one writer). While another process holds
    the file, opening waits up to ``wait`` seconds. ``memory_limit_mb`` bounds DuckDB's
    own memory (a large ingest sets it so that its memory does not grow with the file).
    """

    def __init__(
        self,
        path: str | Path,
        read_only: bool = False,
        wait: float = 60.0,
        memory_limit_mb: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise SourceError(
                f"no telemetry store at {self.path} (load data first with 'sloscope ingest FILE')"
            )
        check_store_path(self.path)
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise IngestError(unwritable(self.path.parent, exc)) from None
        #: Whether the hourly roll-ups are there (a version 1 store read-only has none).
        self.has_rollups = True
        self.con = self._connect(wait)
        try:
            if memory_limit_mb is not None:
                # DuckDB's cache of blocks would otherwise grow with what is written.
                self.con.execute(f"SET memory_limit = '{int(memory_limit_mb)}MB'")
            self._check_schema()
        except duckdb.Error as exc:
            self.con.close()
            raise SourceError(self._damaged(exc)) from None
        except BaseException:
            self.con.close()
            raise

    def _connect(self, wait: float) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting up to ``wait`` seconds while another process writes it.

        DuckDB locks the file: one process may write, or several read. An ingest holds
        the lock only while it writes (it parses first), so waiting here costs at most
        one write.
        """
        deadline = time.monotonic() + wait
        pause = 0.02
        while True:
            try:
                # DuckDB draws a progress bar on the terminal for a long statement (a
                # migration, a large write): the CLI's output is its own.
                con = duckdb.connect(str(self.path), read_only=self.read_only)
                con.execute("SET enable_progress_bar = false")
                return con
            except duckdb.Error as exc:
                if not _is_lock_conflict(exc):
                    raise self._open_error(exc) from None
                if time.monotonic() >= deadline:
                    raise SourceError(
                        f"the telemetry store {self.path} is still locked by another "
                        f"process after {wait:g} s (an ingest writing a large file, or a "
                        "process that hangs); wait for it to finish, or stop it"
                    ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _open_error(self, exc: duckdb.Error) -> SloscopeError:
        """The error to raise when the file cannot be opened, saying why."""
        text = str(exc)
        if isinstance(exc, duckdb.PermissionException) or "Permission denied" in text:
            return SourceError(
                f"cannot open the telemetry store {self.path}: permission denied; give "
                "this user read (and, to ingest, write) access to the file and its folder"
            )
        if "Read-only file system" in text or "read-only" in text.lower():
            return IngestError(unwritable(self.path.parent, OSError(errno.EROFS, text)))
        return SourceError(self._damaged(exc))

    def read_error(self, exc: duckdb.Error) -> SourceError:
        """The error to raise when a query of the store fails: a damaged file says so."""
        text = str(exc)
        if any(word in text for word in ("Corrupt", "checksum", "Could not read enough")):
            return SourceError(self._damaged(exc))
        return SourceError(f"the telemetry store {self.path} could not answer: {_first_line(exc)}")

    def _damaged(self, exc: duckdb.Error) -> str:
        """The message for a store that opens but cannot be read: truncated or corrupt."""
        return (
            f"the telemetry store {self.path} is damaged or not a sloscope store "
            f"({_first_line(exc)}); restore it from a backup, or move it aside and "
            "ingest the telemetry again"
        )

    def _check_schema(self) -> None:
        """Check the schema version; create the schema, or migrate an older one, when
        writing. Sets :attr:`has_rollups`."""
        # The store's own tables only: duckdb_tables() alone also walks the system and
        # temporary catalogs, about 8 ms of every command that opens the store.
        listed = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        )
        tables = {row[0] for row in listed.fetchall()}
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
            if version == SCHEMA_VERSION and {"series", "samples", "rollups"} <= tables:
                return
            if version == _NO_ROLLUPS and {"series", "samples"} <= tables:
                if self.read_only:
                    self.has_rollups = False
                    return
                self._migrate()
                return
        if self.read_only:
            raise SourceError(
                f"{self.path} is not a sloscope telemetry store (no schema); "
                "create it with 'sloscope ingest FILE'"
            )
        self.con.begin()
        self.con.execute(_SCHEMA)
        self._set_version()
        self.con.commit()

    def _set_version(self) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )

    def _migrate(self) -> None:
        """Version 1 to 2: build the roll-ups of every stored sample, all or nothing."""
        self.con.begin()
        try:
            self.con.execute(ROLLUPS_TABLE)
            build_all(self.con)
            self._set_version()
            self.con.commit()
        except BaseException:
            self.rollback()
            raise

    # --- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the DuckDB connection (safe to call twice)."""
        self.con.close()

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

    def add(self, series: list[SeriesKey], batches: Iterable[Columns]) -> AddResult:
        """Store batches of samples in one transaction; duplicates skipped, deltas exact.

        A batch's ``index[i]`` indexes ``series``; ``timestamps`` are Unix ms. NaN
        samples are not stored (counted in ``nan_skipped``). A sample at a (series, ts)
        already stored, by an earlier ingest or an earlier batch, is a duplicate when its
        value is the same and a conflict otherwise; either way the stored value is kept.
        Samples older than stored ones (filling a gap) are merged and the deltas of
        their series are recomputed from the earliest new timestamp on
        (:func:`~sloscope.telemetry.samples.write_samples`). On any error the store is
        left exactly as it was, and the space the failed write took is given back.
        """
        if self.read_only:
            raise IngestError(f"the telemetry store {self.path} is open read-only")
        # Here, not at the top: a store that is only read (gate, report) needs no writer.
        from sloscope.telemetry.samples import RowWriter

        self.con.begin()
        try:
            total = AddResult(0, 0, 0, 0, 0)
            seen = np.zeros(len(series), dtype=bool)
            # Staged rows are at most one batch (some MB): the system's temporary folder
            # holds them, so that a full disk under the store fails in the store's own
            # write, where the rollback gives the space back.
            with tempfile.TemporaryDirectory(prefix="sloscope-write-") as folder:
                writer = RowWriter(self.con, Path(folder))
                try:
                    for batch in batches:
                        seen[batch.index] = True
                        total = _plus(total, self._add_batch(writer, series, batch))
                finally:
                    writer.close()
            self.con.commit()
        except duckdb.Error as exc:
            self.rollback()
            raise IngestError(
                f"could not store the samples in {self.path}: {_first_line(exc)}; nothing "
                "was stored (check free disk space and that no other process writes the store)"
            ) from exc
        except BaseException:
            self.rollback()
            raise
        return total._replace(series=int(seen.sum()))

    def _add_batch(self, writer: RowWriter, series: list[SeriesKey], batch: Columns) -> AddResult:
        index, timestamps, values = batch.index, batch.timestamps, batch.values
        # NaN (a gauge's "no value") counts nothing, and DuckDB would read it from numpy
        # as NULL: such samples are not stored.
        numbers = ~np.isnan(values)
        nan_skipped = len(values) - int(numbers.sum())
        if nan_skipped:
            index, timestamps, values = index[numbers], timestamps[numbers], values[numbers]
        if not len(values):
            return AddResult(0, 0, 0, 0, 0, nan_skipped)
        result = self._add(writer, series, index, timestamps, values)
        return result._replace(nan_skipped=nan_skipped)

    def rollback(self) -> None:
        """Undo the open transaction, and give back the space its writes took."""
        # A failed COMMIT has already ended the transaction: then there is nothing to undo.
        with contextlib.suppress(duckdb.Error):
            self.con.rollback()
        self.reclaim()

    def reclaim(self) -> None:
        """Give back the blocks a rolled-back write had already put in the file.

        DuckDB writes a large transaction's rows to the file as it goes; a rollback
        frees those blocks in memory, but the file keeps them until a checkpoint that
        changes the catalog. A table made and dropped at once is such a change, and
        touches no data. A write that failed on a full disk leaves the connection
        unusable: a new one then reads the file as last committed, and reclaims. Best
        effort: when even that fails, the next successful write reclaims the blocks.
        """
        try:
            self.con.execute(_RECLAIM)
        except duckdb.Error:
            with contextlib.suppress(duckdb.Error):
                self.con.close()
                self.con = duckdb.connect(str(self.path), read_only=self.read_only)
                self.con.execute(_RECLAIM)

    def verify(self) -> None:
        """Read every stored block once; raise :class:`SourceError` if any is damaged.

        DuckDB checks each block's checksum as it reads it, and a write that appends
        reads none of the old ones: without this, an ingest into a damaged store would
        succeed and leave it damaged.
        """
        try:
            self.con.execute(
                "SELECT sum(hash(series_id, ts, value, delta)) FROM samples"
            ).fetchall()
            self.con.execute("SELECT sum(hash(id, key, name, labels, type)) FROM series").fetchall()
            if self.has_rollups:
                self.con.execute(
                    "SELECT sum(hash(series_id, hour, delta, mass, exact)) FROM rollups"
                ).fetchall()
        except duckdb.Error as exc:
            raise SourceError(self._damaged(exc)) from None

    def _add(
        self,
        writer: RowWriter,
        series: list[SeriesKey],
        series_index: NDArray[np.int32],
        timestamps: NDArray[np.int64],
        values: NDArray[np.float64],
    ) -> AddResult:
        from sloscope.telemetry.catalog import resolve_series, series_state, update_series_state
        from sloscope.telemetry.samples import NEVER, SortedSamples, write_samples

        used = np.unique(series_index)
        ids, new_series = resolve_series(self.con, [series[i] for i in used.tolist()])
        lut = np.full(max(len(series), 1), -1, dtype=np.int32)
        lut[used] = ids
        order = np.lexsort((timestamps, lut[series_index]))
        batch = SortedSamples(lut[series_index[order]], timestamps[order], values[order])
        del order
        # What is stored already, per series: its last sample (write_samples appends
        # after it, or merges the stored samples in when a gap is being filled).
        batch_ids = batch.series_ids()
        state = series_state(self.con, batch_ids)
        known = [state.get(i, (NEVER, np.nan)) for i in batch_ids.tolist()]
        written = write_samples(
            writer,
            batch,
            last_ts=np.array([t for t, _ in known], dtype=np.int64),
            last_value=np.array([v for _, v in known], dtype=np.float64),
        )
        update_series_state(self.con, written.samples)
        return AddResult(
            new_samples=written.new_samples,
            duplicates=written.duplicates,
            conflicts=written.conflicts,
            series=len(batch_ids),
            new_series=new_series,
        )


def _plus(a: AddResult, b: AddResult) -> AddResult:
    """Two results' counts added up (``series`` is set by the caller)."""
    return AddResult(
        new_samples=a.new_samples + b.new_samples,
        duplicates=a.duplicates + b.duplicates,
        conflicts=a.conflicts + b.conflicts,
        series=0,
        new_series=a.new_series + b.new_series,
        nan_skipped=a.nan_skipped + b.nan_skipped,
    )


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return "Could not set lock" in str(exc) or "Conflicting lock" in str(exc)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def check_store_path(path: Path) -> None:
    """Refuse a store path that is there but is no file (DuckDB would block on a pipe)."""
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a pipe or a device?)"
        raise SourceError(
            f"the telemetry store {path} is {kind}; point source.path in "
            "sloscope.yaml (or SLOSCOPE_TELEMETRY_PATH) at a file, or move it aside"
        )


def unwritable(folder: Path, exc: OSError) -> str:
    """What to say when the store's folder cannot be written."""
    return (
        f"cannot write in {folder} ({exc.strerror or exc}): the telemetry store lives "
        "there; make the folder writable, or point the workspace (--workspace) or "
        "source.path in sloscope.yaml at a writable place. Nothing was stored"
    )
