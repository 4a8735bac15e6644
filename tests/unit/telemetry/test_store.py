"""The DuckDB telemetry store and ingest_file: deltas, dedupe, gap filling, rollback."""

from __future__ import annotations

import io
import itertools
import random
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloscope.errors import IngestError, SourceError
from sloscope.telemetry.counters import counter_deltas
from sloscope.telemetry.ingest import IngestResult, ingest_file
from sloscope.telemetry.store import SCHEMA_VERSION, TelemetryStore

T0 = 1_700_000_000  # seconds


def _om(values: list[float], series: str = 'req_total{code="200"}', start: int = 0) -> str:
    """An OpenMetrics file of one series, one sample a minute from T0 + start minutes."""
    lines = [f"{series} {v:g} {T0 + 60 * (start + i)}" for i, v in enumerate(values)]
    return "\n".join([*lines, "# EOF", ""])


def _ingest(store: TelemetryStore, text: str, name: str = "m.om") -> IngestResult:
    stream = io.BytesIO(text.encode())
    stream.name = name
    return ingest_file(store, stream)


def _deltas(
    store: TelemetryStore, series: str = 'req_total{code="200"}'
) -> list[tuple[int, float, float]]:
    rows = store.query(
        "SELECT (s.ts / 1000 - ?)::BIGINT // 60, s.value, s.delta FROM samples s "
        "JOIN series c ON c.id = s.series_id WHERE c.key = ? ORDER BY s.ts",
        [T0, series],
    )
    return [(int(m), float(v), float(d)) for m, v, d in rows]


@pytest.fixture
def store(tmp_path: Path) -> TelemetryStore:
    s = TelemetryStore(tmp_path / "deep" / "telemetry.duckdb")
    yield s  # type: ignore[misc]
    s.close()


def test_a_reset_mid_series_counts_as_prometheus_does(store: TelemetryStore) -> None:
    _ingest(store, _om([10, 20, 5, 8]))
    assert [d for _, _, d in _deltas(store)] == [0.0, 10.0, 5.0, 3.0]


def test_counter_deltas_skip_nan_and_start_each_series_at_zero() -> None:
    sid = np.array([1, 1, 1, 1, 2, 2])
    values = np.array([4.0, np.nan, 9.0, 2.0, 100.0, 130.0])
    assert counter_deltas(sid, values).tolist() == [0.0, 0.0, 5.0, 2.0, 0.0, 30.0]


def test_ingest_result_counts_and_stats(store: TelemetryStore) -> None:
    result = _ingest(store, _om([1, 2, 3]))
    assert result.samples_read == 3
    assert result.new_samples == 3
    assert result.series == 1
    assert result.new_series == 1
    assert result.time_range == (T0 * 1000, (T0 + 120) * 1000)
    assert store.series_count() == 1
    assert store.sample_count() == 3
    assert store.time_range() == (T0 * 1000, (T0 + 120) * 1000)


def test_reingesting_the_same_file_changes_nothing(store: TelemetryStore) -> None:
    text = _om([10, 20, 5, 8])
    _ingest(store, text)
    before = _deltas(store)
    again = _ingest(store, text)
    assert again.new_samples == 0
    assert again.duplicates == 4
    assert again.conflicts == 0
    assert again.new_series == 0
    assert _deltas(store) == before
    assert store.sample_count() == 4


def test_a_conflicting_value_keeps_the_stored_one_and_is_counted(store: TelemetryStore) -> None:
    _ingest(store, _om([10, 20, 30]))
    result = _ingest(store, _om([10, 99, 30, 40]))
    assert result.conflicts == 1
    assert result.duplicates == 2
    assert result.new_samples == 1
    assert "the stored values were kept" in result.summary()
    assert _deltas(store) == [(0, 10, 0), (1, 20, 10), (2, 30, 10), (3, 40, 10)]


def test_appending_later_samples_continues_from_the_stored_last_value(
    store: TelemetryStore,
) -> None:
    _ingest(store, _om([10, 20]))
    _ingest(store, _om([25, 3], start=2))
    assert _deltas(store) == [(0, 10, 0), (1, 20, 10), (2, 25, 5), (3, 3, 3)]


def test_an_older_file_filling_a_gap_recomputes_the_later_deltas(store: TelemetryStore) -> None:
    _ingest(store, _om([10, 50], start=0))  # minutes 0, 1
    _ingest(store, _om([100, 110], start=4))  # minutes 4, 5: 100 - 50 = 50
    assert [d for *_, d in _deltas(store)] == [0, 40, 50, 10]
    _ingest(store, _om([60, 70], start=2))  # minutes 2, 3 fill the gap
    assert _deltas(store) == [
        (0, 10, 0),
        (1, 50, 40),
        (2, 60, 10),
        (3, 70, 10),
        (4, 100, 30),
        (5, 110, 10),
    ]


def test_samples_before_the_first_stored_one_make_it_a_normal_delta(store: TelemetryStore) -> None:
    _ingest(store, _om([30, 40], start=5))
    _ingest(store, _om([10, 20], start=0))
    assert [d for *_, d in _deltas(store)] == [0, 10, 10, 10]
    assert store.time_range() == (T0 * 1000, (T0 + 360) * 1000)


def test_a_bad_line_rolls_everything_back(store: TelemetryStore, tmp_path: Path) -> None:
    _ingest(store, _om([1, 2]))
    before = store.query("SELECT * FROM samples ORDER BY ts")
    catalog = store.query("SELECT id, key FROM series ORDER BY id")
    bad = tmp_path / "bad.om"
    bad.write_text(
        f'req_total{{code="200"}} 3 {T0 + 120}\n'
        f'new_total{{x="1"}} 1 {T0}\n'
        f"new_total{{x= 2 {T0 + 60}\n"
        "# EOF\n"
    )
    with pytest.raises(IngestError, match=r'bad\.om:3: expected ="value" after label .x.') as info:
        ingest_file(store, bad)
    assert "1 problem(s)" in str(info.value)
    assert store.query("SELECT * FROM samples ORDER BY ts") == before
    assert store.query("SELECT id, key FROM series ORDER BY id") == catalog


def test_a_failure_while_storing_rolls_back_the_transaction(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(store, _om([1, 2]))
    before = store.query("SELECT * FROM samples ORDER BY ts")

    def broken(*args: object) -> None:
        raise duckdb.IOException("disk full")

    monkeypatch.setattr("sloscope.telemetry.catalog.update_series_state", broken)
    with pytest.raises(IngestError, match="disk full; nothing was stored"):
        _ingest(store, _om([5, 6], start=2, series="fresh_total"))
    assert store.query("SELECT * FROM samples ORDER BY ts") == before
    assert store.series_count() == 1


def test_duplicates_inside_one_file_keep_the_first(store: TelemetryStore) -> None:
    text = f"m_total 5 {T0}\nm_total 5 {T0}\nm_total 6 {T0}\nm_total 9 {T0 + 60}\n# EOF\n"
    result = _ingest(store, text)
    assert (result.new_samples, result.duplicates, result.conflicts) == (2, 1, 1)
    assert _deltas(store, "m_total") == [(0, 5, 0), (1, 9, 4)]


def test_labels_are_stored_as_a_map(store: TelemetryStore) -> None:
    _ingest(store, f'x_total{{b="2",a="1"}} 1 {T0}\n# EOF\n')
    assert store.query("SELECT key, labels['a'], labels['b'], type FROM series") == [
        ('x_total{a="1",b="2"}', "1", "2", "unknown")
    ]


def test_missing_eof_is_a_warning_not_an_error(store: TelemetryStore) -> None:
    result = _ingest(store, f"m_total 1 {T0}\n")
    assert result.new_samples == 1
    assert "no '# EOF'" in result.warnings[0]


def test_text_streams_and_progress_are_supported(store: TelemetryStore) -> None:
    text = _om([1, 2, 3])
    calls: list[tuple[int, int]] = []
    result = ingest_file(store, io.StringIO(text), progress=lambda d, t: calls.append((d, t)))
    assert result.new_samples == 3
    size = len(text.encode())
    assert calls[0] == (size, 0)  # a stream's size is unknown while reading: total 0
    assert calls[-1] == (size, size)  # and known once stored


def test_a_missing_file_is_an_ingest_error(store: TelemetryStore, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        ingest_file(store, tmp_path / "nope.om")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    TelemetryStore(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(SourceError, match="newer than this sloscope understands"):
        TelemetryStore(path)


def test_read_only_store_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no telemetry store"):
        TelemetryStore(tmp_path / "missing.duckdb", read_only=True)


def test_context_manager_closes_and_reopening_sees_the_data(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    with TelemetryStore(path) as store:
        _ingest(store, _om([1, 2]))
    with TelemetryStore(path, read_only=True) as again:
        assert again.sample_count() == 2


def test_an_unknown_format_is_an_ingest_error(store: TelemetryStore) -> None:
    with pytest.raises(IngestError, match="unknown telemetry format 'csv'"):
        ingest_file(store, io.BytesIO(b""), format="csv")


def test_result_to_dict_is_json_ready(store: TelemetryStore) -> None:
    result = _ingest(store, _om([1, 2]))
    assert result.to_dict() == {
        "source": "m.om",
        "samples_read": 2,
        "new_samples": 2,
        "duplicates": 0,
        "conflicts": 0,
        "series": 1,
        "new_series": 1,
        "time_range": [T0 * 1000, (T0 + 60) * 1000],
        "nan_skipped": 0,
        "warnings": [],
    }


def test_a_dash_reads_standard_input(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(_om([3, 5]).encode())))
    result = ingest_file(store, "-")
    assert (result.source, result.new_samples) == ("<stdin>", 2)
    assert [d for *_, d in _deltas(store)] == [0, 2]


def test_a_nan_gauge_sample_is_skipped_by_the_next_delta_across_ingests(
    store: TelemetryStore,
) -> None:
    result = _ingest(store, f"# TYPE g gauge\ng 10 {T0}\ng NaN {T0 + 60}\n# EOF\n")
    assert (result.new_samples, result.nan_skipped) == (1, 1)
    assert "1 NaN sample(s) of gauges" in result.warnings[0]
    _ingest(store, f"# TYPE g gauge\ng 15 {T0 + 120}\n# EOF\n")
    assert _deltas(store, "g") == [(0, 10, 0), (2, 15, 5)]


def test_one_file_can_append_to_one_series_and_fill_a_gap_in_another(
    store: TelemetryStore,
) -> None:
    def both(a: str, b: str) -> str:
        return a.replace("# EOF\n", "") + b

    _ingest(store, both(_om([10, 20], series="a_total"), _om([1, 2], series="b_total", start=5)))
    text = both(_om([30], series="a_total", start=2), _om([0.5], series="b_total", start=0))
    result = _ingest(store, text)
    assert result.new_samples == 2
    assert [d for *_, d in _deltas(store, "a_total")] == [0, 10, 10]
    assert [d for *_, d in _deltas(store, "b_total")] == [0, 0.5, 1]


_STORES = itertools.count()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.integers(0, 50), min_size=1, max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=3),
    order=st.randoms(use_true_random=False),
)
def test_ingesting_pieces_in_any_order_gives_the_deltas_of_one_ingest(
    tmp_path: Path, values: list[int], cuts: list[int], order: random.Random
) -> None:
    bounds = sorted({0, len(values), *(min(c, len(values)) for c in cuts)})
    pieces = [(a, values[a:b]) for a, b in itertools.pairwise(bounds) if b > a]
    order.shuffle(pieces)
    with TelemetryStore(tmp_path / f"p{next(_STORES)}.duckdb") as pieced:
        for start, piece in pieces:
            _ingest(pieced, _om([float(v) for v in piece], start=start))
        got = _deltas(pieced)
    expected = counter_deltas(np.zeros(len(values), np.int32), np.array(values, float))
    assert [d for *_, d in got] == expected.tolist()
