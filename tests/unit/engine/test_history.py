"""An SLO window's older part as coarse counts (sloscope.engine.counts.History).

The engine needs per-step counts only for its lookbacks; the rest of the window comes as
hourly sums. These tests check every figure against hand-computed numbers and, bitwise,
against the same counts given per minute throughout.
"""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.engine.counts import History, cumulative
from sloscope.engine.evaluate import SLOStatus, evaluate_range, evaluate_slo, needed_span
from sloscope.engine.windows import AlertPolicy, AlertWindow, alert_policy
from sloscope.errors import EvaluationError
from sloscope.spec.model import SLO, CalendarWindow, RatioSLI, RollingWindow, TimeslicesSLI, Window
from sloscope.spec.selectors import parse_selector

MINUTE = 60
HOUR = 3600
DAY = 86400
START = 1_700_006_400  # a midnight (UTC)
GOOGLE = alert_policy("google")
SHORT = AlertPolicy("short", (AlertWindow("page", 2, HOUR, 5 * MINUTE),))
RATIO = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))


def _slo(window: Window, objective: float = 0.99, sli: RatioSLI | TimeslicesSLI = RATIO) -> SLO:
    return SLO(name="availability", objective=objective, window=window, sli=sli)


def _hand_made() -> tuple[History, np.ndarray, np.ndarray]:
    """23 hours of 1,000 events (100 bad in hour 5), then 60 minutes of 10 (the last 5 all bad)."""
    hourly_total = np.full(23, 1000.0)
    hourly_bad = np.zeros(23)
    hourly_bad[5] = 100.0
    history = History(START, HOUR, hourly_total - hourly_bad, hourly_total)
    total = np.full(60, 10.0)
    bad = np.zeros(60)
    bad[55:] = 10.0
    return history, total - bad, total


def _evaluate_day(
    history: History,
    good: np.ndarray,
    total: np.ndarray,
    *,
    sli: RatioSLI | TimeslicesSLI = RATIO,
    start: int = START + 23 * HOUR,
    lookbacks: tuple[int, ...] = (300, 3600),
) -> SLOStatus:
    """A 99% one-day SLO evaluated at the end of the minutes under the SHORT policy."""
    return evaluate_slo(
        _slo(RollingWindow(DAY), sli=sli),
        good,
        total,
        start=start,
        step=MINUTE,
        at=start + len(total) * MINUTE,
        policy=SHORT,
        lookbacks=lookbacks,
        history=history,
    )


def test_a_coarse_history_and_an_hour_of_minutes_give_the_hand_computed_figures() -> None:
    status = _evaluate_day(*_hand_made())
    # Window: 23 * 1000 + 60 * 10 = 23,600 events, 100 + 5 * 10 = 150 bad.
    assert status.total == 23_600.0
    assert status.good == 23_450.0
    assert status.coverage == 1.0
    assert status.sli == 1 - 150 / 23_600
    assert status.consumed == 150 / (23_600 * 0.01)
    assert status.remaining == 1 - 150 / (23_600 * 0.01)
    # 5m: 50 bad of 50 -> 1 / 0.01 = 100; 1h: 50 bad of 600 -> 50 / 6.
    assert status.burn_rates == {300: 100.0, 3600: 50 / 6}
    # The row spends 2% of a day's budget in an hour: factor 0.02 * 24 = 0.48; both fire.
    [alert] = status.alerts
    assert (alert.long_burn, alert.short_burn) == (50 / 6, 100.0)
    assert alert.factor == pytest.approx(0.48)


def test_the_coverage_of_a_history_counts_from_where_the_history_starts() -> None:
    history, good, total = _hand_made()
    young = History(START + 12 * HOUR, HOUR, history.good[12:], history.total[12:])
    status = _evaluate_day(young, good, total)
    assert status.coverage == 0.5
    assert status.total == 11 * 1000.0 + 600.0


def _minutes(days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    total = rng.poisson(120, days * 1440).astype(float)
    bad = rng.binomial(total.astype(int), 0.002).astype(float)
    bad[-40:-10] = total[-40:-10] // 3  # a fast burn half an hour before the end
    bad[-3000:-2000] = total[-3000:-2000] // 50  # a slow one two days before
    return total - bad, total


def _split_hourly(
    good: np.ndarray, total: np.ndarray, start: int, split: int
) -> tuple[History, np.ndarray, np.ndarray]:
    """Minutes before ``split`` summed per hour, the rest as they are."""
    cut = (split - start) // MINUTE
    hours = cut // 60
    history = History(
        start,
        HOUR,
        good[:cut].reshape(hours, 60).sum(axis=1),
        total[:cut].reshape(hours, 60).sum(axis=1),
    )
    return history, good[cut:], total[cut:]


@pytest.mark.parametrize(
    "window",
    [RollingWindow(28 * DAY), RollingWindow(30 * DAY), CalendarWindow("month", "Europe/Berlin")],
)
@pytest.mark.parametrize(("objective", "pages"), [(0.999, True), (0.95, False)])
def test_hourly_history_gives_every_figure_of_the_per_minute_counts_bitwise(
    window: Window, objective: float, pages: bool
) -> None:
    good, total = _minutes(35, seed=4)
    at = START + 35 * DAY
    slo = _slo(window, objective)
    span = needed_span(slo, at, step=MINUTE, policy=GOOGLE)
    first = (span.begin - START) // MINUTE
    good, total = good[first:], total[first:]
    fine_hours = -(-(at - span.fine_since) // HOUR)
    split = at - fine_hours * HOUR
    split -= (split - span.begin) % HOUR  # the history is whole hours from the window start
    history, recent_good, recent_total = _split_hourly(good, total, span.begin, split)

    dense = evaluate_slo(slo, good, total, start=span.begin, step=MINUTE, at=at, policy=GOOGLE)
    coarse = evaluate_slo(
        slo, recent_good, recent_total, start=split, step=MINUTE, at=at, policy=GOOGLE,
        history=history,
    )  # fmt: skip
    assert coarse == dense  # every field, floats compared exactly
    assert bool(dense.alerts) == pages  # the comparison saw a page where one is due
    assert len(recent_total) <= 3 * 1440 + 60  # per minute only for the longest lookback


def test_a_range_replay_over_an_hourly_history_gives_the_per_minute_burns_bitwise() -> None:
    good, total = _minutes(10, seed=9)
    slo = _slo(RollingWindow(7 * DAY), 0.999)
    range_start = START + 8 * DAY
    split = range_start - 3 * DAY
    history, recent_good, recent_total = _split_hourly(good, total, START, split)
    dense = evaluate_range(
        slo, good, total, start=START, step=MINUTE, policy=GOOGLE, range_start=range_start
    )
    coarse = evaluate_range(
        slo,
        recent_good,
        recent_total,
        start=split,
        step=MINUTE,
        policy=GOOGLE,
        range_start=range_start,
        history=history,
    )
    assert np.array_equal(coarse.timestamps, dense.timestamps)
    assert np.array_equal(coarse.burn, dense.burn, equal_nan=True)
    for ours, theirs in zip(coarse.conditions, dense.conditions, strict=True):
        assert np.array_equal(ours.firing, theirs.firing)
    # The budget over the SLO window at the range's end, from the history and the minutes.
    end = START + 10 * DAY
    assert coarse.counts.window(end - 7 * DAY, end) == dense.counts.window(end - 7 * DAY, end)


def test_window_sums_over_a_history_start_on_its_hour_edges() -> None:
    history = History(START, HOUR, np.array([1.0, 2.0]), np.array([10.0, 20.0]))
    cum = cumulative(np.array([3.0, 4.0]), np.array([30.0, 40.0]), start=START + 2 * HOUR,
                     step=MINUTE, history=history)  # fmt: skip
    assert cum.origin == START
    assert cum.end == START + 2 * HOUR + 2 * MINUTE
    assert cum.window(START, cum.end) == (10.0, 100.0)
    # A step counts when its right edge is in the window, as on the fine grid.
    assert cum.window(START + 30 * MINUTE, cum.end) == (10.0, 100.0)
    assert cum.window(START + HOUR, cum.end) == (9.0, 90.0)
    assert cum.window(START + HOUR, START + 2 * HOUR + MINUTE) == (5.0, 50.0)
    assert cum.window(START + 2 * HOUR + MINUTE, cum.end) == (4.0, 40.0)
    assert cum.timestamps.tolist() == [
        START + HOUR,
        START + 2 * HOUR,
        START + 2 * HOUR + MINUTE,
        START + 2 * HOUR + 2 * MINUTE,
    ]


def test_a_history_that_does_not_end_where_the_minutes_start_is_refused() -> None:
    history, good, total = _hand_made()
    with pytest.raises(EvaluationError, match="history ends at"):
        _evaluate_day(history, good, total, start=START + 23 * HOUR + MINUTE)


def test_a_lookback_reaching_into_the_history_is_refused() -> None:
    history, good, total = _hand_made()
    with pytest.raises(EvaluationError, match="into the coarse history"):
        _evaluate_day(history, good, total, lookbacks=(300, 2 * HOUR))


def test_a_time_slice_sli_refuses_a_coarse_history() -> None:
    history, good, total = _hand_made()
    with pytest.raises(EvaluationError, match="every slice"):
        _evaluate_day(history, good, total, sli=TimeslicesSLI(RATIO, 60, 0.9))


def test_negative_counts_in_the_history_are_refused() -> None:
    history, good, total = _hand_made()
    broken = History(history.start, HOUR, history.good, -history.total)
    with pytest.raises(EvaluationError, match="negative"):
        _evaluate_day(broken, good, total)
