"""The series catalog of the telemetry store: one row per series, with its last sample.

A series is known by its key, ``name{sorted labels}``; new keys get the next ids. The
catalog also keeps each series' first and last timestamp and last value, so adding
samples after the stored ones needs no read of ``samples``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sloscope.telemetry.openmetrics import SeriesKey
from sloscope.telemetry.store_connection import StoreConnection


class SeriesCatalog(StoreConnection):
    """Reads and updates the ``series`` table inside the caller's transaction."""

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
