"""Latency SLIs over several histograms: the real Prometheus and the embedded store agree.

One OpenMetrics file, loaded into both: ``lat_seconds`` histograms per route and pod.
Route /a has pod p1 all along and pod p2 from minute 30 (a new pod), both with a 0.3s
bucket; route /b has no 0.3s bucket; pod ``old`` of route /a stopped a day before the
range and has no 0.3s bucket either. A threshold that some matched histograms lack is
an error naming them, the same from both sources; a histogram with no samples in the
range is not judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import StartPrometheus
from sloscope.errors import SourceError
from sloscope.sources.base import Source
from sloscope.sources.embedded import EmbeddedSource
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import LatencySLI
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

B = 1_763_100_000  # a whole minute: the grid starts here
STEP = 60
MINUTES = 60
OLD = B - 86_400  # pod "old" stopped here, a day before the range


def _histogram(
    out: list[str], labels: str, bounds: dict[str, int], minutes: range, first: int
) -> None:
    """60s samples of one histogram: each bucket rises by its increment every minute."""
    for i, minute in enumerate(minutes):
        t = first + minute * STEP
        for le, inc in bounds.items():
            out.append(f'lat_seconds_bucket{{{labels},le="{le}"}} {i * inc} {t}')
        total = bounds["+Inf"] * i
        out.append(f"lat_seconds_count{{{labels}}} {total} {t}")
        out.append(f"lat_seconds_sum{{{labels}}} {total * 0.2:g} {t}")


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    load_openmetrics: Callable[[Path, Path], None],
) -> Iterator[tuple[EmbeddedSource, PrometheusSource]]:
    root = tmp_path_factory.mktemp("latency")
    lines = ["# TYPE lat_seconds histogram"]
    _histogram(lines, 'route="/a",pod="old"', {"0.1": 1, "0.25": 2, "+Inf": 3}, range(61), OLD)
    _histogram(lines, 'route="/a",pod="p1"', {"0.1": 2, "0.3": 5, "+Inf": 6}, range(61), B)
    _histogram(lines, 'route="/a",pod="p2"', {"0.1": 1, "0.3": 3, "+Inf": 4}, range(30, 61), B)
    _histogram(lines, 'route="/b",pod="p1"', {"0.1": 1, "0.5": 7, "+Inf": 8}, range(61), B)
    lines.append("# EOF")
    path = root / "latency.om"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    store = TelemetryStore(root / "t.duckdb")
    ingest_file(store, path)
    load_openmetrics(path, root / "data")
    server = prometheus_factory(root / "data")
    prometheus = PrometheusSource(server.url)
    yield EmbeddedSource(store), prometheus
    prometheus.close()
    store.close()


def _latency(selector: str) -> LatencySLI:
    return LatencySLI(metric=parse_selector(selector), threshold=0.3)


def _error(source: Source, sli: LatencySLI, start: int) -> str:
    with pytest.raises(SourceError) as err:
        source.fetch([sli], start, B + MINUTES * STEP, STEP)
    return str(err.value)


def test_a_route_whose_histogram_lacks_the_threshold_is_named_by_both_sources(
    sources: tuple[EmbeddedSource, PrometheusSource],
) -> None:
    embedded, prometheus = sources
    sli = _latency("lat_seconds")
    expected = (
        "1 of 3 histograms of lat_seconds has no bucket le=0.3, so its requests would count "
        'in the total but never as good: {pod="p1", route="/b"} has buckets 0.1, 0.5, +Inf '
        "(hint: give every histogram the selector matches a bucket le=0.3, or narrow the "
        "selector to the histograms that have one)"
    )
    assert _error(prometheus, sli, B) == _error(embedded, sli, B) == expected


def test_a_new_pod_with_the_bucket_counts_from_its_first_increase_in_both_sources(
    sources: tuple[EmbeddedSource, PrometheusSource],
) -> None:
    embedded, prometheus = sources
    sli = _latency('lat_seconds{route="/a"}')
    [want] = embedded.fetch([sli], B, B + MINUTES * STEP, STEP)
    [have] = prometheus.fetch([sli], B, B + MINUTES * STEP, STEP)
    # p2's first sample (minute 30, in step 29) has no known increase in either source;
    # the old pod has no sample in the range, so its missing 0.3s bucket does not matter.
    assert want.good.tolist() == have.good.tolist() == [5.0] * 30 + [8.0] * 30
    assert want.total.tolist() == have.total.tolist() == [6.0] * 30 + [10.0] * 30
    assert have.series == 4  # the 0.3s bucket and the count of p1 and p2


def test_a_stopped_pod_without_the_bucket_is_judged_when_the_range_holds_its_samples(
    sources: tuple[EmbeddedSource, PrometheusSource],
) -> None:
    embedded, prometheus = sources
    sli = _latency('lat_seconds{route="/a"}')
    expected = (
        '1 of 3 histograms of lat_seconds{route="/a"} has no bucket le=0.3, so its requests '
        'would count in the total but never as good: {pod="old", route="/a"} has buckets 0.1, '
        "0.25, +Inf (hint: "
    )
    from_prometheus = _error(prometheus, sli, OLD - 3600)
    assert from_prometheus.startswith(expected)
    assert from_prometheus == _error(embedded, sli, OLD - 3600)
