"""PrometheusSource.fetch_split: the grids it reads (sloscope.sources.prometheus.split) and
that its counts are those of fetch on the grids the plan reads a remote engine on, with
the hours of every window read once (sloscope.testing.FakePrometheus).

Against the real Prometheus (tests/integration/test_prometheus_crosscheck.py): an older
part over a reset, a gap and a late start comes on the plan's grids with fetch's counts,
and grids ending together are read once with sums from each grid's start.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from sloscope.errors import SourceError
from sloscope.sources.base import Segment, SplitSource
from sloscope.sources.plan import COARSE_STEP, ONE_SUM, FetchRequest, fetch_planned
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.sources.prometheus.split import pieces, read_groups
from sloscope.spec.model import RatioSLI
from sloscope.spec.selectors import parse_selector
from sloscope.testing import FakePrometheus, prometheus_counters

T0 = 1_700_000_400  # a whole hour
DAY = 86400
GOOD = parse_selector('req_total{code="200"}')
TOTAL = parse_selector("req_total")
RATIO = RatioSLI(total=TOTAL, good=GOOD)
SERIES = [{"__name__": "req_total", "code": "200"}, {"__name__": "req_total", "code": "500"}]


def levels(labels: Mapping[str, str], t: int) -> float | None:
    """200s grow 3 a minute; 500s grow 1 a minute, restart at day 10 and have no value
    for 20 minutes on day 20 (longer than the lookback): one step over the whole older
    part would count neither the increase before the reset nor the one across the gap
    as the hours do."""
    minutes = (t - T0) // 60
    if labels["code"] == "200":
        return 3.0 * minutes
    if T0 + 20 * DAY < t <= T0 + 20 * DAY + 1200:
        return None
    return float(minutes - 10 * 1440 if t > T0 + 10 * DAY else minutes)


def test_pieces_cut_one_sum_where_the_plans_hours_end() -> None:
    # Whole hours: one hourly grid.
    assert pieces(Segment(T0, T0 + 27 * DAY, 27 * DAY), 60) == (
        Segment(T0, T0 + 27 * DAY, COARSE_STEP),
        None,
    )
    # Hours, then 37 minutes per step.
    end = T0 + 5 * 3600 + 37 * 60
    assert pieces(Segment(T0, end, end - T0), 60) == (
        Segment(T0, T0 + 5 * 3600, COARSE_STEP),
        Segment(T0 + 5 * 3600, end, 60),
    )
    # Less than an hour, or a step an hour is no whole number of: per step throughout.
    assert pieces(Segment(T0, T0 + 1800, 1800), 60) == (None, Segment(T0, T0 + 1800, 60))
    assert pieces(Segment(T0, T0 + 7 * 420 * 10, 7 * 420 * 10), 420) == (
        None,
        Segment(T0, T0 + 7 * 420 * 10, 420),
    )
    # A grid of hours, or of several coarse steps, is read as asked.
    assert pieces(Segment(T0, T0 + 5 * 3600, 3600), 60) == (Segment(T0, T0 + 5 * 3600, 3600), None)
    assert pieces(Segment(T0, T0 + 4 * 7200, 7200), 60) == (Segment(T0, T0 + 4 * 7200, 7200), None)


def test_grids_that_end_together_on_whole_steps_are_read_together() -> None:
    grids = [
        Segment(T0, T0 + 10 * 3600, 3600),
        Segment(T0 + 2 * 3600, T0 + 10 * 3600, 3600),
        Segment(T0 + 60, T0 + 10 * 3600, 3600),  # off the others' hours
        Segment(T0, T0 + 9 * 3600, 3600),  # ends elsewhere
    ]
    assert read_groups(grids) == [[0, 1], [2], [3]]


def test_fetch_split_counts_the_plans_hours_and_reads_them_once() -> None:
    at = T0 + 30 * DAY
    recent = Segment(at - 3 * DAY, at, 60)
    olders = [
        Segment(T0, recent.start, recent.start - T0),  # a 30-day window, one sum asked
        Segment(T0 + 2 * DAY, recent.start, recent.start - T0 - 2 * DAY),  # 28 days
    ]
    with FakePrometheus(prometheus_counters(SERIES, levels)) as stub:
        prometheus = PrometheusSource(stub.url, client=stub.client())
        assert isinstance(prometheus, SplitSource)
        both = prometheus.fetch_split([RATIO, RATIO], olders, recent)
        hourly = stub.requests[:]
        alone = [prometheus.fetch([RATIO], older.start, older.end, COARSE_STEP) for older in olders]
        [fine] = prometheus.fetch([RATIO], *recent)
        # Why not one step: the reset and the gap in the older part.
        [one] = prometheus.fetch([RATIO], T0, recent.start, recent.start - T0)
    # The hours of both windows: one range query over the longer one.
    steps = [int(r.one("step")) for r in hourly if r.path == "/api/v1/query_range"]
    assert sorted(steps) == [60, COARSE_STEP]
    for (old, new), [want] in zip(both, alone, strict=True):
        assert old.step == COARSE_STEP
        np.testing.assert_array_equal(old.total, want.total)
        np.testing.assert_array_equal(old.good, want.good)
        assert (old.start, old.series) == (want.start, want.series)
        np.testing.assert_array_equal(new.total, fine.total)
        np.testing.assert_array_equal(new.good, fine.good)
    assert one.total.sum() < both[0][0].total.sum()


def test_a_part_hour_is_read_per_step_and_placed_after_the_hours() -> None:
    start, end = T0, T0 + 2 * 3600 + 25 * 60
    recent = Segment(end, end + 3600, 60)
    with FakePrometheus(prometheus_counters(SERIES, levels)) as stub:
        prometheus = PrometheusSource(stub.url, client=stub.client())
        [(old, _)] = prometheus.fetch_split([RATIO], [Segment(start, end, end - start)], recent)
        [hours] = prometheus.fetch([RATIO], start, T0 + 2 * 3600, COARSE_STEP)
        [rest] = prometheus.fetch([RATIO], T0 + 2 * 3600, end, 60)
    assert (old.start, old.step, len(old.total)) == (start, 60, (end - start) // 60)
    want = np.zeros(len(old.total))
    want[[59, 119]] = hours.total
    want[120:] = rest.total
    np.testing.assert_array_equal(old.total, want)


def test_the_plan_reads_a_status_through_fetch_split_with_the_same_counts() -> None:
    at = T0 + 30 * DAY
    requests = [
        FetchRequest(RATIO, at - days * DAY, at - 3 * DAY, f"s-{days}", edges=(at - days * DAY,))
        for days in (28, 30)
    ]
    with FakePrometheus(prometheus_counters(SERIES, levels)) as stub:
        prometheus = PrometheusSource(stub.url, client=stub.client())
        planned = fetch_planned(prometheus, requests, at, 60, ONE_SUM)
        for request, counts in zip(requests, planned, strict=True):
            assert counts.history is not None
            [want] = prometheus.fetch([RATIO], request.begin, at - 3 * DAY, COARSE_STEP)
            np.testing.assert_array_equal(counts.history.total, want.total)


def test_fetch_split_checks_its_grids() -> None:
    prometheus = PrometheusSource("http://127.0.0.1:1")
    recent = Segment(T0 + 3600, T0 + 7200, 60)
    try:
        with pytest.raises(SourceError, match="older grids"):
            prometheus.fetch_split([RATIO], [], recent)
        with pytest.raises(SourceError, match="not where the recent one starts"):
            prometheus.fetch_split([RATIO], [Segment(T0, T0 + 1800, 1800)], recent)
    finally:
        prometheus.close()
