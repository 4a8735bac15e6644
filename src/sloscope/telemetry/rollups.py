"""Hourly roll-ups: each series' increases summed per hour, kept beside its samples.

A report sums the increases of each series over most of an SLO window (28 or 30 days of
1-minute samples: 43,200 rows a series). The ``rollups`` table holds those sums per
series and hour, so the same sum reads ~720 rows; the embedded source
(:mod:`sloscope.sources.sums`) adds the raw samples of the hours a window only partly
covers.

Hour ``h`` holds the samples with ``h * HOUR_MS < ts <= (h + 1) * HOUR_MS`` (ms), the
step convention of every grid (:mod:`sloscope.sources.base`). A row::

    rollups(series_id, hour, delta, mass, exact)

``delta`` is the sum of the hour's increases, ``mass`` the sum of their magnitudes and
``exact`` whether every one is a whole number. An hour may have several rows (each
ingest that appends to it adds one, so appending needs no read); they add up.

Why the answers are the same, bitwise: a sum of whole numbers whose magnitudes add up
below 2**53 is exact in double precision whatever the order of the additions, since
every partial sum is a whole number that a double holds exactly. Roll-ups are used for a
series only when every hour its window touches is ``exact`` and the ``mass`` of those
hours stays below :data:`EXACT_MASS`; then the hourly sums plus the samples of the
partly covered hours are the very number a sum of every sample gives. Any other series
(a counter with fractional increases, a damaged sample) is summed from its samples, as
without roll-ups.

Who keeps them: :meth:`~sloscope.telemetry.store.TelemetryStore.add` adds the rows of
appended samples (:func:`hourly_rows`) and recomputes the hours of a series from where
a late sample lands (:func:`refresh`), and ``store delete-series`` recomputes the hours
it touched, each in the same transaction as the samples. A store written before
roll-ups (schema version 1) gets them, built from its samples (:func:`build_all`), the
first time it is opened for writing; until then it is read from its samples.
"""

from __future__ import annotations

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

#: One hour in ms: the roll-up period.
HOUR_MS = 3_600_000
#: Whole numbers whose magnitudes add up below this sum exactly in any order (2**52
#: leaves room for the rounding of the float sum of the masses themselves).
EXACT_MASS = float(2**52)
#: An hour after every timestamp: "to the end" for :func:`refresh`.
LAST_HOUR = 2**62 // HOUR_MS

TABLE = """
CREATE TABLE IF NOT EXISTS rollups (
    series_id INTEGER NOT NULL,
    hour BIGINT NOT NULL,
    delta DOUBLE NOT NULL,
    mass DOUBLE NOT NULL,
    exact BOOLEAN NOT NULL
);
"""

#: Series per statement of :func:`build_all`, so that one grouped sum stays small.
_BUILD_SERIES = 2_000


def hour_of(ts_ms: NDArray[np.int64]) -> NDArray[np.int64]:
    """The hour each timestamp (ms) falls in: ``(ts - 1) // HOUR_MS``, floored."""
    hours: NDArray[np.int64] = (ts_ms - 1) // HOUR_MS
    return hours


def hour_sql(column: str) -> str:
    """SQL for :func:`hour_of` of an integer ``column`` (DuckDB's ``//`` truncates)."""
    return (
        f"CASE WHEN {column} > 0 THEN ({column} - 1) // {HOUR_MS} "
        f"ELSE -(({HOUR_MS} - {column}) // {HOUR_MS}) END"
    )


def hourly_rows(
    sid: NDArray[np.int32], ts: NDArray[np.int64], delta: NDArray[np.float64]
) -> dict[str, NDArray[np.generic]]:
    """The roll-up rows of samples sorted by series then time, one per (series, hour)."""
    if not len(sid):
        empty = np.zeros(0)
        return {"series_id": sid, "hour": ts, "delta": empty, "mass": empty, "exact": empty > 0}
    hour = hour_of(ts)
    first = np.ones(len(sid), dtype=bool)
    np.logical_or(sid[1:] != sid[:-1], hour[1:] != hour[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    whole = np.isfinite(delta) & (delta == np.floor(delta))
    return {
        "series_id": sid[starts],
        "hour": hour[starts],
        "delta": np.add.reduceat(delta, starts),
        "mass": np.add.reduceat(np.abs(delta), starts),
        "exact": np.logical_and.reduceat(whole, starts),
    }


def refresh(
    con: duckdb.DuckDBPyConnection,
    ids: NDArray[np.int32],
    first_hour: NDArray[np.int64],
    last_hour: NDArray[np.int64],
) -> None:
    """Recompute the roll-ups of series ``ids[i]`` for hours ``first_hour[i]`` to
    ``last_hour[i]`` from the stored samples (after samples there changed)."""
    if not len(ids):
        return
    con.register(
        "_span",
        {"series_id": ids.astype(np.int32), "lo": first_hour, "hi": last_hour},
    )
    try:
        con.execute(
            "DELETE FROM rollups USING _span p WHERE rollups.series_id = p.series_id "
            "AND rollups.hour BETWEEN p.lo AND p.hi"
        )
        con.execute(
            _INSERT.format(
                source="samples s JOIN _span p USING (series_id) "
                f"WHERE s.ts > p.lo * {HOUR_MS} AND s.ts <= (p.hi + 1) * {HOUR_MS}"
            )
        )
    finally:
        con.unregister("_span")


def build_all(con: duckdb.DuckDBPyConnection) -> None:
    """Roll up every stored sample (a store that has none yet), a range of series at a
    time so that memory stays bounded."""
    high = con.execute("SELECT coalesce(max(id), -1) FROM series").fetchall()[0][0]
    for first in range(0, int(high) + 1, _BUILD_SERIES):
        con.execute(
            _INSERT.format(source="samples s WHERE s.series_id BETWEEN ? AND ?"),
            [first, first + _BUILD_SERIES - 1],
        )


def rollup_rows(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many roll-up rows the store holds; None when it has no roll-ups table."""
    tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'rollups'"
    ).fetchall()
    if not tables[0][0]:
        return None
    return int(con.execute("SELECT count(*) FROM rollups").fetchall()[0][0])


# Whole numbers only when finite (DuckDB holds NaN = NaN and floor(inf) = inf).
_INSERT = (
    "INSERT INTO rollups SELECT s.series_id, "
    + hour_sql("s.ts")
    + " AS hour, sum(s.delta), sum(abs(s.delta)), "
    "bool_and(isfinite(s.delta) AND s.delta = floor(s.delta)) FROM {source} GROUP BY ALL"
)
