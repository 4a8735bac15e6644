"""The embedded telemetry store: counter samples in one DuckDB file.

Schema (version :data:`SCHEMA_VERSION`)::

    meta(key, value)                         schema_version, ...
    series(id, key, name, labels, type,      the catalog: one row per series, unique on
           first_ts, last_ts, last_value)    key = name{sorted labels}; labels is a MAP
    samples(series_id, ts, value, delta)     ts in Unix ms; delta = the sample's increase

``delta`` follows counter semantics as Prometheus applies them: ``value - previous`` of the
same series, or ``value`` itself after a reset (a value below the previous one); the first
sample of a series has delta 0, since what it counted before is unknown. NaN samples
(staleness markers) count nothing and are not stored, so the next sample compares with
the last number before them. The per-step events
of an SLI are then plain sums of ``delta`` (see :mod:`sloscope.sources.embedded`).

(series_id, ts) is unique. The ingest keeps it so (an index over every sample would cost
more than the rest of the store); a sample already stored wins over a new one at the same
time, so re-ingesting a file changes nothing.

The whole of one :meth:`TelemetryStore.add` is one transaction: on any error the store is
left exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.errors import IngestError, SourceError
from sloscope.telemetry.openmetrics import SeriesKey

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

    def __enter__(self) -> TelemetryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- stats -------------------------------------------------------------------------

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

    def _scalar(self, sql: str) -> int:
        return int(self.con.execute(sql).fetchall()[0][0])

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query with bound parameters (for sources and diagnostics)."""
        return list(self.con.execute(sql, params or []).fetchall())

    # --- writing -----------------------------------------------------------------------

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
        recomputed from the earliest new timestamp on.
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
        con = self.con
        used = np.unique(series_index)
        ids, new_series = self._resolve_series([series[i] for i in used.tolist()])
        lut = np.full(max(len(series), 1), -1, dtype=np.int32)
        lut[used] = ids
        order = np.lexsort((timestamps, lut[series_index]))
        sid = lut[series_index[order]]
        ts, val = timestamps[order], values[order]
        del order

        # What is stored already, per series: its last sample. New samples after it are
        # appended; for a series whose new samples start at or before it (a gap being
        # filled, or a re-ingest) the stored samples are merged in.
        starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
        batch_ids = sid[starts]
        state = self._series_state(batch_ids)
        known = [state.get(i, (_NEVER, np.nan)) for i in batch_ids.tolist()]
        last_ts = np.array([t for t, _ in known], dtype=np.int64)
        last_value = np.array([v for _, v in known], dtype=np.float64)
        gap = ts[starts] <= last_ts

        kind: NDArray[np.int8] | None = None
        seeds: NDArray[np.float64] | None = None
        if gap.any():
            sid, ts, val, kind = self._merge_stored(
                sid,
                ts,
                val,
                batch_ids=batch_ids,
                first_new=ts[starts],
                last_ts=last_ts,
                last_value=last_value,
            )
        else:
            # The last stored value (NaN: none) is the previous value of each series'
            # first new sample.
            seeds = last_value

        same = np.zeros(len(sid), dtype=bool)
        np.logical_and(sid[1:] == sid[:-1], ts[1:] == ts[:-1], out=same[1:])
        duplicates = conflicts = 0
        if same.any():
            dropped = np.flatnonzero(same)
            # The kept sample of a (series, ts) is the first: stored before new, then
            # the file's order.
            kept = np.maximum.accumulate(np.where(same, 0, np.arange(len(same))))[dropped]
            equal = (val[dropped] == val[kept]) | (np.isnan(val[dropped]) & np.isnan(val[kept]))
            duplicates = int(equal.sum())
            conflicts = len(dropped) - duplicates
            keep = ~same
            sid, ts, val = sid[keep], ts[keep], val[keep]
            kind = kind[keep] if kind is not None else None

        delta = counter_deltas(sid, val, seeds)
        if kind is None:
            new_samples = len(sid)
            rows = {"series_id": sid, "ts": ts, "value": val, "delta": delta}
        else:
            write, new_samples = self._rewrite_mask(sid, ts, kind)
            rows = {
                "series_id": sid[write],
                "ts": ts[write],
                "value": val[write],
                "delta": delta[write],
            }
        con.register("_new_samples", rows)
        try:
            con.execute("INSERT INTO samples SELECT series_id, ts, value, delta FROM _new_samples")
        finally:
            con.unregister("_new_samples")
        self._update_series_state(sid, ts, val)
        return AddResult(
            new_samples=new_samples,
            duplicates=duplicates,
            conflicts=conflicts,
            series=len(batch_ids),
            new_series=new_series,
        )

    def _merge_stored(
        self,
        sid: NDArray[np.int32],
        ts: NDArray[np.int64],
        val: NDArray[np.float64],
        *,
        batch_ids: NDArray[np.int32],
        first_new: NDArray[np.int64],
        last_ts: NDArray[np.int64],
        last_value: NDArray[np.float64],
    ) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.float64], NDArray[np.int8]]:
        """New samples merged with what is stored around them, sorted, with their kinds.

        Appended series get their last stored sample as a seed row; series with a gap
        get the stored sample before their earliest new one (a seed) and every stored
        sample after it. Stored rows sort before new ones at the same (series, ts).
        """
        has_state = last_ts != _NEVER
        gap = first_new <= last_ts
        append = has_state & ~gap
        g_sid, g_ts, g_val, g_kind = self._stored_samples(batch_ids[gap], first_new[gap])
        n_append = int(append.sum())
        all_sid = np.concatenate([batch_ids[append], g_sid, sid])
        all_ts = np.concatenate([last_ts[append], g_ts, ts])
        all_val = np.concatenate([last_value[append], g_val, val])
        kind = np.concatenate(
            [np.full(n_append, _SEED, np.int8), g_kind, np.full(len(sid), _NEW, np.int8)]
        )
        order = np.lexsort((kind, all_ts, all_sid))
        return all_sid[order], all_ts[order], all_val[order], kind[order]

    def _rewrite_mask(
        self, sid: NDArray[np.int32], ts: NDArray[np.int64], kind: NDArray[np.int8]
    ) -> tuple[NDArray[np.bool_], int]:
        """Rows to write after a merge (new ones, and stored ones whose delta may change).

        Stored samples are rewritten only from their series' first new sample on: the
        deltas before it did not change, so a re-ingest rewrites nothing. Those stored
        samples are deleted here, to be inserted again with the new ones.
        """
        is_new = kind == _NEW
        stored = kind == _OLD
        rewrite = np.zeros(len(kind), dtype=bool)
        rewrite_ids, rewrite_from = _first_new_per_series(sid, ts, is_new)
        if stored.any() and len(rewrite_ids):
            position = np.searchsorted(rewrite_ids, sid[stored])
            position = np.minimum(position, len(rewrite_ids) - 1)
            found = rewrite_ids[position] == sid[stored]
            rewrite[stored] = found & (ts[stored] >= rewrite_from[position])
            if rewrite.any():
                self._delete_from(rewrite_ids, rewrite_from)
        return is_new | rewrite, int(is_new.sum())

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
            next_id = self._scalar("SELECT coalesce(max(id), 0) + 1 FROM series")
            new_ids = np.arange(next_id, next_id + len(new), dtype=np.int32)
            label_pos = [p for p, i in enumerate(new) for _ in keys[i].labels]
            label_names = [n for i in new for n, _ in keys[i].labels]
            label_values = [v for i in new for _, v in keys[i].labels]
            cat = {
                "pos": np.arange(len(new), dtype=np.int32),
                "id": new_ids,
                "key": np.array([texts[i] for i in new], dtype=object),
                "name": np.array([keys[i].name for i in new], dtype=object),
                "type": np.array([keys[i].type for i in new], dtype=object),
            }
            labels = {
                "pos": np.array(label_pos, dtype=np.int32),
                "k": np.array(label_names, dtype=object),
                "v": np.array(label_values, dtype=object),
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
            for p, i in enumerate(new):
                found[texts[i]] = int(new_ids[p])
        return np.array([found[t] for t in texts], dtype=np.int64), len(new)

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

    def _stored_samples(
        self, ids: NDArray[np.int32], first_new: NDArray[np.int64]
    ) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.float64], NDArray[np.int8]]:
        """The stored samples the new ones will be merged with.

        For each series: the last sample before its earliest new one (a seed, kept as it
        is) and every sample from the earliest new one on (rewritten with recomputed
        deltas when a new sample lands before it).
        """
        con = self.con
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

    def _delete_from(self, ids: NDArray[np.int32], first: NDArray[np.int64]) -> None:
        """Delete the stored samples of each series ``ids[i]`` from ``first[i]`` on."""
        self.con.register("_rewrite", {"series_id": ids.astype(np.int32), "t0": first})
        try:
            self.con.execute(
                "DELETE FROM samples USING _rewrite r "
                "WHERE samples.series_id = r.series_id AND samples.ts >= r.t0"
            )
        finally:
            self.con.unregister("_rewrite")

    def _update_series_state(
        self, sid: NDArray[np.int32], ts: NDArray[np.int64], val: NDArray[np.float64]
    ) -> None:
        """Record each touched series' first and last sample (arrays sorted by sid, ts)."""
        if not len(sid):
            return
        starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
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


# Kinds of rows while merging: a seed (stored, before the new ones, not rewritten), a
# stored sample (rewritten with its new delta), a new sample.
_SEED, _OLD, _NEW = np.int8(0), np.int8(1), np.int8(2)
#: last_ts of a series with no stored sample: before any timestamp.
_NEVER = np.iinfo(np.int64).min


def _first_new_per_series(
    sid: NDArray[np.int32], ts: NDArray[np.int64], is_new: NDArray[np.bool_]
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """(series ids, timestamp of each one's first new sample), sorted by id."""
    new_sid, new_ts = sid[is_new], ts[is_new]
    if not len(new_sid):
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    # Rows are sorted by (series, ts), so a series' first new row is its earliest.
    starts = np.flatnonzero(np.r_[True, new_sid[1:] != new_sid[:-1]])
    return new_sid[starts], new_ts[starts]


def counter_deltas(
    sid: NDArray[np.int32],
    values: NDArray[np.float64],
    seeds: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Per-sample increases of counters, as Prometheus counts them.

    ``sid`` and ``values`` are sorted by series then time. Within a series: ``value -
    previous``, or ``value`` after a reset (value < previous); the first sample 0 unless
    ``seeds`` (one per run of a series, NaN for none) gives the value stored before it.
    NaN samples are skipped: delta 0, and the next sample compares with the last number.

    >>> counter_deltas(np.array([1, 1, 1, 1]), np.array([10.0, 20.0, 5.0, 8.0])).tolist()
    [0.0, 10.0, 5.0, 3.0]
    """
    n = len(values)
    if n == 0:
        return np.zeros(0)
    first = np.ones(n, dtype=bool)
    np.not_equal(sid[1:], sid[:-1], out=first[1:])
    if np.isnan(values).any():
        positions = np.arange(n)
        # Index of the last number strictly before each position, and the series start.
        last_valid = np.maximum.accumulate(np.where(np.isnan(values), -1, positions))
        prev_index = np.r_[-1, last_valid[:-1]]
        run_start = np.maximum.accumulate(np.where(first, positions, 0))
        in_series = prev_index >= run_start
        prev = np.where(in_series, values[np.maximum(prev_index, 0)], np.nan)
    else:
        in_series = ~first
        prev = np.empty(n)
        prev[1:] = values[:-1]
        prev[first] = np.nan
    if seeds is not None:
        runs = np.cumsum(first) - 1
        prev = np.where(in_series, prev, seeds[runs])
    delta = values - prev
    reset = values < prev
    delta[reset] = values[reset]
    # No previous number (first sample, or a NaN on either side): no increase.
    delta[np.isnan(delta)] = 0.0
    return delta
