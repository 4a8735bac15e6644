"""Two-resolution fetching gives the engine exactly the window sums of a full fetch."""

from __future__ import annotations

import io
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sloscope.engine.evaluate import SLOStatus, evaluate_slo, needed_span
from sloscope.engine.windows import alert_policy
from sloscope.sources.embedded import EmbeddedSource
from sloscope.sources.plan import (
    ONE_SUM,
    FetchRequest,
    PlannedCounts,
    fetch_for_evaluation,
    fetch_planned,
)
from sloscope.spec.model import (
    SLI,
    SLO,
    CalendarWindow,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
)
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore
from sloscope.testing import FakeSource

T0 = 1_790_000_000 // 3600 * 3600  # an hour boundary
MINUTES = 40 * 1440
RATIO = RatioSLI(total=parse_selector("t_total"), good=parse_selector("g_total"))


@pytest.fixture
def counts() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    total = rng.poisson(200, MINUTES).astype(float)
    bad = rng.binomial(total.astype(int), 0.002).astype(float)
    bad[MINUTES - 50 : MINUTES - 20] = total[MINUTES - 50 : MINUTES - 20] * 0.3
    return total - bad, total


def _slo(window: RollingWindow | CalendarWindow, sli: SLI = RATIO) -> SLO:
    return SLO(name="s", objective=0.999, window=window, sli=sli)


@pytest.mark.parametrize(
    ("window", "sli"),
    [
        (RollingWindow(28 * 86400), RATIO),
        (RollingWindow(30 * 86400), RATIO),
        (CalendarWindow("month", "Europe/Berlin"), RATIO),
        (RollingWindow(28 * 86400), TimeslicesSLI(RATIO, 60, 0.99)),
    ],
)
@pytest.mark.parametrize("at_offset", [0, -37 * 60, -3 * 3600 - 60])
def test_coarse_history_gives_the_same_status_as_a_full_fetch(
    counts: tuple[np.ndarray, np.ndarray],
    window: RollingWindow | CalendarWindow,
    sli: SLI,
    at_offset: int,
) -> None:
    good, total = counts
    at = T0 + MINUTES * 60 + at_offset
    slo = _slo(window, sli)
    policy = alert_policy("google")
    results = []
    for coarse in (True, False):
        src = FakeSource.from_minutes(
            start=T0, good=good, total=total, series=2, coarse_history=coarse
        )
        span = needed_span(slo, at, step=60, policy=policy)
        request = FetchRequest(slo.sli, span.begin, span.fine_since, "svc-s")
        (series,) = fetch_for_evaluation(src, [request], at, 60)
        status = evaluate_slo(
            slo, series.good, series.total, start=series.start, step=60, at=at, policy=policy
        )
        results.append((status, src.calls))
    (coarse_status, coarse_calls), (fine_status, fine_calls) = results
    assert coarse_status.total == pytest.approx(fine_status.total, rel=1e-12)
    assert coarse_status.consumed == pytest.approx(fine_status.consumed, rel=1e-12)
    assert coarse_status.burn_rates == pytest.approx(fine_status.burn_rates, rel=1e-12)
    assert coarse_status.alerts == fine_status.alerts
    assert len(fine_calls) == 1
    if isinstance(sli, TimeslicesSLI):
        assert len(coarse_calls) == 1  # slices need every minute
    else:
        assert sorted(call.step for call in coarse_calls) == [60, 3600]
        assert all(call.ids == ("svc-s",) for call in coarse_calls)


def test_requests_on_one_grid_are_fetched_together(counts: tuple[np.ndarray, np.ndarray]) -> None:
    good, total = counts
    src = FakeSource.from_minutes(start=T0, good=good, total=total, coarse_history=True)
    at = T0 + MINUTES * 60
    requests = [FetchRequest(RATIO, at - 28 * 86400, at - 3 * 86400, f"svc-{i}") for i in range(5)]
    out = fetch_for_evaluation(src, requests, at, 60)
    assert len(out) == 5
    assert len(src.calls) == 2
    assert src.calls[0].ids == tuple(f"svc-{i}" for i in range(5))


@pytest.mark.parametrize(
    "window",
    [RollingWindow(28 * 86400), RollingWindow(30 * 86400), CalendarWindow("month", "Asia/Kolkata")],
)
@pytest.mark.parametrize("at_offset", [0, -37 * 60, -3 * 3600 - 60])
def test_planned_counts_give_the_engine_every_figure_of_a_full_fetch_bitwise(
    counts: tuple[np.ndarray, np.ndarray], window: RollingWindow | CalendarWindow, at_offset: int
) -> None:
    good, total = counts
    at = T0 + MINUTES * 60 + at_offset
    slo = _slo(window)
    policy = alert_policy("google")
    span = needed_span(slo, at, step=60, policy=policy)
    request = FetchRequest(slo.sli, span.begin, span.fine_since, "svc-s")

    full = FakeSource.from_minutes(start=T0, good=good, total=total, series=2)
    (series,) = fetch_for_evaluation(full, [request], at, 60)
    dense = evaluate_slo(
        slo, series.good, series.total, start=series.start, step=60, at=at, policy=policy
    )
    coarse = FakeSource.from_minutes(
        start=T0, good=good, total=total, series=2, coarse_history=True
    )
    (planned,) = fetch_planned(coarse, [request], at, 60)
    status = _evaluate_planned(slo, planned, at)
    assert status == dense
    assert status.alerts  # the incident 20-50 minutes before the end pages
    assert planned.history is not None
    assert planned.history.step == 3600
    assert planned.start == series.start
    # Per minute only the 3-day lookback (and the part hour before it); hours for the rest.
    assert len(planned.recent.total) < 3 * 1440 + 60
    assert len(planned.history.total) == (planned.recent.start - planned.start) // 3600
    assert planned.series == 2


def test_a_time_slice_request_comes_per_step_without_a_history(
    counts: tuple[np.ndarray, np.ndarray],
) -> None:
    good, total = counts
    src = FakeSource.from_minutes(start=T0, good=good, total=total, coarse_history=True)
    at = T0 + MINUTES * 60
    sli = TimeslicesSLI(RATIO, 60, 0.99)
    (planned,) = fetch_planned(src, [FetchRequest(sli, at - 28 * 86400, at - 3 * 86400)], at, 60)
    assert planned.history is None
    assert planned.engine_history() is None
    assert len(planned.recent.total) == 28 * 1440
    assert planned.on_fine_grid() is planned.recent


def test_the_embedded_stores_hourly_sums_give_the_figures_of_its_minutes_bitwise(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(8)
    minutes = 9 * 1440
    total = rng.poisson(40, minutes).astype(float)
    bad = rng.binomial(total.astype(int), 0.003).astype(float)
    bad[-70:-20] = total[-70:-20] // 2
    lines = ["# TYPE req counter"]
    for code, per_minute in (("200", total - bad), ("500", bad)):
        values = np.concatenate([[7.0], 7.0 + np.cumsum(per_minute)])
        # Scrapes 13 s into each minute: hours and minutes split between samples.
        lines += [f'req_total{{code="{code}"}} {v:.0f} {T0 + 13 + 60 * i}' for i, v in
                  enumerate(values.tolist())]  # fmt: skip
    store = TelemetryStore(tmp_path / "t.duckdb")
    ingest_file(store, io.BytesIO("\n".join([*lines, "# EOF", ""]).encode()))
    src = EmbeddedSource(store)
    sli = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
    at = T0 + minutes * 60
    policy = alert_policy("google")
    slos = [_slo(w, sli) for w in (RollingWindow(7 * 86400), RollingWindow(5 * 86400 + 1800))]
    spans = [needed_span(slo, at, step=60, policy=policy) for slo in slos]
    requests = [FetchRequest(sli, span.begin, span.fine_since) for span in spans]
    try:
        # Hourly (a chart's width) and as one sum (a status), both windows in one fetch.
        for coarse in (3600, ONE_SUM):
            planned_counts = fetch_planned(src, requests, at, 60, coarse)
            for slo, planned in zip(slos, planned_counts, strict=True):
                _check_against_every_minute(src, slo, planned, at)
                assert planned.history is not None
                assert (len(planned.history.total) == 1) == (coarse == ONE_SUM)
    finally:
        src.close()


def _check_against_every_minute(
    src: EmbeddedSource, slo: SLO, planned: PlannedCounts, at: int
) -> None:
    """The planned counts' history sums the minutes, and the status is that of the minutes."""
    policy = alert_policy("google")
    (minutely,) = src.fetch([slo.sli], planned.start, at, 60)
    assert planned.history is not None
    per = planned.history.step // 60
    steps = len(planned.history.total)
    per_step = minutely.total[: steps * per].reshape(steps, per).sum(axis=1)
    assert np.array_equal(planned.history.total, per_step)
    dense = evaluate_slo(
        slo, minutely.good, minutely.total, start=minutely.start, step=60, at=at, policy=policy
    )
    status = _evaluate_planned(slo, planned, at)
    assert status == dense
    assert status.alerts


def _evaluate_planned(slo: SLO, planned: PlannedCounts, at: int) -> SLOStatus:
    """The status of ``slo`` at ``at`` from planned counts: per minute and a history."""
    recent = planned.recent
    return evaluate_slo(
        slo,
        recent.good,
        recent.total,
        start=recent.start,
        step=60,
        at=at,
        policy=alert_policy("google"),
        history=planned.engine_history(),
    )


def test_an_sli_without_series_gets_zeros_on_both_grids_from_the_embedded_store(
    tmp_path: Path,
) -> None:
    store = TelemetryStore(tmp_path / "t.duckdb")
    ingest_file(store, io.BytesIO(f'req_total{{code="200"}} 1 {T0}\n# EOF\n'.encode()))
    src = EmbeddedSource(store)
    at = T0 + 10 * 86400  # two requests of different windows, one without any series
    nothing = RatioSLI(total=parse_selector("absent_total"), good=parse_selector("absent_total"))
    requests = [
        FetchRequest(nothing, at - 28 * 86400 - 37, at - 3 * 86400),
        FetchRequest(RATIO, at - 30 * 86400, at - 3 * 86400),
    ]
    try:
        for planned in fetch_planned(src, requests, at, 60, ONE_SUM):
            assert planned.history is not None
            assert planned.history.end == planned.recent.start
            assert len(planned.history.total) == 1
            assert not planned.recent.total.any()
            assert planned.series == 0
    finally:
        src.close()


class _SpanSums:
    """A WindowSumSource over a FakeSource: each span between two edges as one sum on
    its last step, as the Prometheus source sends a status."""

    name = "span-sums"
    coarse_history = True

    def __init__(self, inner: FakeSource) -> None:
        self.inner = inner
        self.edges: list[tuple[int, ...]] = []

    def fetch(self, slis, start, end, step, *, ids=None):  # type: ignore[no-untyped-def]
        return self.inner.fetch(slis, start, end, step, ids=ids)

    def fetch_sums(self, slis, start, end, step, edges, *, ids=None):  # type: ignore[no-untyped-def]
        self.edges.append(tuple(edges))
        cuts = sorted(
            {start, end} | {min(max(start + (e - start) // step * step, start), end) for e in edges}
        )
        out = []
        for series in self.inner.fetch(slis, start, end, step, ids=ids):
            good, total = np.zeros_like(series.good), np.zeros_like(series.total)
            for lo, hi in itertools.pairwise(cuts):
                a, b = (lo - start) // step, (hi - start) // step
                good[b - 1], total[b - 1] = series.good[a:b].sum(), series.total[a:b].sum()
            out.append(replace(series, good=good, total=total))
        return out

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(
    "window",
    [RollingWindow(28 * 86400), RollingWindow(86400), CalendarWindow("month", "Asia/Kolkata")],
)
@pytest.mark.parametrize("at_offset", [0, -37 * 60, -3 * 3600 - 60])
def test_a_status_from_sums_between_the_spans_edges_is_the_status_of_every_step(
    counts: tuple[np.ndarray, np.ndarray], window: RollingWindow | CalendarWindow, at_offset: int
) -> None:
    """Span.edges holds every start of a sum a status takes: one sum per span between
    them gives every figure of the per-step counts, bitwise (whole-number counts)."""
    # Whole-number counts, as a counter's: fractional ones would be summed in another
    # order (the Prometheus source reads those step by step).
    good, total = np.floor(counts[0]), counts[1]
    at = T0 + MINUTES * 60 + at_offset
    slo = _slo(window)
    policy = alert_policy("google")
    span = needed_span(slo, at, step=60, policy=policy)
    statuses = []
    for edges in ((), span.edges):
        src = _SpanSums(FakeSource.from_minutes(start=T0, good=good, total=total, series=2))
        request = FetchRequest(slo.sli, span.begin, span.fine_since, "svc-s", edges=edges)
        [planned] = fetch_planned(src, [request], at, 60)
        recent = planned.recent
        statuses.append(
            evaluate_slo(
                slo,
                recent.good,
                recent.total,
                start=recent.start,
                step=60,
                at=at,
                policy=policy,
                history=planned.engine_history(),
            )
        )
        # With edges every part comes as sums (two parts when the window is longer
        # than the lookbacks), without them none does.
        assert len(src.edges) == (len(src.inner.calls) if edges else 0)
    every_step, from_sums = statuses
    assert from_sums == every_step


def test_time_slices_and_requests_without_edges_are_read_step_by_step(
    counts: tuple[np.ndarray, np.ndarray],
) -> None:
    good, total = counts
    at = T0 + MINUTES * 60
    src = _SpanSums(FakeSource.from_minutes(start=T0, good=good, total=total))
    slices = TimeslicesSLI(RATIO, 60, 0.99)
    edges = (at - 3600, at)
    fetch_planned(src, [FetchRequest(slices, at - 86400, at - 86400, "a", edges=edges)], at, 60)
    both = [
        FetchRequest(RATIO, at - 86400, at - 86400, "a", edges=edges),
        FetchRequest(RATIO, at - 86400, at - 86400, "b"),
    ]
    fetch_planned(src, both, at, 60)
    assert src.edges == []
