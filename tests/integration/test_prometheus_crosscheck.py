"""The Prometheus source against the embedded store, on the same OpenMetrics data.

The demo data (60s samples on the step grid, one counter reset) must give the very same
per-step counts, hence the very same report. Handcrafted data with 15s scrapes off the
grid, a reset, a gap and a series that starts late shows where the two may differ, and
that they differ exactly there, by exactly the documented amounts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import numpy as np
import pytest

from conftest import DEMO_DAYS, DEMO_END, Demo, StartPrometheus
from sloscope.report.json import report_to_dict
from sloscope.sources.base import Segment
from sloscope.sources.embedded import EmbeddedSource
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import RatioSLI
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

STEP = 60


@pytest.fixture
def prometheus(demo: Demo) -> Iterator[PrometheusSource]:
    source = PrometheusSource(demo.prometheus.url)
    yield source
    source.close()


def test_per_step_counts_equal_the_embedded_store_on_the_demo_data(
    demo: Demo, prometheus: PrometheusSource
) -> None:
    services = demo.workspace.services()
    slis = [slo.sli for service in services for slo in service.slos]
    start = DEMO_END - (DEMO_DAYS + 1) * 86400  # a day before the data, too
    embedded = demo.workspace.source()
    try:
        expected = embedded.fetch(slis, start, DEMO_END, STEP)
    finally:
        embedded.close()
    got = prometheus.fetch(slis, start, DEMO_END, STEP)
    assert len(got) == len(expected) == 9
    for want, have in zip(expected, got, strict=True):
        assert have.series == want.series
        np.testing.assert_array_equal(have.total, want.total)
        np.testing.assert_array_equal(have.good, want.good)
        assert have.note == "raw series"
    # The data has events, and the reset of the search counter is inside the range.
    assert all(c.total.sum() > 1e6 for c in got)
    assert demo.telemetry.reset is not None
    assert start < demo.telemetry.reset.at <= DEMO_END


def test_the_report_from_prometheus_equals_the_embedded_report(
    demo: Demo, prometheus: PrometheusSource
) -> None:
    from_embedded = report_to_dict(demo.workspace.report(at=DEMO_END))
    from_prometheus = report_to_dict(demo.workspace.report(at=DEMO_END, source=prometheus))
    assert (from_embedded.pop("source"), from_prometheus.pop("source")) == (
        "embedded",
        "prometheus",
    )
    # How the source answered differs by design (README: null for the embedded store).
    assert {s.pop("read_from") for s in from_embedded["slos"]} == {None}
    assert {s.pop("read_from") for s in from_prometheus["slos"]} == {"raw series"}
    # The report covers 28d-33d windows over 3 days of data: chunked range queries.
    assert json.dumps(from_prometheus, sort_keys=True) == json.dumps(from_embedded, sort_keys=True)
    assert len(from_prometheus["slos"]) == 9


# --- scrapes off the grid -----------------------------------------------------------------

B = 1_763_000_040  # a whole minute: the grid starts here
MINUTES = 90
RESET_MINUTE = 20  # the 3rd sample of minute 20 restarts from 0
GAP = (50, 61)  # no samples from minute 50 to 61: longer than the 5m lookback
LATE_MINUTE = 30  # the 500 series starts here


def _increments(rng: np.random.Generator, n: int) -> list[int]:
    return [int(v) for v in rng.integers(0, 20, size=n)]


def _samples() -> dict[str, list[tuple[int, float]]]:
    """15s scrapes at +7s, +22s, +37s and +52s of every minute."""
    rng = np.random.default_rng(42)
    out: dict[str, list[tuple[int, float]]] = {}
    times = [B + 60 * m + s for m in range(MINUTES) for s in (7, 22, 37, 52)]
    value = 1000.0
    ok: list[tuple[int, float]] = []
    for t, inc in zip(times, _increments(rng, len(times)), strict=True):
        minute = (t - B) // 60
        if GAP[0] <= minute < GAP[1]:
            value += inc  # counted, but not scraped
            continue
        if t == B + 60 * RESET_MINUTE + 37:
            value = 0.0
        value += inc
        ok.append((t, value))
    out['req_total{code="200"}'] = ok
    late = [t for t in times if t >= B + 60 * LATE_MINUTE]
    value = 50.0
    errors = []
    for t, inc in zip(late, _increments(rng, len(late)), strict=True):
        value += inc
        errors.append((t, value))
    out['req_total{code="500"}'] = errors
    return out


@pytest.fixture(scope="module")
def offgrid(
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    load_openmetrics: Callable[[Path, Path], None],
) -> Iterator[tuple[EmbeddedSource, PrometheusSource, dict[str, list[tuple[int, float]]]]]:
    root = tmp_path_factory.mktemp("offgrid")
    samples = _samples()
    lines = ["# TYPE req counter"]
    for series, points in samples.items():
        lines += [f"{series} {v:g} {t}" for t, v in points]
    lines.append("# EOF")
    path = root / "offgrid.om"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    store = TelemetryStore(root / "t.duckdb")
    ingest_file(store, path)
    load_openmetrics(path, root / "data")
    server = prometheus_factory(root / "data")
    prometheus = PrometheusSource(server.url)
    yield EmbeddedSource(store), prometheus, samples
    prometheus.close()
    store.close()


def _step_of(t: int) -> int:
    """The grid step (0-based) a timestamp falls in: (B + i*60, B + (i+1)*60]."""
    return (t - B - 1) // 60


def test_off_grid_scrapes_agree_except_where_the_lookback_documents(
    offgrid: tuple[EmbeddedSource, PrometheusSource, dict[str, list[tuple[int, float]]]],
) -> None:
    embedded, prometheus, samples = offgrid
    sli = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
    [want] = embedded.fetch([sli], B, B + MINUTES * STEP, STEP)
    [have] = prometheus.fetch([sli], B, B + MINUTES * STEP, STEP)
    ok = dict(samples['req_total{code="200"}'])
    late = samples['req_total{code="500"}']

    # 1. The reset step counts only what came after the reset: it misses the increases
    #    of the minute's first two samples (+7s, +22s).
    reset = B + 60 * RESET_MINUTE
    missed_at_reset = ok[reset + 22] - ok[reset - 8]
    # 2. The first step after the gap counts 0: Prometheus has no value a step before.
    resume = min(t for t in ok if t > B + 60 * GAP[0])
    first_after_gap = (
        ok[max(t for t in ok if _step_of(t) == _step_of(resume))]
        - ok[max(t for t in ok if t < resume)]
    )
    # 3. The step where a series starts counts 0; the embedded store counts the
    #    increases after its first sample (+22s, +37s, +52s): the 200 series starts in
    #    the first step, the 500 series at minute 30.
    start_ok = ok[B + 52] - ok[B + 7]
    start_late = late[3][1] - late[0][1]

    difference = want.total - have.total
    expected = np.zeros(MINUTES)
    expected[0] += start_ok
    expected[_step_of(reset + 37)] += missed_at_reset
    expected[_step_of(resume)] += first_after_gap
    expected[_step_of(late[0][0])] += start_late
    np.testing.assert_array_equal(difference, expected)
    assert min(missed_at_reset, first_after_gap, start_ok, start_late) > 0

    bad_difference = (want.total - want.good) - (have.total - have.good)
    only_late = np.zeros(MINUTES)
    only_late[_step_of(late[0][0])] = start_late
    np.testing.assert_array_equal(bad_difference, only_late)
    # Everywhere else (86 of 90 steps): the very same counts.
    assert int(np.count_nonzero(difference)) == 4


# --- a status reads window sums -----------------------------------------------------------


def _counting_source(url: str) -> tuple[PrometheusSource, list[str]]:
    """A source whose every query text is recorded."""
    sent: list[str] = []

    def record(request: httpx.Request) -> None:
        form = parse_qs(request.content.decode())
        sent.extend(form.get("query", []))

    client = httpx.Client(event_hooks={"request": [record]}, timeout=60)
    return PrometheusSource(url, client=client), sent


@pytest.mark.parametrize("off_minute", [0, 30])
def test_a_status_report_from_window_sums_equals_the_embedded_report(
    demo: Demo, off_minute: int
) -> None:
    """report --json (no trends) reads the 3 days of lookbacks as sums between the
    windows' edges where they equal the per-step sums, and per step where a series
    resets (the search counter): the very report of the embedded store. 30s off the
    minute, the subqueries read the selector 30s late (offset -30s)."""
    at = DEMO_END - off_minute
    from_embedded = report_to_dict(demo.workspace.report(at=at, trends=False))
    source, sent = _counting_source(demo.prometheus.url)
    try:
        from_prometheus = report_to_dict(demo.workspace.report(at=at, source=source, trends=False))
    finally:
        source.api.client.close()
    for report in (from_embedded, from_prometheus):
        report.pop("source")
        for slo in report["slos"]:
            slo.pop("read_from")
    assert json.dumps(from_prometheus, sort_keys=True) == json.dumps(from_embedded, sort_keys=True)
    checks = [q for q in sent if q.startswith("count_over_time(")]
    assert checks, "no window sums were read"
    assert all(("offset -30s" in q) == bool(off_minute) for q in checks)
    # Where a series resets, its metric is read per step: the reset is in the data.
    assert demo.telemetry.reset is not None
    assert any(not q.startswith(("count_over_time", "resets", "sum_over_time")) for q in sent)


def test_window_sums_equal_the_sums_of_the_per_step_counts_and_read_steps_where_not(
    offgrid: tuple[EmbeddedSource, PrometheusSource, dict[str, list[tuple[int, float]]]],
) -> None:
    """15s scrapes off the grid: after the reset and the gap (minute 62 on), every span
    between two edges is one sum equal to the per-step counts' sum; over the reset,
    the gap and the late start, the source reads every step (the same counts)."""
    _, prometheus, _ = offgrid
    sli = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
    prometheus.sums_from_steps = 1
    try:
        for first, edges in ((B + 62 * 60, [B + 70 * 60, B + 85 * 60]), (B, [B + 40 * 60])):
            end = B + MINUTES * STEP
            [steps] = prometheus.fetch([sli], first, end, STEP)
            [sums] = prometheus.fetch_sums([sli], first, end, STEP, edges)
            cuts = [(e - first) // STEP for e in (first, *edges, end)]
            for have, want in ((sums.total, steps.total), (sums.good, steps.good)):
                np.testing.assert_array_equal(
                    np.cumsum(have)[np.array(cuts[1:]) - 1], np.cumsum(want)[np.array(cuts[1:]) - 1]
                )
            nonzero = int(np.count_nonzero(sums.total))
            if first == B:
                np.testing.assert_array_equal(sums.total, steps.total)  # read per step
            else:
                assert nonzero == len(cuts) - 1  # one sum per span
                assert steps.total.sum() > 0
    finally:
        prometheus.sums_from_steps = PrometheusSource.sums_from_steps


def test_fetch_split_reads_grids_ending_together_once_with_sums_from_each_grids_start(
    offgrid: tuple[EmbeddedSource, PrometheusSource, dict[str, list[tuple[int, float]]]],
) -> None:
    """Two older grids of the same end (two windows) are read as one, over the longer;
    each one's sums between the edges still start at its own start: the shorter grid's
    first span is not the longer grid's, whose sum would hold minutes before it."""
    _, prometheus, _ = offgrid
    sli = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
    starts, split, end = (B + 62 * 60, B + 66 * 60), B + 80 * 60, B + MINUTES * STEP
    edges = [B + 70 * 60, B + 75 * 60, split]
    olders = [Segment(start, split, STEP) for start in starts]
    source, sent = _counting_source(prometheus.url)
    source.sums_from_steps = 1
    try:
        pairs = source.fetch_split([sli, sli], olders, Segment(split, end, STEP), edges=edges)
        checks = [q for q in sent if q.startswith("count_over_time(")]
        alone = [source.fetch([sli], start, split, STEP)[0] for start in starts]
    finally:
        source.api.client.close()
    # One check of the older grids (the longer one) and one of the recent grid.
    assert len(checks) == 2
    for (old, _), steps, start in zip(pairs, alone, starts, strict=True):
        cuts = np.array([(e - start) // STEP for e in edges]) - 1
        for have, want in ((old.total, steps.total), (old.good, steps.good)):
            np.testing.assert_array_equal(np.cumsum(have)[cuts], np.cumsum(want)[cuts])
        # One sum per span; the longer grid's spans are also cut at the other's start.
        spans = {e for e in (*edges, *starts) if start < e <= split}
        assert int(np.count_nonzero(old.total)) == len(spans)


def test_fetch_split_reads_an_older_part_with_a_reset_and_a_gap_on_the_plans_grids(
    offgrid: tuple[EmbeddedSource, PrometheusSource, dict[str, list[tuple[int, float]]]],
) -> None:
    """An older part asked for as one step, over the reset, the gap and the late start,
    comes as the plan's grids read it from a remote engine: its whole hour (ending
    after the gap), then the rest per step, the very counts fetch gives on those grids
    (one step over all of it would count only its two ends)."""
    _, prometheus, _ = offgrid
    sli = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
    start, split, end = B + 2 * 60, B + 80 * 60, B + MINUTES * STEP
    hour_end, steps = start + 3600, (split - start) // STEP
    [(old, new)] = prometheus.fetch_split(
        [sli], [Segment(start, split, split - start)], Segment(split, end, STEP)
    )
    [hour] = prometheus.fetch([sli], start, hour_end, 3600)
    [rest] = prometheus.fetch([sli], hour_end, split, STEP)
    [recent] = prometheus.fetch([sli], split, end, STEP)
    [one] = prometheus.fetch([sli], start, split, split - start)
    assert (old.start, old.step, len(old.total)) == (start, STEP, steps)
    for have, hours, rests in (
        (old.total, hour.total, rest.total),
        (old.good, hour.good, rest.good),
    ):
        want = np.zeros(steps)
        want[59] = hours[0]
        want[60:] = rests
        np.testing.assert_array_equal(have, want)
    np.testing.assert_array_equal(new.total, recent.total)
    np.testing.assert_array_equal(new.good, recent.good)
    assert hour.total[0] > 0
    assert one.total.sum() != old.total.sum()  # the reset is in the older part


# --- overlapping selectors read apart -----------------------------------------------------

OVERLAP_START = 1_763_100_000  # a whole minute
O_MINUTES = 40


@pytest.fixture(scope="module")
def overlapping(
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    load_openmetrics: Callable[[Path, Path], None],
) -> Iterator[PrometheusSource]:
    """Two selectors sharing a series, whose union matches three times the series they
    need (so each is read by its own query); the prod 200 series resets at minute 20, so
    the first selector's query is read per step while the second's is summed."""
    root = tmp_path_factory.mktemp("overlapping")
    series = [
        'x_total{job="a",env="prod",code="200"}',
        'x_total{job="a",env="prod",code="500"}',
        'x_total{job="a",env="dev",code="500"}',
        *(f'x_total{{job="a",env="dev",code="200",pod="p{i}"}}' for i in range(6)),
    ]
    lines = ["# TYPE x counter"]
    for index, name in enumerate(series):
        for minute in range(O_MINUTES + 1):
            value = (index + 1) * (minute % 20 if index == 0 and minute >= 20 else minute)
            lines.append(f"{name} {value} {OVERLAP_START + 60 * minute}")
    # And a counter of fractional values (seconds spent, say), regular otherwise.
    lines.append("# TYPE y counter")
    for code, rate in (("200", 0.1), ("500", 0.03)):
        for minute in range(O_MINUTES + 1):
            value = round(7.7 + rate * minute, 2)
            lines.append(f'y_total{{code="{code}"}} {value} {OVERLAP_START + 60 * minute}')
    # And one whose values' sum and values at the step edges are whole numbers, though
    # some values between them are not: fractional all the same.
    lines.append("# TYPE z counter")
    for code, scale in (("200", 3), ("500", 1)):
        for minute in range(O_MINUTES + 1):
            value = scale * minute + {11: 0.2, 12: 0.2, 13: -0.4}.get(minute, 0)
            lines.append(f'z_total{{code="{code}"}} {value:g} {OVERLAP_START + 60 * minute}')
    # And a level that never drops, from below 0 to above it, whose fractional parts
    # (x % 1 keeps the sign) cancel: -0.5 and 1.5 around 0.
    lines.append("# TYPE v gauge")
    for code, scale in (("200", 2), ("500", 1)):
        for minute in range(O_MINUTES + 1):
            value = scale * (minute - 20) + {19: 0.5, 21: 0.5}.get(minute, 0)
            lines.append(f'v{{code="{code}"}} {value:g} {OVERLAP_START + 60 * minute}')
    # And one whose values are whole but so large (2**52 and up, two series) that their
    # sums across series are not exact in a float64.
    lines.append("# TYPE w counter")
    for code in ("200", "500"):
        for minute in range(O_MINUTES + 1):
            lines.append(f'w_total{{code="{code}"}} {2**52 + minute} {OVERLAP_START + 60 * minute}')
    lines.append("# EOF")
    path = root / "overlapping.om"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    load_openmetrics(path, root / "data")
    source = PrometheusSource(prometheus_factory(root / "data").url)
    yield source
    source.close()


def test_a_series_summed_by_another_query_still_counts_every_series_of_a_selector(
    overlapping: PrometheusSource,
) -> None:
    """A selector read per step whose series another (summed) query also read counts
    all its series: the sums between the edges equal the per-step counts' sums."""
    prod = RatioSLI(
        total=parse_selector('x_total{job="a", env="prod"}'),
        bad=parse_selector('x_total{job="a", env="prod", code="500"}'),
    )
    errors = RatioSLI(
        total=parse_selector('x_total{job="a", code="500"}'),
        bad=parse_selector('x_total{job="a", env="dev", code="500"}'),
    )
    first, end = OVERLAP_START + 60, OVERLAP_START + O_MINUTES * STEP
    edges = [OVERLAP_START + 10 * 60, OVERLAP_START + 30 * 60]
    source, sent = _counting_source(overlapping.url)
    source.sums_from_steps = 1
    try:
        sums = source.fetch_sums([prod, errors], first, end, STEP, edges)
        steps = source.fetch([prod, errors], first, end, STEP)
    finally:
        source.api.client.close()
    assert any(q.startswith("count_over_time(") for q in sent), "no window sums were read"
    cuts = np.array([(e - first) // STEP for e in (*edges, end)]) - 1
    for have, want in zip(sums, steps, strict=True):
        for mine, theirs in ((have.total, want.total), (have.good, want.good)):
            np.testing.assert_array_equal(np.cumsum(mine)[cuts], np.cumsum(theirs)[cuts])
        assert want.total.sum() > 0


@pytest.mark.parametrize("metric", ["y_total", "z_total", "v", "w_total"])
def test_counters_a_float_cannot_sum_exactly_are_read_per_step_not_as_window_sums(
    overlapping: PrometheusSource, metric: str
) -> None:
    """Window sums of fractional values could differ from the per-step sums in the last
    bits: a metric holding them is read per step (README), the very counts of fetch,
    also when its values' sum and its values at the edges happen to be whole, or its
    fractional parts cancel around 0; and so is one whose values add up, across series,
    beyond what a float64 holds exactly."""
    sli = RatioSLI(total=parse_selector(metric), bad=parse_selector(f'{metric}{{code="500"}}'))
    first, end = OVERLAP_START + 60, OVERLAP_START + O_MINUTES * STEP
    edges = [OVERLAP_START + 10 * 60, OVERLAP_START + 30 * 60]
    source, sent = _counting_source(overlapping.url)
    source.sums_from_steps = 1
    try:
        [sums] = source.fetch_sums([sli], first, end, STEP, edges)
        [steps] = source.fetch([sli], first, end, STEP)
    finally:
        source.api.client.close()
    assert any(q.startswith("count_over_time(") for q in sent), "no window sums were tried"
    np.testing.assert_array_equal(sums.total, steps.total)
    np.testing.assert_array_equal(sums.good, steps.good)
    assert int(np.count_nonzero(sums.total)) > 3  # per step, not one sum per span
