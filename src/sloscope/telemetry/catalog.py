"""The series catalog of the telemetry store: ids for series keys, and each series'
first and last sample. Plain functions over the store's connection, called by
:meth:`~sloscope.telemetry.store.TelemetryStore.add` inside its transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from sloscope.telemetry.openmetrics.series import SeriesKey
    from sloscope.telemetry.samples import SortedSamples


def resolve_series(
    con: duckdb.DuckDBPyConnection, keys: list[SeriesKey]
) -> tuple[NDArray[np.int64], int]:
    """Catalog ids of ``keys``, adding the new ones; (ids, how many were new)."""
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
        new_ids = _insert_series(con, [keys[i] for i in new])
        for p, i in enumerate(new):
            found[texts[i]] = int(new_ids[p])
    return np.array([found[t] for t in texts], dtype=np.int64), len(new)


def _insert_series(con: duckdb.DuckDBPyConnection, keys: list[SeriesKey]) -> NDArray[np.int32]:
    """Add ``keys`` (all new) to the catalog; their ids, in order."""
    next_id = int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM series").fetchall()[0][0])
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


def series_state(
    con: duckdb.DuckDBPyConnection, ids: NDArray[np.int32]
) -> dict[int, tuple[int, float]]:
    """(last_ts, last_value) of the stored series among ``ids`` that have samples."""
    con.register("_ids", {"id": ids.astype(np.int32)})
    try:
        rows = con.execute(
            "SELECT s.id, s.last_ts, s.last_value FROM series s JOIN _ids USING (id) "
            "WHERE s.last_ts IS NOT NULL"
        ).fetchall()
    finally:
        con.unregister("_ids")
    return {int(i): (int(t), float(v)) for i, t, v in rows}


def update_series_state(con: duckdb.DuckDBPyConnection, samples: SortedSamples) -> None:
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
    con.register("_state", state)
    try:
        con.execute(
            """
            UPDATE series SET
                first_ts = least(coalesce(series.first_ts, u.first_ts), u.first_ts),
                last_ts = u.last_ts,
                last_value = u.last_value
            FROM _state u WHERE series.id = u.id
            """
        )
    finally:
        con.unregister("_state")
