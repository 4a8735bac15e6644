"""Writing counter samples into the telemetry store: dedupe, gap filling, exact deltas.

Plain functions over the store's DuckDB connection, called by
:meth:`~sloscope.telemetry.store.TelemetryStore.add` inside its transaction.

(series_id, ts) is unique. The ingest keeps it so (an index over every sample would cost
more than the rest of the store); a sample already stored wins over a new one at the same
time, so re-ingesting a file changes nothing. New samples after a series' last stored one
are appended; samples before it (a gap being filled) are merged with the stored ones and
the deltas of their series recomputed from the earliest new timestamp on
(:func:`~sloscope.telemetry.counters.counter_deltas`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.telemetry.counters import counter_deltas, first_new_per_series
from sloscope.telemetry.rollups import LAST_HOUR, hour_of, hourly_rows, refresh

# Kinds of rows while merging: a seed (stored, before the new ones, not rewritten), a
# stored sample (rewritten with its new delta), a new sample.
_SEED, _OLD, _NEW = np.int8(0), np.int8(1), np.int8(2)
#: last_ts of a series with no stored sample: before any timestamp.
NEVER = np.iinfo(np.int64).min

_Rows = tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.float64], NDArray[np.int8]]


@dataclass(frozen=True)
class SortedSamples:
    """Samples sorted by series id, then time: ``sid``, ``ts`` (Unix ms) and ``val``."""

    sid: NDArray[np.int32]
    ts: NDArray[np.int64]
    val: NDArray[np.float64]

    def starts(self) -> NDArray[np.intp]:
        """Index of the first sample of each series."""
        sid = self.sid
        return np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])

    def series_ids(self) -> NDArray[np.int32]:
        """The ids of the series, in order, once each."""
        return self.sid[self.starts()]


@dataclass(frozen=True)
class WrittenSamples:
    """What :func:`write_samples` did; ``samples`` are the rows it judged (stored and new,
    without duplicates), from which the catalog takes each series' first and last sample.
    """

    samples: SortedSamples
    new_samples: int
    duplicates: int
    conflicts: int


class RowWriter:
    """Inserts sample rows into the store inside its transaction, in bounded memory.

    DuckDB keeps every numpy array an INSERT scanned alive until the transaction ends,
    so one large ingest written straight from numpy would hold all its rows in memory.
    Large inserts therefore go through a Parquet file in ``folder``, written by a
    separate in-memory connection (whose statements end at once, freeing the arrays)
    and read back by the store's connection in SQL.
    """

    #: Inserts of fewer rows are scanned from numpy directly (what they hold is small).
    DIRECT_ROWS = 1 << 16

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        self.con = con
        self.folder = folder
        self._staging = duckdb.connect()
        self._file = str(folder / "rows.parquet")

    def insert(
        self,
        sid: NDArray[np.int32],
        ts: NDArray[np.int64],
        val: NDArray[np.float64],
        delta: NDArray[np.float64],
    ) -> None:
        """Append rows to ``samples``."""
        self._insert("samples", {"series_id": sid, "ts": ts, "value": val, "delta": delta})

    def roll_up(
        self, sid: NDArray[np.int32], ts: NDArray[np.int64], delta: NDArray[np.float64]
    ) -> None:
        """Add the hourly roll-ups of appended rows (sorted by series, then time)."""
        self._insert("rollups", hourly_rows(sid, ts, delta))

    def _insert(self, table: str, rows: dict[str, NDArray[np.generic]]) -> None:
        """Append ``rows`` (columns in the table's order) to ``table``."""
        if not len(rows["series_id"]):
            return
        if len(rows["series_id"]) < self.DIRECT_ROWS:
            self.con.register("_new_rows", rows)
            try:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM _new_rows")
            finally:
                self.con.unregister("_new_rows")
            return
        self._staging.register("_rows", rows)
        try:
            self._staging.execute(
                "COPY (SELECT * FROM _rows) TO ? (FORMAT parquet, COMPRESSION uncompressed)",
                [self._file],
            )
        finally:
            self._staging.unregister("_rows")
        self.con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet(?)", [self._file])

    def close(self) -> None:
        """Close the staging connection."""
        self._staging.close()


def write_samples(
    writer: RowWriter,
    batch: SortedSamples,
    *,
    last_ts: NDArray[np.int64],
    last_value: NDArray[np.float64],
) -> WrittenSamples:
    """Insert ``batch`` into ``samples`` with exact deltas, skipping duplicates.

    ``last_ts`` and ``last_value`` are the last stored sample of each series of the batch
    (:data:`NEVER` and NaN for none). New samples after it are appended; for a series
    whose new samples start at or before it (a gap being filled, or a re-ingest) the
    stored samples are merged in and rewritten from its earliest new one on.
    """
    con = writer.con
    starts = batch.starts()
    batch_ids, first_new = batch.sid[starts], batch.ts[starts]
    sid, ts, val = batch.sid, batch.ts, batch.val
    kind: NDArray[np.int8] | None = None
    seeds: NDArray[np.float64] | None = None
    gap_at = first_new <= last_ts
    if gap_at.any():
        sid, ts, val, kind = _merge_stored(
            con,
            batch,
            batch_ids=batch_ids,
            first_new=first_new,
            last_ts=last_ts,
            last_value=last_value,
        )
    else:
        # The last stored value (NaN: none) is the previous value of each series'
        # first new sample.
        seeds = last_value
    keep, duplicates, conflicts = _first_of_each_time(sid, ts, val)
    if keep is not None:
        sid, ts, val = sid[keep], ts[keep], val[keep]
        kind = kind[keep] if kind is not None else None
    delta = counter_deltas(sid, val, seeds)
    if kind is None:
        new_samples = len(sid)
        write = np.ones(len(sid), dtype=bool)
    else:
        write, new_samples = _rewrite_mask(con, sid, ts, kind)
    writer.insert(sid[write], ts[write], val[write], delta[write])
    if kind is None:
        writer.roll_up(sid, ts, delta)
    else:
        _roll_up_merged(writer, (sid, ts, delta, write), batch_ids[gap_at], first_new[gap_at])
    return WrittenSamples(SortedSamples(sid, ts, val), new_samples, duplicates, conflicts)


def _roll_up_merged(
    writer: RowWriter,
    rows: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_]],
    gap_ids: NDArray[np.int32],
    gap_from: NDArray[np.int64],
) -> None:
    """Roll-ups after a merge: the written rows of appended series are added; the
    series with a gap filled are recomputed from the hour of their earliest new sample,
    which also holds stored samples that were not rewritten."""
    sid, ts, delta, write = rows
    appended = write & ~np.isin(sid, gap_ids)
    writer.roll_up(sid[appended], ts[appended], delta[appended])
    last = np.full(len(gap_ids), LAST_HOUR, dtype=np.int64)
    refresh(writer.con, gap_ids, hour_of(gap_from), last)


def _first_of_each_time(
    sid: NDArray[np.int32], ts: NDArray[np.int64], val: NDArray[np.float64]
) -> tuple[NDArray[np.bool_] | None, int, int]:
    """(rows to keep, or None for all; duplicates; conflicts) of sorted rows.

    The kept sample of a (series, ts) is the first: stored before new, then the file's
    order. A dropped one is a duplicate when its value equals the kept one's.
    """
    same = np.zeros(len(sid), dtype=bool)
    np.logical_and(sid[1:] == sid[:-1], ts[1:] == ts[:-1], out=same[1:])
    if not same.any():
        return None, 0, 0
    dropped = np.flatnonzero(same)
    kept = np.maximum.accumulate(np.where(same, 0, np.arange(len(same))))[dropped]
    equal = (val[dropped] == val[kept]) | (np.isnan(val[dropped]) & np.isnan(val[kept]))
    duplicates = int(equal.sum())
    return ~same, duplicates, len(dropped) - duplicates


def _merge_stored(
    con: duckdb.DuckDBPyConnection,
    batch: SortedSamples,
    *,
    batch_ids: NDArray[np.int32],
    first_new: NDArray[np.int64],
    last_ts: NDArray[np.int64],
    last_value: NDArray[np.float64],
) -> _Rows:
    """New samples merged with what is stored around them, sorted, with their kinds.

    Appended series get their last stored sample as a seed row; series with a gap
    get the stored sample before their earliest new one (a seed) and every stored
    sample after it. Stored rows sort before new ones at the same (series, ts).
    """
    has_state = last_ts != NEVER
    gap = first_new <= last_ts
    append = has_state & ~gap
    g_sid, g_ts, g_val, g_kind = _stored_samples(con, batch_ids[gap], first_new[gap])
    n_append = int(append.sum())
    all_sid = np.concatenate([batch_ids[append], g_sid, batch.sid])
    all_ts = np.concatenate([last_ts[append], g_ts, batch.ts])
    all_val = np.concatenate([last_value[append], g_val, batch.val])
    kind = np.concatenate(
        [np.full(n_append, _SEED, np.int8), g_kind, np.full(len(batch.sid), _NEW, np.int8)]
    )
    order = np.lexsort((kind, all_ts, all_sid))
    return all_sid[order], all_ts[order], all_val[order], kind[order]


def _rewrite_mask(
    con: duckdb.DuckDBPyConnection,
    sid: NDArray[np.int32],
    ts: NDArray[np.int64],
    kind: NDArray[np.int8],
) -> tuple[NDArray[np.bool_], int]:
    """Rows to write after a merge (new ones, and stored ones whose delta may change).

    Stored samples are rewritten only from their series' first new sample on: the
    deltas before it did not change, so a re-ingest rewrites nothing. Those stored
    samples are deleted here, to be inserted again with the new ones.
    """
    is_new = kind == _NEW
    stored = kind == _OLD
    rewrite = np.zeros(len(kind), dtype=bool)
    rewrite_ids, rewrite_from = first_new_per_series(sid, ts, is_new)
    if stored.any() and len(rewrite_ids):
        position = np.searchsorted(rewrite_ids, sid[stored])
        position = np.minimum(position, len(rewrite_ids) - 1)
        found = rewrite_ids[position] == sid[stored]
        rewrite[stored] = found & (ts[stored] >= rewrite_from[position])
        if rewrite.any():
            _delete_from(con, rewrite_ids, rewrite_from)
    return is_new | rewrite, int(is_new.sum())


def _stored_samples(
    con: duckdb.DuckDBPyConnection, ids: NDArray[np.int32], first_new: NDArray[np.int64]
) -> _Rows:
    """The stored samples the new ones will be merged with.

    For each series: the last sample before its earliest new one (a seed, kept as it
    is) and every sample from the earliest new one on (rewritten with recomputed
    deltas when a new sample lands before it).
    """
    con.register("_gap", {"series_id": ids.astype(np.int32), "t0": first_new})
    try:
        seeds = con.execute(
            """
            SELECT s.series_id, max(s.ts) AS ts, arg_max(s.value, s.ts) AS value
            FROM samples s JOIN _gap g USING (series_id) WHERE s.ts < g.t0
            GROUP BY s.series_id
            """
        ).fetchnumpy()
        later = con.execute(
            """
            SELECT s.series_id, s.ts, s.value FROM samples s JOIN _gap g USING (series_id)
            WHERE s.ts >= g.t0
            """
        ).fetchnumpy()
    finally:
        con.unregister("_gap")
    return (
        np.concatenate([seeds["series_id"], later["series_id"]]).astype(np.int32),
        np.concatenate([seeds["ts"], later["ts"]]).astype(np.int64),
        np.concatenate([seeds["value"], later["value"]]).astype(np.float64),
        np.concatenate(
            [
                np.full(len(seeds["ts"]), _SEED, np.int8),
                np.full(len(later["ts"]), _OLD, np.int8),
            ]
        ),
    )


def _delete_from(
    con: duckdb.DuckDBPyConnection, ids: NDArray[np.int32], first: NDArray[np.int64]
) -> None:
    """Delete the stored samples of each series ``ids[i]`` from ``first[i]`` on."""
    con.register("_rewrite", {"series_id": ids.astype(np.int32), "t0": first})
    try:
        con.execute(
            "DELETE FROM samples USING _rewrite r "
            "WHERE samples.series_id = r.series_id AND samples.ts >= r.t0"
        )
    finally:
        con.unregister("_rewrite")
