"""Hourly roll-ups: kept in step with the samples by every write, and built for old stores.

Each test changes a store the way a user does (ingest, a late file, delete-series) and
checks that the roll-ups hold exactly the hourly sums of what is stored; the figures
read through them are checked in ``tests/unit/sources/test_rollup_sums.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.repair import delete_samples, store_info
from sloscope.telemetry.rollups import HOUR_MS, hour_of, hour_sql, hourly_rows, rollup_rows
from sloscope.telemetry.store import SCHEMA_VERSION, TelemetryStore

T0 = 1_790_000_000 // 3600 * 3600  # an hour boundary


def _ingest(store: TelemetryStore, lines: list[str]) -> None:
    ingest_file(store, io.BytesIO(("\n".join([*lines, "# EOF"]) + "\n").encode()))


def _counter(name: str, seconds: list[int], values: list[float]) -> list[str]:
    return [f"{name} {v!r} {T0 + s}" for s, v in zip(seconds, values, strict=True)]


def assert_rolled_up(store: TelemetryStore) -> None:
    """The roll-ups add up, per series and hour, to exactly the stored increases, and
    say which hours are whole numbers (the sums of the others are never read: they
    depend on the order of the additions)."""
    want = store.query(
        f"SELECT series_id, {hour_sql('ts')} AS hour, "
        "bool_and(isfinite(delta) AND delta = floor(delta)) AS x, "
        "CASE WHEN x THEN sum(delta) END, CASE WHEN x THEN sum(abs(delta)) END "
        "FROM samples GROUP BY series_id, hour ORDER BY ALL"
    )
    got = store.query(
        "SELECT series_id, hour, bool_and(exact) AS x, CASE WHEN x THEN sum(delta) END, "
        "CASE WHEN x THEN sum(mass) END FROM rollups GROUP BY series_id, hour ORDER BY ALL"
    )
    assert got == want


def test_hours_end_on_the_hour_as_every_step_does() -> None:
    ts = np.array([-HOUR_MS - 1, -HOUR_MS, -1, 0, 1, HOUR_MS, HOUR_MS + 1], dtype=np.int64)
    assert hour_of(ts).tolist() == [-2, -2, -1, -1, 0, 0, 1]
    with TelemetryStore(":memory:") as store:
        sql = hour_sql("t")
        got = [store.query(f"SELECT {sql} FROM (SELECT ?::BIGINT AS t)", [int(t)])[0][0]
               for t in ts]  # fmt: skip
    assert got == hour_of(ts).tolist()


def test_an_hour_of_fractional_increases_is_not_exact() -> None:
    rows = hourly_rows(
        np.array([1, 1, 1, 2], dtype=np.int32),
        np.array([1, 2, HOUR_MS + 1, 5], dtype=np.int64),
        np.array([2.0, 0.5, 3.0, 4.0]),
    )
    assert rows["series_id"].tolist() == [1, 1, 2]
    assert rows["hour"].tolist() == [0, 1, 0]
    assert rows["delta"].tolist() == [2.5, 3.0, 4.0]
    assert rows["exact"].tolist() == [False, True, True]


def test_ingest_rolls_up_appends_resets_and_a_late_file(tmp_path: Path) -> None:
    with TelemetryStore(tmp_path / "t.duckdb") as store:
        # Scrapes 13 s past each minute; a reset right after the hour, one on it.
        minutes = list(range(0, 300, 1))
        values = [float(m) for m in minutes]
        values[61:] = [v - 50 for v in values[61:]]
        values[180:] = [v - 100 for v in values[180:]]
        seconds = [13 + 60 * m for m in minutes]
        seconds[180] = 3 * 3600  # exactly on an hour: it ends the hour before
        keep = [i for i in range(300) if not 100 <= i < 140]  # a gap, filled later
        _ingest(store, _counter("a_total", [seconds[i] for i in keep], [values[i] for i in keep]))
        assert_rolled_up(store)
        # The gap filled by a late file: deltas after it change too.
        late = range(100, 140)
        _ingest(store, _counter("a_total", [seconds[i] for i in late], [values[i] for i in late]))
        assert_rolled_up(store)
        # Appending into the hour of the last sample, twice: several rows for one hour.
        for m in (300, 301):
            _ingest(store, _counter("a_total", [13 + 60 * m], [float(m)]))
        assert_rolled_up(store)
        hour = T0 // 3600 + 5  # minutes 300 and 301
        assert store.query("SELECT count(*) FROM rollups WHERE hour = ?", [hour]) == [(2,)]
        # Re-ingesting a file changes no sum (the hours it touched are recomputed, so
        # the several rows of an hour become one).
        hourly = "SELECT hour, sum(delta), sum(mass) FROM rollups GROUP BY hour ORDER BY hour"
        before = store.query(hourly)
        _ingest(store, _counter("a_total", [seconds[i] for i in late], [values[i] for i in late]))
        assert store.query(hourly) == before
        assert_rolled_up(store)


def test_delete_series_rolls_up_the_hours_it_touched(tmp_path: Path) -> None:
    with TelemetryStore(tmp_path / "t.duckdb") as store:
        seconds = [13 + 60 * m for m in range(400)]
        _ingest(store, _counter("a_total", seconds, [float(3 * m) for m in range(400)]))
        _ingest(store, _counter("b_total", seconds, [m * 0.25 for m in range(400)]))
        ids = [i for (i,) in store.query("SELECT id FROM series ORDER BY id")]
        # Mid-hour to mid-hour: the sample after the span gets a new increase.
        delete_samples(store, ids, (T0 + 5000) * 1000, (T0 + 9000) * 1000, apply=True)
        assert_rolled_up(store)
        delete_samples(store, ids[:1], None, (T0 + 12000) * 1000, apply=True)
        assert_rolled_up(store)
        delete_samples(store, ids[1:], None, None, apply=True)
        assert_rolled_up(store)
        assert store.query("SELECT count(*) FROM rollups WHERE series_id = ?", [ids[1]]) == [(0,)]


def _make_version_1(path: Path) -> None:
    """A store as sloscope wrote it before roll-ups: no table, schema version 1."""
    with TelemetryStore(path) as store:
        store.con.execute("DROP TABLE rollups")
        store.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def test_a_store_without_rollups_is_read_as_it_is_and_migrated_on_writing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.duckdb"
    with TelemetryStore(path) as store:
        minutes = range(200)
        _ingest(store, _counter("a_total", [60 * m for m in minutes], [m * 2.0 for m in minutes]))
    _make_version_1(path)
    with TelemetryStore(path, read_only=True) as store:
        assert not store.has_rollups
        assert store_info(store).rollups is None
        assert "roll-ups: none yet" in store_info(store).summary()
    with TelemetryStore(path) as store:  # opened for writing: migrated
        assert store.has_rollups
        assert store.query("SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
        assert_rolled_up(store)
        info = store_info(store)
        assert info.rollups == rollup_rows(store.con) == 5  # the sample at T0 ends an hour
        assert info.to_dict()["rollups"] == 5


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1])
def test_a_newer_store_is_still_refused(tmp_path: Path, version: int) -> None:
    path = tmp_path / "t.duckdb"
    with TelemetryStore(path) as store:
        store.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    with pytest.raises(Exception, match="newer than"):
        TelemetryStore(path, read_only=True)


def test_an_ingest_into_a_store_without_rollups_migrates_it_first(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    with TelemetryStore(path) as store:
        _ingest(
            store, _counter("a_total", [60 * m for m in range(90)], [m * 3.0 for m in range(90)])
        )
    _make_version_1(path)
    # The next file continues the series and fills the hour the old samples ended in.
    lines = _counter(
        "a_total", [60 * m + 7 for m in range(89, 150)], [m * 3.0 + 1 for m in range(89, 150)]
    )
    ingest_file(path, io.BytesIO(("\n".join([*lines, "# EOF"]) + "\n").encode()))
    with TelemetryStore(path, read_only=True) as store:
        assert store.has_rollups
        assert_rolled_up(store)
