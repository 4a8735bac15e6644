"""Adding counter samples to the telemetry store: dedupe, gap filling, exact deltas.

(series_id, ts) is unique. The ingest keeps it so (an index over every sample would cost
more than the rest of the store); a sample already stored wins over a new one at the same
time, so re-ingesting a file changes nothing. New samples after a series' last stored one
are appended; samples before it (a gap being filled) are merged with the stored ones and
the deltas of their series recomputed from the earliest new timestamp on
(:func:`~sloscope.telemetry.counters.counter_deltas`). NaN samples are not stored.

The whole of one :meth:`SampleWriter.add` is one transaction: on any error the store is
left exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

import duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.errors import IngestError
from sloscope.telemetry.counters import counter_deltas, first_new_per_series
from sloscope.telemetry.openmetrics import SeriesKey
from sloscope.telemetry.series_catalog import SeriesCatalog

# Kinds of rows while merging: a seed (stored, before the new ones, not rewritten), a
# stored sample (rewritten with its new delta), a new sample.
_SEED, _OLD, _NEW = np.int8(0), np.int8(1), np.int8(2)
#: last_ts of a series with no stored sample: before any timestamp.
_NEVER = np.iinfo(np.int64).min


@dataclass(frozen=True)
class AddResult:
    """What one :meth:`TelemetryStore.add` did."""

    new_samples: int
    duplicates: int
    conflicts: int
    series: int
    new_series: int
    nan_skipped: int = 0


class SampleWriter(SeriesCatalog):
    """Writes samples into the catalog's series, one transaction per :meth:`add`."""

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
        rewrite_ids, rewrite_from = first_new_per_series(sid, ts, is_new)
        if stored.any() and len(rewrite_ids):
            position = np.searchsorted(rewrite_ids, sid[stored])
            position = np.minimum(position, len(rewrite_ids) - 1)
            found = rewrite_ids[position] == sid[stored]
            rewrite[stored] = found & (ts[stored] >= rewrite_from[position])
            if rewrite.any():
                self._delete_from(rewrite_ids, rewrite_from)
        return is_new | rewrite, int(is_new.sum())

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
