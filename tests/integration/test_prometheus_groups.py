"""Grouped SLOs: the Prometheus source against the embedded store, on the same data.

One sample a minute on the step grid (the demo's shape, where both sources give the very
same counts): ``/orders`` and ``/search`` for the whole 90 minutes, ``/new`` from minute
30 on, and series without a ``route`` label (the group ``route=""``, as Prometheus'
``sum by`` reads an absent label). Each group's counts, its start (a route appearing
mid-range starts at the step of its first sample in both) and the report built from
them must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import StartPrometheus
from sloscope.report.json import report_to_dict
from sloscope.sources.embedded import EmbeddedSource
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import LatencySLI, RatioSLI
from sloscope.spec.selectors import parse_selector
from sloscope.workspace import Workspace

B = 1_763_000_040  # a whole minute
MINUTES = 90
STEP = 60
SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata: {name: shop}
spec:
  slos:
    - name: route-availability
      objective: 99.9
      window: 28d
      group_by: [route]
      sli:
        ratio:
          bad: req_total{code="500"}
          total: req_total
"""
RATIO = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
LATENCY = LatencySLI(metric=parse_selector("lat_seconds"), threshold=0.3)


def _counter(series: str, per_minute: list[int], first: int) -> list[str]:
    value = 0
    lines = [f"{series} 0 {B + first * 60}"]
    for m in range(first + 1, MINUTES + 1):
        value += per_minute[m % len(per_minute)]
        lines.append(f"{series} {value} {B + m * 60}")
    return lines


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    load_openmetrics: Callable[[Path, Path], None],
) -> Iterator[tuple[Workspace, PrometheusSource]]:
    root = tmp_path_factory.mktemp("groups")
    lines = [
        "# TYPE req counter",
        *_counter('req_total{route="/orders",code="200"}', [980, 990, 970], 0),
        *_counter('req_total{route="/orders",code="500"}', [20, 10, 30], 0),
        *_counter('req_total{route="/search",code="200"}', [1000], 0),
        *_counter('req_total{route="/new",code="200"}', [495, 500], 30),
        *_counter('req_total{route="/new",code="500"}', [5, 0], 30),
        *_counter('req_total{code="200"}', [7], 0),
        "# TYPE lat_seconds histogram",
        *_counter('lat_seconds_bucket{route="/orders",le="0.3"}', [90], 0),
        *_counter('lat_seconds_bucket{route="/orders",le="+Inf"}', [100], 0),
        *_counter('lat_seconds_count{route="/orders"}', [100], 0),
        *_counter('lat_seconds_bucket{route="/new",le="0.3"}', [30], 30),
        *_counter('lat_seconds_bucket{route="/new",le="+Inf"}', [40], 30),
        *_counter('lat_seconds_count{route="/new"}', [40], 30),
        "# EOF",
    ]
    path = root / "groups.om"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    (root / "slos").mkdir()
    (root / "slos" / "shop.yaml").write_text(SPEC, encoding="utf-8")
    workspace = Workspace.open(root)
    workspace.ingest(path)
    load_openmetrics(path, root / "data")
    server = prometheus_factory(root / "data")
    prometheus = PrometheusSource(server.url)
    yield workspace, prometheus
    prometheus.close()


@pytest.mark.integration
@pytest.mark.parametrize("sli", [RATIO, LATENCY], ids=["ratio", "latency"])
def test_each_groups_counts_and_start_equal_the_embedded_stores(
    sources: tuple[Workspace, PrometheusSource], sli: RatioSLI | LatencySLI
) -> None:
    workspace, prometheus = sources
    embedded = workspace.source()
    assert isinstance(embedded, EmbeddedSource)
    try:
        want = embedded.fetch_grouped(sli, ["route"], B, B + MINUTES * STEP, STEP)
    finally:
        embedded.close()
    have = prometheus.fetch_grouped(sli, ["route"], B, B + MINUTES * STEP, STEP)
    assert list(have) == list(want)
    assert len(want) == (4 if sli is RATIO else 2)
    for key, counts in want.items():
        assert (have[key].start, have[key].series) == (counts.start, counts.series), key
        np.testing.assert_array_equal(have[key].total, counts.total)
        np.testing.assert_array_equal(have[key].good, counts.good)
    new = want[(("route", "/new"),)]
    # /new's first sample is at minute 30, in step 29: its counts start there.
    assert new.start == B + 29 * STEP
    assert len(new.total) == MINUTES - 29
    assert new.total[0] == 0


@pytest.mark.integration
def test_the_grouped_report_from_prometheus_equals_the_embedded_report(
    sources: tuple[Workspace, PrometheusSource],
) -> None:
    workspace, prometheus = sources
    at = B + MINUTES * STEP
    from_embedded = report_to_dict(workspace.report(at=at, trends=False))
    from_prometheus = report_to_dict(workspace.report(at=at, source=prometheus, trends=False))
    for doc in (from_embedded, from_prometheus):
        doc.pop("source")
        for entry in doc["slos"]:
            entry.pop("read_from")
    assert [e["group"] for e in from_prometheus["slos"]] == [
        {"route": ""},
        {"route": "/new"},
        {"route": "/orders"},
        {"route": "/search"},
    ]
    assert json.dumps(from_prometheus, sort_keys=True) == json.dumps(from_embedded, sort_keys=True)
    orders = from_prometheus["slos"][2]
    # 90 minutes of 1000 requests with 20 errors a minute on average: 1800 of 90,000.
    assert (orders["total"], orders["good"]) == (90_000, 88_200)
