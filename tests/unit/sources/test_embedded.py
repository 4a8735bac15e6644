"""EmbeddedSource: selector semantics, step bucketing at exact edges, latency thresholds."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sloscope.errors import SourceError, UnsupportedSLIError
from sloscope.sources import sums
from sloscope.sources.base import Source
from sloscope.sources.embedded import EmbeddedSource, compile_selector
from sloscope.spec.buckets import same_boundary
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Matcher, Selector, parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

T0 = 1_700_000_000  # seconds; steps below start here


def _counter(series: str, increments: list[float], every: int = 60, start: int = T0) -> list[str]:
    """Lines of a counter starting at 100 at ``start`` and rising by each increment."""
    value = 100.0
    lines = [f"{series} {value:g} {start}"]
    for i, inc in enumerate(increments, 1):
        value += inc
        lines.append(f"{series} {value:g} {start + i * every}")
    return lines


@pytest.fixture
def source(tmp_path: Path) -> Iterator[EmbeddedSource]:
    lines = [
        *_counter('req_total{svc="a",code="200"}', [10, 20, 30]),
        *_counter('req_total{svc="a",code="500"}', [1, 2, 3]),
        *_counter('req_total{svc="a",code="1500"}', [100, 100, 100]),
        *_counter('req_total{svc="b",code="200",canary="yes"}', [5, 5, 5]),
        *_counter('lat_seconds_bucket{svc="a",le="0.1"}', [4, 4, 4]),
        *_counter('lat_seconds_bucket{svc="a",le="0.30"}', [7, 8, 9]),
        *_counter('lat_seconds_bucket{svc="a",le="+Inf"}', [10, 10, 10]),
        *_counter('lat_seconds_count{svc="a"}', [10, 10, 10]),
        *_counter('nocount_seconds_bucket{le="0.5"}', [1, 1, 1]),
        *_counter('nocount_seconds_bucket{le="+Inf"}', [3, 3, 3]),
        "# EOF",
        "",
    ]
    store = TelemetryStore(tmp_path / "t.duckdb")
    ingest_file(store, io.BytesIO("\n".join(lines).encode()))
    src = EmbeddedSource(store)
    yield src
    src.close()


def _ratio(good: str, total: str, bad: bool = False) -> RatioSLI:
    if bad:
        return RatioSLI(total=parse_selector(total), bad=parse_selector(good))
    return RatioSLI(total=parse_selector(total), good=parse_selector(good))


def _fetch(
    source: EmbeddedSource, sli: object, step: int = 60, n: int = 3
) -> tuple[list[float], list[float], int]:
    [counts] = source.fetch([sli], T0, T0 + n * step, step)  # type: ignore[list-item]
    return counts.good.tolist(), counts.total.tolist(), counts.series


def test_embedded_source_is_a_source(source: EmbeddedSource) -> None:
    assert isinstance(source, Source)
    assert source.name == "embedded"


def test_ratio_good_and_total_per_step(source: EmbeddedSource) -> None:
    sli = _ratio('req_total{svc="a", code!~"5.."}', 'req_total{svc="a"}')
    # code!~"5.." keeps 200 and 1500 (anchored: 1500 does not match 5..).
    assert _fetch(source, sli) == ([110, 120, 130], [111, 122, 133], 3)


def test_ratio_with_bad_subtracts_from_total(source: EmbeddedSource) -> None:
    sli = _ratio('req_total{svc="a", code=~"5.."}', 'req_total{svc="a"}', bad=True)
    assert _fetch(source, sli) == ([110, 120, 130], [111, 122, 133], 3)


@pytest.mark.parametrize(
    ("selector", "expected_total"),
    [
        ('req_total{code="200"}', [15, 25, 35]),
        ('req_total{code!="200"}', [101, 102, 103]),
        ('req_total{code=~"5.."}', [1, 2, 3]),
        ('req_total{code=~"5.*"}', [1, 2, 3]),
        ('req_total{code!~"5.."}', [115, 125, 135]),
        ('req_total{canary=""}', [111, 122, 133]),
        ('req_total{canary!=""}', [5, 5, 5]),
        ('req_total{canary=~"y.*|"}', [116, 127, 138]),
        ('req_total{svc="c"}', [0, 0, 0]),
    ],
)
def test_selector_semantics(
    source: EmbeddedSource, selector: str, expected_total: list[float]
) -> None:
    _, total, _ = _fetch(source, _ratio(selector, selector))
    assert total == expected_total


def test_a_selector_matching_nothing_is_no_data(source: EmbeddedSource) -> None:
    assert _fetch(source, _ratio('req_total{svc="zzz"}', 'req_total{svc="zzz"}'))[2] == 0


def test_step_edges_belong_to_the_step_they_end(source: EmbeddedSource) -> None:
    # Samples at T0+60, +120, +180 (deltas 10, 20, 30). Step (T0, T0+60] holds T0+60.
    sli = _ratio('req_total{svc="a",code="200"}', 'req_total{svc="a",code="200"}')
    [counts] = source.fetch([sli], T0 - 60, T0 + 180, 60)
    assert counts.total.tolist() == [0, 10, 20, 30]  # the T0 sample has delta 0
    # A sample exactly at start belongs to the step before the range: left out.
    [shifted] = source.fetch([sli], T0 + 60, T0 + 240, 60)
    assert shifted.total.tolist() == [20, 30, 0]
    [offset] = source.fetch([sli], T0 + 30, T0 + 210, 60)
    assert offset.total.tolist() == [10, 20, 30]
    [wide] = source.fetch([sli], T0, T0 + 240, 120)
    assert wide.total.tolist() == [30, 30]


def test_samples_outside_the_range_are_left_out(source: EmbeddedSource) -> None:
    sli = _ratio('req_total{code="500"}', 'req_total{code="500"}')
    [counts] = source.fetch([sli], T0 + 60, T0 + 120, 60)
    assert counts.total.tolist() == [2]


def test_latency_threshold_matches_le_numerically(source: EmbeddedSource) -> None:
    sli = LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.3)
    assert _fetch(source, sli) == ([7, 8, 9], [10, 10, 10], 2)


def test_latency_without_count_falls_back_to_the_inf_bucket(source: EmbeddedSource) -> None:
    sli = LatencySLI(metric=parse_selector("nocount_seconds"), threshold=0.5)
    assert _fetch(source, sli) == ([1, 1, 1], [3, 3, 3], 2)


def test_latency_threshold_that_is_not_a_boundary_lists_the_boundaries(
    source: EmbeddedSource,
) -> None:
    sli = LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.25)
    with pytest.raises(
        SourceError,
        match=r"boundaries are 0\.1, 0\.30, \+Inf \(hint: the threshold must be a bucket boundary",
    ):
        source.fetch([sli], T0, T0 + 180, 60)


def test_latency_of_an_unknown_histogram_is_no_data(source: EmbeddedSource) -> None:
    sli = LatencySLI(metric=parse_selector("missing_seconds"), threshold=0.3)
    assert _fetch(source, sli)[2] == 0


def test_timeslices_count_their_indicator(source: EmbeddedSource) -> None:
    inner = _ratio('req_total{code="500"}', 'req_total{svc="a"}', bad=True)
    sli = TimeslicesSLI(indicator=inner, slice_seconds=60, target=0.95)
    assert _fetch(source, sli) == ([110, 120, 130], [111, 122, 133], 3)


def test_promql_is_unsupported_with_a_hint(source: EmbeddedSource) -> None:
    with pytest.raises(UnsupportedSLIError, match="use a Prometheus source"):
        source.fetch([PromQLSLI(error_ratio="x")], T0, T0 + 60, 60)


def test_many_slis_in_one_fetch_come_back_in_order(source: EmbeddedSource) -> None:
    slis = [
        _ratio('req_total{code="200"}', 'req_total{svc="a"}'),
        LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.1),
        _ratio('req_total{code="200"}', 'req_total{svc="a"}'),
    ]
    out = source.fetch(slis, T0, T0 + 180, 60)
    assert [c.good.tolist() for c in out] == [[15, 25, 35], [4, 4, 4], [15, 25, 35]]
    assert [c.total.tolist() for c in out] == [[111, 122, 133], [10, 10, 10], [111, 122, 133]]
    assert all(c.good.dtype == np.float64 for c in out)


def test_a_regex_re2_cannot_run_is_a_source_error(source: EmbeddedSource) -> None:
    # The selector parser refuses it (one dialect); a matcher built in code reaches DuckDB.
    good = Selector("req_total", (Matcher("code", "=~", "(2)\\1"),))
    sli = RatioSLI(total=parse_selector("req_total"), good=good)
    with pytest.raises(SourceError, match="not valid RE2"):
        source.fetch([sli], T0, T0 + 60, 60)


def test_selector_values_are_bound_parameters_not_sql() -> None:
    sql, params = compile_selector(parse_selector("""m{a="x' OR 1=1 --"}"""))
    assert "OR 1=1" not in sql
    assert params == ["m", "a", "x' OR 1=1 --"]


def test_a_quote_in_a_label_value_is_matched_safely(tmp_path: Path) -> None:
    with TelemetryStore(tmp_path / "q.duckdb") as store:
        series = 'm_total{a="x\' OR 1=1 --"}'
        text = f"{series} 1 {T0}\n{series} 4 {T0 + 60}\n# EOF\n"
        ingest_file(store, io.BytesIO(text.encode()))
        sli = _ratio("""m_total{a="x' OR 1=1 --"}""", "m_total")
        [counts] = EmbeddedSource(store).fetch([sli], T0, T0 + 60, 60)
        assert counts.good.tolist() == [3]


def test_batched_queries_give_the_same_counts(
    source: EmbeddedSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    slis = [
        _ratio('req_total{code="200"}', 'req_total{svc="a"}'),
        _ratio('req_total{code=~"5.."}', "req_total", bad=True),
        LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.1),
    ]
    whole = source.fetch(slis, T0, T0 + 180, 60)
    monkeypatch.setattr(sums, "MAX_CELLS", 1)  # one group of series per query
    batched = source.fetch(slis, T0, T0 + 180, 60)
    assert [c.good.tolist() for c in batched] == [c.good.tolist() for c in whole]
    assert [c.total.tolist() for c in batched] == [c.total.tolist() for c in whole]
    assert [c.good.tolist() for c in whole] == [[15, 25, 35], [115, 125, 135], [4, 4, 4]]


@pytest.mark.parametrize(
    ("le", "threshold", "same"),
    [
        ("0.3", 0.3, True),
        ("0.30", 0.3, True),
        ("3e-1", 0.3, True),
        ("0.3", 300 / 1000, True),
        ("0.25", 0.3, False),
        ("+Inf", float("inf"), True),
        ("+Inf", 0.3, False),
        ("abc", 0.3, False),
    ],
)
def test_bucket_boundaries_compare_as_numbers(le: str, threshold: float, same: bool) -> None:
    """Both sources pick the good bucket with this one function."""
    assert same_boundary(le, threshold) is same


# --- latency over several histograms --------------------------------------------------------


@pytest.fixture
def pods(tmp_path: Path) -> Iterator[EmbeddedSource]:
    """Histograms of one metric per pod: a and c have le=0.3, b and d do not; c starts at
    T0+60 (inside the range), d stopped an hour before T0; e is a _count with no buckets.
    """
    lines = [
        *_counter('pods_seconds_bucket{pod="a",le="0.1"}', [1, 1, 1]),
        *_counter('pods_seconds_bucket{pod="a",le="0.3"}', [3, 3, 3]),
        *_counter('pods_seconds_bucket{pod="a",le="+Inf"}', [4, 4, 4]),
        *_counter('pods_seconds_count{pod="a"}', [4, 4, 4]),
        *_counter('pods_seconds_bucket{pod="b",le="0.1"}', [2, 2, 2]),
        *_counter('pods_seconds_bucket{pod="b",le="0.5"}', [5, 5, 5]),
        *_counter('pods_seconds_bucket{pod="b",le="+Inf"}', [6, 6, 6]),
        *_counter('pods_seconds_count{pod="b"}', [6, 6, 6]),
        *_counter('pods_seconds_bucket{pod="c",le="0.3"}', [2, 2], start=T0 + 60),
        *_counter('pods_seconds_bucket{pod="c",le="+Inf"}', [3, 3], start=T0 + 60),
        *_counter('pods_seconds_count{pod="c"}', [3, 3], start=T0 + 60),
        *_counter('pods_seconds_bucket{pod="d",le="0.2"}', [1, 1], start=T0 - 3600),
        *_counter('pods_seconds_bucket{pod="d",le="+Inf"}', [2, 2], start=T0 - 3600),
        *_counter('pods_seconds_count{pod="d"}', [2, 2], start=T0 - 3600),
        *_counter('pods_seconds_count{pod="e"}', [9, 9, 9]),
        *_counter('bare_seconds_bucket{pod="a",le="0.3"}', [1, 1, 1]),
        *_counter('bare_seconds_bucket{pod="a",le="+Inf"}', [2, 2, 2]),
        *_counter('bare_seconds_bucket{pod="b",le="0.25"}', [1, 1, 1]),
        *_counter('bare_seconds_bucket{pod="b",le="+Inf"}', [2, 2, 2]),
        "# EOF",
        "",
    ]
    store = TelemetryStore(tmp_path / "pods.duckdb")
    ingest_file(store, io.BytesIO("\n".join(lines).encode()))
    src = EmbeddedSource(store)
    yield src
    src.close()


def _latency(selector: str, threshold: float = 0.3) -> LatencySLI:
    return LatencySLI(metric=parse_selector(selector), threshold=threshold)


def test_a_histogram_without_the_threshold_bucket_is_an_error_naming_it(
    pods: EmbeddedSource,
) -> None:
    """Counting b in the total but never as good would make the SLI silently too low."""
    with pytest.raises(SourceError) as err:
        pods.fetch([_latency('pods_seconds{pod=~"a|b"}')], T0, T0 + 180, 60)
    assert str(err.value) == (
        '1 of 2 histograms of pods_seconds{pod=~"a|b"} has no bucket le=0.3, so its requests '
        'would count in the total but never as good: {pod="b"} has buckets 0.1, 0.5, +Inf '
        "(hint: give every histogram the selector matches a bucket le=0.3, or narrow the "
        "selector to the histograms that have one)"
    )


def test_narrowing_the_selector_to_the_histograms_with_the_bucket_counts_them(
    pods: EmbeddedSource,
) -> None:
    assert _fetch(pods, _latency('pods_seconds{pod="a"}')) == ([3, 3, 3], [4, 4, 4], 2)


def test_a_histogram_that_starts_inside_the_range_with_the_bucket_is_counted(
    pods: EmbeddedSource,
) -> None:
    # c's first sample (T0+60) has no known increase; it adds 2 good of 3 after that.
    assert _fetch(pods, _latency('pods_seconds{pod=~"a|c"}')) == ([3, 5, 5], [4, 7, 7], 4)


def test_a_histogram_without_the_bucket_and_without_samples_in_the_range_is_ignored(
    pods: EmbeddedSource,
) -> None:
    good, total, _ = _fetch(pods, _latency('pods_seconds{pod=~"a|d"}'))
    assert (good, total) == ([3, 3, 3], [4, 4, 4])
    # Over a range that holds d's samples, d is judged like any other histogram.
    with pytest.raises(SourceError, match=r'1 of 2 histograms .* \{pod="d"\} has buckets 0\.2, '):
        pods.fetch([_latency('pods_seconds{pod=~"a|d"}')], T0 - 3600, T0 + 180, 60)


def test_a_count_series_with_no_buckets_is_an_error_saying_so(pods: EmbeddedSource) -> None:
    with pytest.raises(SourceError, match=r'histograms .* \{pod="e"\} has no buckets \(hint'):
        pods.fetch([_latency('pods_seconds{pod=~"a|e"}')], T0, T0 + 180, 60)


def test_without_count_series_the_inf_buckets_are_judged_per_histogram(
    pods: EmbeddedSource,
) -> None:
    with pytest.raises(SourceError, match=r'\{pod="b"\} has buckets 0\.25, \+Inf \(hint'):
        pods.fetch([_latency("bare_seconds")], T0, T0 + 180, 60)
    assert _fetch(pods, _latency('bare_seconds{pod="a"}')) == ([1, 1, 1], [2, 2, 2], 2)


def test_several_histograms_missing_the_bucket_are_all_named(pods: EmbeddedSource) -> None:
    with pytest.raises(SourceError) as err:
        pods.fetch([_latency("pods_seconds")], T0 - 3600, T0 + 180, 60)
    assert str(err.value).startswith(
        "3 of 5 histograms of pods_seconds have no bucket le=0.3, so their requests would count "
        'in the total but never as good: {pod="b"} has buckets 0.1, 0.5, +Inf; {pod="d"} has '
        'buckets 0.2, +Inf; {pod="e"} has no buckets (hint: '
    )


def test_a_read_only_source_reuses_its_catalog_and_a_writable_one_sees_new_series(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.duckdb"
    text = "\n".join([*_counter('req_total{code="200"}', [1, 2, 3]), "# EOF", ""])
    ingest_file(path, io.BytesIO(text.encode()))
    sli = _ratio('req_total{code="200"}', "req_total")
    other = _ratio('req_total{code=~"2.."}', 'req_total{code!="500"}')
    reader = EmbeddedSource.open(path)
    try:
        # Batch after batch of like selectors: the catalog is read once, and every
        # batch gets what a fresh source answers.
        first = _fetch(reader, sli)
        assert len(reader._catalog or {}) == 1
        assert _fetch(reader, other) == first == ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 1)
        assert len(reader._catalog or {}) == 1
    finally:
        reader.close()
    writer = EmbeddedSource(TelemetryStore(path))
    try:
        assert _fetch(writer, sli)[2] == 1
        more = "\n".join([*_counter('req_total{code="500"}', [4, 4, 4]), "# EOF", ""])
        ingest_file(writer.store, io.BytesIO(more.encode()))
        assert _fetch(writer, sli) == ([1.0, 2.0, 3.0], [5.0, 6.0, 7.0], 2)
    finally:
        writer.close()
