"""Two-resolution fetching gives the engine exactly the window sums of a full fetch."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.engine.evaluate import evaluate_slo, needed_span
from sloscope.engine.windows import alert_policy
from sloscope.sources.plan import FetchRequest, fetch_for_evaluation
from sloscope.spec.model import (
    SLI,
    SLO,
    CalendarWindow,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
)
from sloscope.spec.selectors import parse_selector
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
