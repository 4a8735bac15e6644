"""The budget burndown over the window and the burn over the last day (sloscope.engine.trend)."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.engine.evaluate import evaluate_slo
from sloscope.engine.trend import budget_trend
from sloscope.engine.windows import alert_policy
from sloscope.errors import EvaluationError
from sloscope.spec.model import (
    SLO,
    Alerting,
    CalendarWindow,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
)
from sloscope.spec.selectors import parse_selector

MINUTE = 60
HOUR = 3600
DAY = 86400
START = 1_700_006_400  # a midnight (UTC)
GOOGLE = alert_policy("google")
RATIO = RatioSLI(
    total=parse_selector('http_requests_total{service="checkout"}'),
    bad=parse_selector('http_requests_total{service="checkout", code=~"5.."}'),
)


def seven_day_slo(sli: RatioSLI | TimeslicesSLI = RATIO) -> SLO:
    return SLO(name="availability", objective=0.999, window=RollingWindow(7 * DAY), sli=sli)


def incidents() -> tuple[np.ndarray, np.ndarray, int]:
    """8 days of 1000 events/min: 100 bad/min in the 30 min before at - 2d, 10/min in the last hour.

    Window (the last 7 days): 10,080,000 events, a budget of 10,080 bad events; the
    first incident spends 3,000 of them, the second 600.
    """
    n = 8 * 1440
    total = np.full(n, 1000.0)
    bad = np.zeros(n)
    at = START + n * MINUTE
    first_end = (at - 2 * DAY - START) // MINUTE
    bad[first_end - 30 : first_end] = 100.0
    bad[-60:] = 10.0
    return total - bad, total, at


def test_the_burndown_drops_where_each_incident_spent_the_budget() -> None:
    good, total, at = incidents()
    trend = budget_trend(seven_day_slo(), good, total, start=START, step=MINUTE, at=at, points=7)
    # One point per day of the window: the first incident ends exactly at day 5.
    assert list(trend.budget_times) == [at - 7 * DAY + k * DAY for k in range(1, 8)]
    assert list(trend.budget_remaining[:4]) == [1.0] * 4
    assert trend.budget_remaining[4] == pytest.approx(1 - 3000 / 10_080)
    assert trend.budget_remaining[5] == pytest.approx(1 - 3000 / 10_080)
    assert trend.budget_remaining[6] == pytest.approx(1 - 3600 / 10_080)


def test_the_sli_since_the_window_began_dips_with_the_incident() -> None:
    good, total, at = incidents()
    slo = seven_day_slo()
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    trend = budget_trend(slo, good, total, start=START, step=MINUTE, at=at, points=7)
    # Day 5: 3,000 bad of 5 days x 1,440,000 events; day 7: 3,600 bad of 10,080,000.
    assert list(trend.sli[:4]) == [1.0] * 4
    assert trend.sli[4] == pytest.approx(1 - 3000 / 7_200_000)
    assert trend.sli[6] == pytest.approx(1 - 3600 / 10_080_000)
    assert trend.sli[6] == pytest.approx(status.sli, abs=1e-15)


def test_the_last_burndown_point_is_the_status_remaining_to_the_bit() -> None:
    good, total, at = incidents()
    slo = seven_day_slo()
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    trend = budget_trend(slo, good, total, start=START, step=MINUTE, at=at)
    assert trend.budget_remaining[-1] == status.remaining
    assert trend.budget_times[-1] == at
    assert len(trend.budget_remaining) == 96


def test_the_last_day_burn_is_one_figure_per_hour_oldest_first() -> None:
    good, total, at = incidents()
    trend = budget_trend(seven_day_slo(), good, total, start=START, step=MINUTE, at=at)
    assert trend.burn_seconds == HOUR
    assert list(trend.burn_times) == [at - DAY + k * HOUR for k in range(1, 25)]
    # The last hour: 600 bad of 60,000 events = 1% errors against a 0.1% budget.
    assert trend.burn[-1] == pytest.approx(10.0)
    assert list(trend.burn[:-1]) == [0.0] * 23


def test_a_step_that_does_not_divide_an_hour_gets_intervals_of_whole_steps() -> None:
    # A 7-minute step: 1h rounds up to 63 minutes, and 22 of them fit in the day.
    n = 2 * 1440 // 7
    total = np.full(n, 7000.0)
    at = START + n * 7 * MINUTE
    slo = SLO(
        name="a",
        objective=0.99,
        window=RollingWindow(DAY),
        sli=RATIO,
        alerting=Alerting(enabled=False),
    )
    trend = budget_trend(slo, total, total, start=START, step=7 * MINUTE, at=at)
    assert trend.burn_seconds == 63 * MINUTE
    assert len(trend.burn) == 22
    assert trend.burn_times[-1] == at


def test_without_events_every_figure_is_nan_never_zero() -> None:
    n = 8 * 1440
    zeros = np.zeros(n)
    at = START + n * MINUTE
    trend = budget_trend(seven_day_slo(), zeros, zeros, start=START, step=MINUTE, at=at)
    assert np.isnan(trend.budget_remaining).all()
    assert np.isnan(trend.sli).all()
    assert np.isnan(trend.burn).all()


def test_data_younger_than_the_window_keeps_the_budget_full_before_it() -> None:
    # Two days of data for a 7-day window: the first 5 daily points have no events yet.
    n = 2 * 1440
    total = np.full(n, 1000.0)
    bad = np.zeros(n)
    bad[-1] = 1000.0  # the last minute fails entirely: 1000 of 2,880,000 events
    at = START + n * MINUTE
    trend = budget_trend(
        seven_day_slo(),
        total - bad,
        total,
        start=START,
        step=MINUTE,
        at=at,
        points=7,
    )
    assert list(trend.budget_remaining[:6]) == [1.0] * 6
    assert trend.budget_remaining[6] == pytest.approx(1 - 1000 / 2880)


def test_a_calendar_window_burns_down_from_the_start_of_its_period() -> None:
    # 2023-11-15T00:00Z is START; the November window began on the 1st, before the data.
    n = 3 * 1440
    total = np.full(n, 100.0)
    at = START + n * MINUTE
    slo = SLO(name="m", objective=0.99, window=CalendarWindow("month"), sli=RATIO)
    trend = budget_trend(slo, total, total, start=START, step=MINUTE, at=at)
    assert trend.budget_times[-1] == at
    assert trend.budget_times[0] > 1_698_796_800  # after 2023-11-01T00:00Z
    assert (trend.budget_remaining == 1.0).all()


def test_time_slice_slos_burn_down_in_slices_like_their_status() -> None:
    sli = TimeslicesSLI(indicator=RATIO, slice_seconds=300, target=0.95)
    good, total, at = incidents()
    slo = seven_day_slo(sli)
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    trend = budget_trend(slo, good, total, start=START, step=MINUTE, at=at)
    # 6 bad 5-minute slices (the 30 minutes at 10% errors) of 2,016; the last hour's
    # 1% errors keep its slices good.
    assert status.unit == "slices"
    assert trend.budget_remaining[-1] == status.remaining
    assert status.remaining == pytest.approx(1 - 6 / (2016 * 0.001))


def test_an_evaluation_time_off_the_grid_is_an_error() -> None:
    good, total, at = incidents()
    with pytest.raises(EvaluationError, match="not a step edge"):
        budget_trend(seven_day_slo(), good, total, start=START, step=MINUTE, at=at + 30)
    with pytest.raises(EvaluationError, match="at least 2 points"):
        budget_trend(seven_day_slo(), good, total, start=START, step=MINUTE, at=at, points=1)


def test_negative_counts_are_an_error_as_for_the_status() -> None:
    good, total, at = incidents()
    total[5] = -1.0
    with pytest.raises(EvaluationError, match="must not be negative"):
        budget_trend(seven_day_slo(), good, total, start=START, step=MINUTE, at=at)
