"""Grouped fetches (group_by): one CountSeries per label value, each with its own history.

Counters rise once a minute from 0; step ``i`` covers ``(T0 + 60 i, T0 + 60 (i + 1)]``.
A series' first sample adds nothing (there is no increase before it), so a route that
starts at minute 5 counts 0 in step 4 (the step holding its first sample) and its
increments from step 5 on.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sloscope.errors import TooManyGroupsError
from sloscope.sources.base import GroupedSource
from sloscope.sources.embedded import EmbeddedSource
from sloscope.spec.model import LatencySLI, RatioSLI
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore
from sloscope.testing import FakeSource

T0 = 1_700_000_040  # a minute edge
RATIO = RatioSLI(
    total=parse_selector('req_total{job="api"}'),
    bad=parse_selector('req_total{job="api", code="500"}'),
)


def _counter(series: str, per_minute: float, first: int, last: int) -> list[str]:
    """A counter at 0 at minute ``first``, rising by ``per_minute`` up to minute ``last``."""
    return [f"{series} {per_minute * (m - first):g} {T0 + m * 60}" for m in range(first, last + 1)]


@pytest.fixture
def source(tmp_path: Path) -> Iterator[EmbeddedSource]:
    lines = [
        *_counter('req_total{job="api",route="/orders",code="200"}', 98, 0, 10),
        *_counter('req_total{job="api",route="/orders",code="500"}', 2, 0, 10),
        *_counter('req_total{job="api",route="/search",code="200"}', 50, 0, 10),
        # A route that appears at minute 5, one that vanishes after minute 3.
        *_counter('req_total{job="api",route="/new",code="200"}', 9, 5, 10),
        *_counter('req_total{job="api",route="/new",code="500"}', 1, 5, 10),
        *_counter('req_total{job="api",route="/old",code="200"}', 10, 0, 3),
        # No route label at all: the group route="" (as Prometheus' sum by reads it).
        *_counter('req_total{job="api",code="200"}', 7, 0, 10),
        *_counter('lat_seconds_bucket{job="api",route="/orders",le="0.3"}', 90, 0, 10),
        *_counter('lat_seconds_count{job="api",route="/orders"}', 100, 0, 10),
        *_counter('lat_seconds_bucket{job="api",route="/search",le="0.3"}', 40, 0, 10),
        *_counter('lat_seconds_count{job="api",route="/search"}', 40, 0, 10),
        "# EOF",
        "",
    ]
    store = TelemetryStore(tmp_path / "t.duckdb")
    ingest_file(store, io.BytesIO("\n".join(lines).encode()))
    src = EmbeddedSource(store)
    yield src
    src.close()


def test_the_embedded_source_counts_each_route_of_a_ratio_on_its_own(
    source: EmbeddedSource,
) -> None:
    assert isinstance(source, GroupedSource)
    groups = source.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 60)
    assert sorted(k[0][1] for k in groups) == ["", "/new", "/old", "/orders", "/search"]
    orders = groups[(("route", "/orders"),)]
    # 100 requests a minute, 2 of them errors: good 98 in each of the 10 steps.
    assert orders.total.tolist() == [100.0] * 10
    assert orders.good.tolist() == [98.0] * 10
    assert orders.series == 2
    assert groups[(("route", "/search"),)].good.sum() == 500.0
    assert groups[(("route", ""),)].total.tolist() == [7.0] * 10


def test_a_route_appearing_mid_window_has_its_own_short_history(
    source: EmbeddedSource,
) -> None:
    groups = source.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 60)
    new = groups[(("route", "/new"),)]
    # First sample at minute 5, in step 4: the series starts there, no zeros before.
    assert new.start == T0 + 4 * 60
    assert new.total.tolist() == [0.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    assert new.good.tolist() == [0.0, 9.0, 9.0, 9.0, 9.0, 9.0]


def test_a_vanished_route_keeps_its_history_until_it_leaves_the_range(
    source: EmbeddedSource,
) -> None:
    old = source.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 60)[(("route", "/old"),)]
    assert old.start == T0
    assert old.total.tolist() == [10.0, 10.0, 10.0] + [0.0] * 7
    later = source.fetch_grouped(RATIO, ["route"], T0 + 240, T0 + 600, 60)
    assert (("route", "/old"),) not in later


def test_a_latency_slo_is_grouped_by_the_histograms_labels(source: EmbeddedSource) -> None:
    sli = LatencySLI(metric=parse_selector('lat_seconds{job="api"}'), threshold=0.3)
    groups = source.fetch_grouped(sli, ["route"], T0, T0 + 600, 60)
    assert list(groups) == [(("route", "/orders"),), (("route", "/search"),)]
    assert groups[(("route", "/orders"),)].good.sum() == 900.0
    assert groups[(("route", "/orders"),)].total.sum() == 1000.0
    assert groups[(("route", "/search"),)].good.sum() == 400.0


def test_more_groups_than_max_groups_is_an_error_with_the_count(
    source: EmbeddedSource,
) -> None:
    with pytest.raises(TooManyGroupsError) as caught:
        source.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 60, max_groups=4)
    assert (caught.value.count, caught.value.limit) == (5, 4)
    assert len(source.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 60, max_groups=5)) == 5


def test_the_fake_source_starts_a_group_at_its_first_minute_with_events() -> None:
    fake = FakeSource(
        T0,
        {},
        groups={
            RATIO: {
                (("route", "/a"),): (np.full(10, 9.0), np.full(10, 10.0)),
                (("route", "/b"),): (
                    [0, 0, 0, 0, 0, 5, 5, 5, 5, 5],
                    [0, 0, 0, 0, 0, 5, 5, 5, 5, 5],
                ),
            }
        },
    )
    groups = fake.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 120)
    assert groups[(("route", "/a"),)].good.tolist() == [18.0] * 5
    late = groups[(("route", "/b"),)]
    # Minute 5 falls in the step of minutes 4-5 (T0 + 240, T0 + 360]: 5 events there.
    assert (late.start, late.total.tolist()) == (T0 + 240, [5.0, 10.0, 10.0])
    with pytest.raises(TooManyGroupsError):
        fake.fetch_grouped(RATIO, ["route"], T0, T0 + 600, 60, max_groups=1)
