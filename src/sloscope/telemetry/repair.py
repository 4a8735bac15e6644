"""Looking after a store in place: what it holds, bad samples, deleting samples.

Plain functions over a :class:`~sloscope.telemetry.store.TelemetryStore`. Which series a
selector names is the embedded source's business
(:func:`~sloscope.sources.embedded.compile_selector`); these take series ids.

Deleting samples keeps every remaining delta exact: the first sample after a deleted
span is compared with the last one before it (counter semantics, a reset when it is
lower), as if the deleted samples had never been ingested; series left with no sample
leave the catalog.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import _duckdb as duckdb
import numpy as np

from sloscope.errors import IngestError, SourceError
from sloscope.telemetry.rollups import hour_of, refresh, rollup_rows
from sloscope.telemetry.store import TelemetryStore
from sloscope.timeparse import format_time

#: Bounds of "all time", in Unix ms.
_ALWAYS = (-(2**62), 2**62)


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds: series, samples, and the span of their timestamps (Unix ms)."""

    path: str
    series: int
    samples: int
    first_ms: int | None
    last_ms: int | None
    file_bytes: int
    #: Rows of hourly roll-ups; None for a store written before them (read from its
    #: samples until it is next written, which builds them).
    rollups: int | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "series": self.series,
            "samples": self.samples,
            "time_range": [self.first_ms, self.last_ms] if self.first_ms is not None else None,
            "file_bytes": self.file_bytes,
            "rollups": self.rollups,
        }

    def summary(self) -> str:
        """A line for the CLI."""
        span = (
            f"from {format_time(self.first_ms // 1000)} to {format_time(self.last_ms // 1000)}"
            if self.first_ms is not None and self.last_ms is not None
            else "no samples"
        )
        return (
            f"{self.path}: {self.series:,} series, {self.samples:,} samples, {span}, "
            f"{self.file_bytes / 1e6:,.1f} MB, "
            + (
                f"{self.rollups:,} hourly roll-up rows"
                if self.rollups is not None
                else "roll-ups: none yet (built at the next ingest or delete-series --yes)"
            )
        )


def store_info(store: TelemetryStore) -> StoreInfo:
    """What ``store`` holds (from the catalog, and one count of the samples)."""
    span = store.time_range()
    return StoreInfo(
        path=str(store.path),
        series=store.series_count(),
        samples=store.sample_count(),
        first_ms=span[0] if span else None,
        last_ms=span[1] if span else None,
        file_bytes=store.path.stat().st_size,
        rollups=rollup_rows(store.con),
    )


@dataclass(frozen=True)
class BadSample:
    """A stored sample whose increase cannot be summed (from a store written before
    ingest refused such values)."""

    series: str
    ts_ms: int
    value: float
    delta: float

    def __str__(self) -> str:
        return (
            f"{self.series} at {format_time(self.ts_ms // 1000)} (value {_number(self.value)}, "
            f"increase {_number(self.delta)})"
        )


def bad_samples(
    store: TelemetryStore, ids: list[int], start_ms: int, end_ms: int, limit: int = 5
) -> list[BadSample]:
    """Up to ``limit`` samples of series ``ids`` in ``(start_ms, end_ms]`` whose increase
    is NaN, infinite or negative, earliest first."""
    rows = store.query(
        "SELECT c.key, s.ts, s.value, s.delta FROM samples s JOIN series c ON c.id = s.series_id "
        "WHERE s.series_id IN (SELECT unnest(?::INTEGER[])) AND s.ts > ? AND s.ts <= ? "
        "AND (isnan(s.delta) OR isinf(s.delta) OR s.delta < 0 OR isinf(s.value)) "
        "ORDER BY s.ts, c.key LIMIT ?",
        [ids, start_ms, end_ms, limit],
    )
    return [BadSample(str(k), int(t), float(v), float(d)) for k, t, v, d in rows]


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:g}"


def series_ids(store: TelemetryStore, clause: str, params: list[str], selector: str) -> list[int]:
    """Ids of the series a compiled selector (``clause`` on ``series``) matches."""
    try:
        rows = store.query(f"SELECT id FROM series WHERE {clause} ORDER BY id", list(params))
    except duckdb.Error as exc:
        raise SourceError(f"selector {selector!r}: {_first_line(exc)}") from None
    return [int(row[0]) for row in rows]


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0]


@dataclass(frozen=True)
class Deletion:
    """What :func:`delete_samples` found (and, unless a dry run, deleted)."""

    series: int
    samples: int
    series_removed: int
    applied: bool


def delete_samples(
    store: TelemetryStore,
    ids: list[int],
    from_ms: int | None = None,
    to_ms: int | None = None,
    apply: bool = False,
) -> Deletion:
    """Delete the samples of series ``ids`` with ``from_ms <= ts <= to_ms`` (either bound
    may be None: unbounded), in one transaction, keeping the deltas exact.

    With ``apply=False`` nothing changes: the counts say what would be deleted.
    """
    low = from_ms if from_ms is not None else _ALWAYS[0]
    high = to_ms if to_ms is not None else _ALWAYS[1]
    con = store.con
    con.register("_doomed", {"id": np.array(ids, dtype=np.int32)})
    try:
        samples, series, emptied = con.execute(_COUNT, [low, high] * 3).fetchall()[0]
        if not apply or not samples:
            return Deletion(int(series or 0), int(samples or 0), int(emptied or 0), False)
        con.begin()
        try:
            _delete(con, low, high)
            con.commit()
        except duckdb.Error as exc:
            store.rollback()
            raise IngestError(
                f"could not delete from {store.path}: {exc}; nothing was deleted"
            ) from None
    finally:
        con.unregister("_doomed")
    store.reclaim()
    return Deletion(int(series), int(samples), int(emptied), True)


# Samples in the span, series with any, and series with nothing outside it.
_COUNT = """
SELECT count(*) FILTER (WHERE s.ts BETWEEN ? AND ?),
       count(DISTINCT s.series_id) FILTER (WHERE s.ts BETWEEN ? AND ?),
       (SELECT count(*) FROM (
            SELECT series_id FROM samples JOIN _doomed d ON d.id = series_id
            GROUP BY series_id HAVING bool_and(ts BETWEEN ? AND ?)))
FROM samples s JOIN _doomed d ON d.id = s.series_id
"""


def _delete(con: duckdb.DuckDBPyConnection, low: int, high: int) -> None:
    """Delete, then give the first sample after the span the increase from the last
    sample before it, and bring the catalog up to date."""
    con.execute(
        """
        CREATE TEMP TABLE _after AS
        SELECT n.series_id, n.ts, p.before
        FROM (SELECT series_id, min(ts) AS ts FROM samples JOIN _doomed d ON d.id = series_id
              WHERE ts > ? GROUP BY series_id) n
        LEFT JOIN (SELECT series_id, arg_max(value, ts) AS before
                   FROM samples JOIN _doomed d ON d.id = series_id
                   WHERE ts < ? GROUP BY series_id) p USING (series_id)
        """,
        [high, low],
    )
    try:
        # Hours to roll up again: from the span's first to that of the sample after it,
        # whose increase changes.
        after = con.execute(
            "SELECT d.id, coalesce(a.ts, ?) AS until FROM _doomed d "
            "LEFT JOIN _after a ON a.series_id = d.id",
            [high],
        ).fetchnumpy()
        con.execute(
            "DELETE FROM samples USING _doomed d "
            "WHERE samples.series_id = d.id AND samples.ts BETWEEN ? AND ?",
            [low, high],
        )
        con.execute(
            """
            UPDATE samples SET delta = CASE
                WHEN a.before IS NULL THEN 0
                WHEN samples.value < a.before THEN samples.value
                ELSE samples.value - a.before END
            FROM _after a WHERE samples.series_id = a.series_id AND samples.ts = a.ts
            """
        )
    finally:
        con.execute("DROP TABLE _after")
    ids = np.asarray(after["id"], dtype=np.int32)
    ends = np.maximum(np.asarray(after["until"], dtype=np.int64), high)
    refresh(con, ids, hour_of(np.full(len(ids), low, dtype=np.int64)), hour_of(ends))
    con.execute(
        """
        UPDATE series SET first_ts = t.first_ts, last_ts = t.last_ts, last_value = t.last_value
        FROM (SELECT series_id, min(ts) AS first_ts, max(ts) AS last_ts,
                     arg_max(value, ts) AS last_value
              FROM samples JOIN _doomed d ON d.id = series_id GROUP BY series_id) t
        WHERE series.id = t.series_id
        """
    )
    con.execute(
        "DELETE FROM series WHERE id IN (SELECT id FROM _doomed) "
        "AND id NOT IN (SELECT DISTINCT series_id FROM samples JOIN _doomed d ON d.id = series_id)"
    )
