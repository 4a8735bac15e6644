"""Streaming ingest in batches, deleting samples in place, and reclaiming a failed write."""

from __future__ import annotations

import contextlib
import io
import os
import random
from pathlib import Path

import duckdb
import numpy as np
import pytest
from tests.unit.telemetry.test_rollups import assert_rolled_up

import sloscope.telemetry.openmetrics.stream as stream_module
import sloscope.telemetry.spool as spool_module
from sloscope.errors import IngestError
from sloscope.telemetry.counters import counter_deltas
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.limits import IngestLimits
from sloscope.telemetry.repair import bad_samples, delete_samples, store_info
from sloscope.telemetry.spool import Spool
from sloscope.telemetry.store import TelemetryStore

T0 = 1_700_000_000


def _ingest(store: TelemetryStore | Path, text: str, **kwargs: object) -> object:
    data = io.BytesIO(text.encode())
    data.name = "m.om"
    return ingest_file(store, data, **kwargs)  # type: ignore[arg-type]


def _deltas(store: TelemetryStore, key: str) -> list[tuple[int, float, float]]:
    rows = store.query(
        "SELECT (s.ts / 1000 - ?)::BIGINT // 60, s.value, s.delta FROM samples s "
        "JOIN series c ON c.id = s.series_id WHERE c.key = ? ORDER BY s.ts",
        [T0, key],
    )
    return [(int(m), float(v), float(d)) for m, v, d in rows]


def test_a_file_read_and_written_in_many_small_batches_gives_the_deltas_of_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two series interleaved minute by minute, out of order in places, with resets:
    read 64 bytes at a time and written 7 samples at a time."""
    rng = random.Random(5)
    values = {s: [rng.randint(0, 30) for _ in range(40)] for s in ("a", "b")}
    lines = [f"{s}_total {values[s][i]} {T0 + 60 * i}" for i in range(40) for s in values]
    lines = [lines[i] for i in (*range(20, 80), *range(20))]  # the first 10 minutes last
    monkeypatch.setattr(stream_module, "CHUNK_BYTES", 64)
    monkeypatch.setattr(spool_module, "BATCH", 7)
    with TelemetryStore(tmp_path / "t.duckdb") as store:
        result = _ingest(store, "\n".join(lines) + "\n# EOF\n")
        for name, series in values.items():
            expected = counter_deltas(np.zeros(40, np.int32), np.array(series, float))
            assert [d for *_, d in _deltas(store, f"{name}_total")] == expected.tolist()
        assert_rolled_up(store)
    assert result.new_samples == 80  # type: ignore[attr-defined]
    assert result.series == 2  # type: ignore[attr-defined]


def test_the_store_is_opened_for_writing_only_after_the_whole_file_parsed(
    tmp_path: Path,
) -> None:
    """A path is opened only to write: a bad file never creates the store."""
    path = tmp_path / "t.duckdb"
    with pytest.raises(IngestError, match=r"m\.om:2: invalid value"):
        _ingest(path, f"m_total 1 {T0}\nm_total x {T0 + 60}\n")
    assert not path.exists()
    assert not list(tmp_path.glob(".ingest-*"))


def test_a_line_longer_than_the_limits_allow_is_refused_without_being_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "CHUNK_BYTES", 1024)
    limits = IngestLimits(max_label_value_bytes=100, max_labels_per_series=2)
    huge = f'm_total{{a="{"x" * 20_000}"}} 1 {T0}\n'
    text = f"m_total 1 {T0}\n{huge}m_total 2 {T0 + 60}\nm_total x 3\n"
    with pytest.raises(IngestError) as info:
        _ingest(tmp_path / "t.duckdb", text, limits=limits)
    message = str(info.value)
    assert f"m.om:2: line longer than {limits.max_line_bytes:,} bytes" in message
    # The lines after it are still read, and counted.
    assert 'm.om:4: invalid value "x"' in message


def test_spools_of_ingests_that_were_killed_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / ".ingest-999999999-abc"
    dead.mkdir()
    (dead / "index").write_bytes(b"0" * 100)
    alive = tmp_path / f".ingest-{os.getpid()}-def"
    alive.mkdir()
    with contextlib.closing(Spool(tmp_path)):
        assert not dead.exists()
        assert alive.exists()


def _store_with(tmp_path: Path, values: list[float], series: str = "m_total") -> TelemetryStore:
    store = TelemetryStore(tmp_path / "t.duckdb")
    lines = [f"{series} {v:g} {T0 + 60 * i}" for i, v in enumerate(values)]
    _ingest(store, "\n".join(lines) + "\n# EOF\n")
    return store


def test_deleting_a_span_compares_the_next_sample_with_the_last_one_before_it(
    tmp_path: Path,
) -> None:
    # Minutes 0..5: 10, 20, 5 (a reset), 8, 30, 35. Deleting minutes 2..3 leaves
    # 10, 20, 30, 35: the sample at minute 4 now counts 30 - 20 = 10.
    with _store_with(tmp_path, [10, 20, 5, 8, 30, 35]) as store:
        [series_id] = [int(r[0]) for r in store.query("SELECT id FROM series")]
        dry = delete_samples(store, [series_id], (T0 + 120) * 1000, (T0 + 180) * 1000)
        assert (dry.samples, dry.series, dry.applied) == (2, 1, False)
        assert len(_deltas(store, "m_total")) == 6
        done = delete_samples(store, [series_id], (T0 + 120) * 1000, (T0 + 180) * 1000, apply=True)
        assert (done.samples, done.series_removed, done.applied) == (2, 0, True)
        assert _deltas(store, "m_total") == [(0, 10, 0), (1, 20, 10), (4, 30, 10), (5, 35, 5)]
        # The catalog still continues the series from its last sample.
        _ingest(store, f"m_total 40 {T0 + 360}\n# EOF\n")
        assert _deltas(store, "m_total")[-1] == (6, 40, 5)


def test_deleting_the_first_samples_makes_the_new_first_one_count_nothing(
    tmp_path: Path,
) -> None:
    with _store_with(tmp_path, [10, 20, 25]) as store:
        delete_samples(store, [1], None, (T0 + 60) * 1000, apply=True)
        assert _deltas(store, "m_total") == [(2, 25, 0)]
        assert store.time_range() == ((T0 + 120) * 1000, (T0 + 120) * 1000)


def test_deleting_the_last_samples_moves_the_catalog_back(tmp_path: Path) -> None:
    with _store_with(tmp_path, [10, 20, 25]) as store:
        delete_samples(store, [1], (T0 + 120) * 1000, None, apply=True)
        _ingest(store, f"m_total 26 {T0 + 180}\n# EOF\n")
        assert _deltas(store, "m_total") == [(0, 10, 0), (1, 20, 10), (3, 26, 6)]


def test_bad_samples_are_found_earliest_first(tmp_path: Path) -> None:
    with _store_with(tmp_path, [10, 20, 25]) as store:
        store.con.execute("UPDATE samples SET delta = 'nan'::DOUBLE WHERE ts = ?", [T0 * 1000])
        store.con.execute(
            "UPDATE samples SET value = -1, delta = -1 WHERE ts = ?", [(T0 + 120) * 1000]
        )
        found = bad_samples(store, [1], (T0 - 60) * 1000, (T0 + 180) * 1000)
        assert [str(b) for b in found] == [
            "m_total at 2023-11-14T22:13:20Z (value 10, increase NaN)",
            "m_total at 2023-11-14T22:15:20Z (value -1, increase -1)",
        ]


def test_store_info_counts_series_samples_and_span(tmp_path: Path) -> None:
    with _store_with(tmp_path, [1, 2, 3]) as store:
        info = store_info(store)
    assert (info.series, info.samples, info.first_ms, info.last_ms) == (
        1,
        3,
        T0 * 1000,
        (T0 + 120) * 1000,
    )
    assert "1 series, 3 samples, from 2023-11-14T22:13:20Z to 2023-11-14T22:15:20Z" in (
        info.summary()
    )


def test_a_failed_large_write_gives_its_blocks_back_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB writes a large transaction's rows into the file as it goes; after the
    rollback the file must be its old size again."""
    store = _store_with(tmp_path, [1, 2, 3])
    store.con.execute("CHECKPOINT")
    size = store.path.stat().st_size
    n = 600_000
    text = "".join(f"big_total {i} {T0 + i}\n" for i in range(n))

    def broken(*args: object) -> None:
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr("sloscope.telemetry.catalog.update_series_state", broken)
    with store, pytest.raises(IngestError, match="No space left on device; nothing was stored"):
        _ingest(store, text)
    assert store.path.stat().st_size == size
