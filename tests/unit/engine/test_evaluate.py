"""One SLO's status at a time and along a range (sloscope.engine.evaluate)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from sloscope.engine.evaluate import (
    FiringAlert,
    evaluate_range,
    evaluate_slo,
    forecast_lookback,
    needed_span,
)
from sloscope.engine.windows import DEFAULT_LOOKBACKS, AlertPolicy, AlertWindow, alert_policy
from sloscope.errors import EvaluationError
from sloscope.spec.model import (
    SLO,
    Alerting,
    CalendarWindow,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
    Window,
)
from sloscope.spec.selectors import parse_selector

MINUTE = 60
HOUR = 3600
DAY = 86400
START = 1_700_006_400  # a midnight (UTC), so day-long grids line up
GOOGLE = alert_policy("google")
RATIO = RatioSLI(
    total=parse_selector('http_requests_total{service="checkout"}'),
    bad=parse_selector('http_requests_total{service="checkout", code=~"5.."}'),
)


def make_slo(
    objective: float = 0.999,
    window: Window | None = None,
    sli: RatioSLI | TimeslicesSLI = RATIO,
    alerting: Alerting | None = None,
) -> SLO:
    return SLO(
        name="availability",
        objective=objective,
        window=window or RollingWindow(30 * DAY),
        sli=sli,
        alerting=alerting or Alerting(),
    )


def minutes(days: float) -> int:
    return int(days * 1440)


def constant(n: int, per_step: float, bad_per_step: float) -> tuple[np.ndarray, np.ndarray]:
    total = np.full(n, per_step)
    return total - bad_per_step, total


def test_a_steady_burn_of_one_spends_exactly_the_budget_of_the_window() -> None:
    # 30 days of 10,000 events/min with 10 bad: error ratio 0.001 = the whole budget.
    n = minutes(30)
    good, total = constant(n, 10_000.0, 10.0)
    at = START + n * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.window_start == START
    assert status.coverage == 1.0
    assert status.total == 432_000_000.0
    assert status.good == 431_568_000.0
    assert status.sli == 0.999
    assert status.consumed == 1.0
    assert status.remaining == 0.0
    assert status.burn_rates == dict.fromkeys(DEFAULT_LOOKBACKS, 1.0)
    # The 3d/6h ticket's factor is exactly 1 and the test is strict: nothing fires.
    assert status.alerts == ()
    assert status.exhaustion_seconds == 0.0
    assert status.unit == "events"
    assert status.error_budget == 0.001


def test_burning_at_144_for_an_hour_spends_2_percent_of_a_30d_budget() -> None:
    n = minutes(30)
    good, total = constant(n, 10_000.0, 0.0)
    good[-60:] -= 144.0
    at = START + n * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.burn_rates[HOUR] == pytest.approx(14.4, rel=1e-12)
    assert status.burn_rates[300] == pytest.approx(14.4, rel=1e-12)
    assert status.consumed == pytest.approx(0.02, rel=1e-12)


def test_the_1h_page_fires_above_144_and_carries_both_burns() -> None:
    n = minutes(30)
    good, total = constant(n, 10_000.0, 0.0)
    good[-60:] -= 150.0
    at = START + n * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert len(status.alerts) == 1
    alert = status.alerts[0]
    assert (alert.severity, alert.long_seconds, alert.short_seconds) == ("page", HOUR, 300)
    assert alert.factor == 14.4
    assert alert.long_burn == pytest.approx(15.0, rel=1e-12)
    assert alert.short_burn == pytest.approx(15.0, rel=1e-12)
    # The 6h window holds the same 9,000 bad events among six times the traffic.
    assert status.burn_rates[6 * HOUR] == pytest.approx(2.5, rel=1e-12)


def test_the_status_lists_every_alert_row_with_its_factor() -> None:
    good, total = constant(10, 1.0, 0.0)
    slo = make_slo(window=RollingWindow(28 * DAY))
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=START + 600, policy=GOOGLE)
    assert [(t.severity, t.long_seconds, t.short_seconds, t.factor) for t in status.alert_rows] == [
        ("page", HOUR, 300, 13.44),
        ("page", 6 * HOUR, 1800, 5.6),
        ("ticket", DAY, 2 * HOUR, 2.8),
        ("ticket", 3 * DAY, 6 * HOUR, 0.9333333333),
    ]


def test_a_28d_slo_pages_at_1344() -> None:
    n = minutes(28)
    good, total = constant(n, 10_000.0, 0.0)
    good[-60:] -= 140.0  # burn 14: above 13.44, below 14.4
    at = START + n * MINUTE
    slo = make_slo(window=RollingWindow(28 * DAY))
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert [(a.severity, a.factor) for a in status.alerts] == [("page", 13.44)]


def test_a_burst_that_ended_stops_the_page_through_the_short_window() -> None:
    n = minutes(30)
    good, total = constant(n, 10_000.0, 0.0)
    good[-60:-10] -= 300.0  # an hour-long window still burns 25, the last 5 minutes none
    at = START + n * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.burn_rates[HOUR] == pytest.approx(25.0, rel=1e-12)
    assert status.burn_rates[300] == 0.0
    assert status.alerts == ()


def test_no_events_give_no_figures_and_no_alerts() -> None:
    n = minutes(2)
    at = START + n * MINUTE
    status = evaluate_slo(
        make_slo(), np.zeros(n), np.zeros(n), start=START, step=MINUTE, at=at, policy=GOOGLE
    )
    assert status.good == 0.0
    assert status.total == 0.0
    assert status.sli is None
    assert status.consumed is None
    assert status.remaining is None
    assert status.burn_rates == dict.fromkeys(DEFAULT_LOOKBACKS)
    assert status.alerts == ()
    assert status.exhaustion_seconds is None
    assert status.coverage == pytest.approx(2 / 30)


def test_zero_length_data_has_no_coverage_and_no_figures() -> None:
    status = evaluate_slo(
        make_slo(), np.zeros(0), np.zeros(0), start=START, step=MINUTE, at=START, policy=GOOGLE
    )
    assert status.coverage == 0.0
    assert (status.good, status.total, status.sli, status.consumed) == (None, None, None, None)
    assert status.window_start == START - 30 * DAY
    assert set(status.burn_rates.values()) == {None}


def test_all_bad_events_burn_at_one_over_the_budget_and_page() -> None:
    n = minutes(1)
    at = START + n * MINUTE
    status = evaluate_slo(
        make_slo(), np.zeros(n), np.full(n, 5.0), start=START, step=MINUTE, at=at, policy=GOOGLE
    )
    assert status.sli == 0.0
    assert status.consumed == 1000.0
    assert status.remaining == -999.0
    assert set(status.burn_rates.values()) == {1000.0}
    assert [a.severity for a in status.alerts] == ["page", "page", "ticket", "ticket"]
    assert status.exhaustion_seconds == 0.0


def test_data_shorter_than_the_window_is_partial_coverage_not_an_error() -> None:
    # One day of data for a 4-day window; 1 bad in 1000 per step.
    n = minutes(1)
    good, total = constant(n, 1000.0, 1.0)
    at = START + n * MINUTE
    slo = make_slo(window=RollingWindow(4 * DAY))
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.coverage == 0.25
    assert status.total == 1_440_000.0
    assert status.consumed == 1.0
    # The 3d lookback is one of the data's single day.
    assert status.burn_rates[3 * DAY] == 1.0


def test_steps_after_the_evaluation_time_are_ignored() -> None:
    n = minutes(1)
    good, total = constant(n, 1000.0, 0.0)
    good[-30:] = 0.0  # a total outage after `at`
    at = START + (n - 30) * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.consumed == 0.0
    assert status.alerts == ()


def test_the_evaluation_time_must_be_a_grid_edge_inside_the_data() -> None:
    good, total = constant(10, 1.0, 0.0)
    with pytest.raises(EvaluationError, match="not a step edge"):
        evaluate_slo(
            make_slo(), good, total, start=START, step=MINUTE, at=START + 90, policy=GOOGLE
        )
    with pytest.raises(EvaluationError, match="outside the data"):
        evaluate_slo(
            make_slo(), good, total, start=START, step=MINUTE, at=START + 11 * MINUTE, policy=GOOGLE
        )
    with pytest.raises(EvaluationError, match="step must be positive"):
        evaluate_slo(make_slo(), good, total, start=START, step=0, at=START, policy=GOOGLE)


def test_a_step_that_does_not_divide_the_alert_windows_is_an_evaluation_error() -> None:
    good, total = constant(10, 1.0, 0.0)
    with pytest.raises(EvaluationError, match="300s is not a whole number of 420s steps"):
        evaluate_slo(make_slo(), good, total, start=START, step=420, at=START + 4200, policy=GOOGLE)


def test_good_and_total_of_different_lengths_are_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="1-d arrays of one length"):
        evaluate_slo(
            make_slo(),
            np.ones(20),
            np.ones(10),
            start=START,
            step=MINUTE,
            at=START + 600,
            policy=GOOGLE,
        )
    with pytest.raises(EvaluationError, match="1-d arrays of one length"):
        evaluate_range(
            make_slo(), np.ones(20), np.ones(10), start=START, step=MINUTE, policy=GOOGLE
        )


def test_negative_counts_are_an_evaluation_error() -> None:
    good, total = constant(10, 1.0, 0.0)
    total[3] = -1.0
    with pytest.raises(EvaluationError, match="must not be negative"):
        evaluate_slo(
            make_slo(), good, total, start=START, step=MINUTE, at=START + 600, policy=GOOGLE
        )


def test_a_90_percent_slo_lists_the_page_it_can_never_fire() -> None:
    good, total = constant(60, 1.0, 0.0)
    at = START + 60 * MINUTE
    slo = make_slo(objective=0.9)
    status = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert [(t.severity, t.long_seconds, t.factor) for t in status.unreachable_alerts] == [
        ("page", HOUR, 14.4)
    ]


def test_an_slo_with_alerting_disabled_evaluates_no_alert_rows() -> None:
    n = minutes(1)
    at = START + n * MINUTE
    slo = make_slo(objective=0.9, alerting=Alerting(enabled=False))
    status = evaluate_slo(
        slo, np.zeros(n), np.full(n, 5.0), start=START, step=MINUTE, at=at, policy=GOOGLE
    )
    assert status.alerts == ()
    assert status.alert_rows == ()
    assert status.unreachable_alerts == ()
    assert status.consumed == 10.0


def test_good_above_total_is_reported_as_excess() -> None:
    good, total = constant(10, 100.0, 0.0)
    good[4] = 105.0
    at = START + 10 * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.excess_good == 5.0
    assert status.good == 1005.0
    assert status.sli == 1.0
    assert status.consumed == 0.0


def test_half_a_budget_left_at_a_steady_3d_burn_of_half_lasts_a_window() -> None:
    # Error ratio 0.0005 everywhere: consumed 0.5; the forecast uses the 3d burn, 0.5.
    n = minutes(30)
    good, total = constant(n, 2000.0, 1.0)
    at = START + n * MINUTE
    status = evaluate_slo(make_slo(), good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
    assert status.forecast_lookback == 3 * DAY
    assert status.remaining == pytest.approx(0.5, rel=1e-12)
    assert status.exhaustion_seconds == pytest.approx(30 * DAY, rel=1e-12)


def test_the_forecast_lookback_is_the_longest_long_window_that_fits_the_slo() -> None:
    assert forecast_lookback(GOOGLE, 28 * DAY) == 3 * DAY
    assert forecast_lookback(GOOGLE, 2 * DAY) == DAY
    assert forecast_lookback(GOOGLE, 30 * MINUTE) == HOUR


def test_a_calendar_month_sums_from_local_midnight_on_the_first() -> None:
    # Hourly steps from 2024-03-01T00:00Z to 2024-04-10T00:00Z, 100 events each.
    start = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
    at = int(datetime(2024, 4, 10, tzinfo=UTC).timestamp())
    n = (at - start) // HOUR
    good, total = constant(n, 100.0, 0.0)
    good[-1] = 90.0
    slo = make_slo(objective=0.99, window=CalendarWindow("month", "Europe/Berlin"))
    hourly = AlertPolicy("hourly", (AlertWindow("page", 2, 6 * HOUR, HOUR),))
    status = evaluate_slo(
        slo, good, total, start=start, step=HOUR, at=at, policy=hourly, lookbacks=(HOUR, DAY)
    )
    # April began 2024-03-31T22:00Z: 2 hours of March 31 (UTC) and 9 days.
    assert status.window_start == int(datetime(2024, 3, 31, 22, tzinfo=UTC).timestamp())
    assert status.total == 100.0 * (2 + 9 * 24)
    assert status.good == 100.0 * (2 + 9 * 24) - 10.0
    assert status.coverage == 1.0
    # 10 bad of 100 in the last hour burn 10; over 6h, 10 of 600 burn 1.67. A month's
    # nominal 30 days give the factor: 2% * 30d / 6h = 2.4, so nothing fires.
    assert status.burn_rates[HOUR] == pytest.approx(10.0, rel=1e-12)
    assert status.burn_rates[DAY] == pytest.approx(10 / 2400 / 0.01, rel=1e-12)
    assert status.alerts == ()
    assert status.forecast_lookback == 6 * HOUR
    # The forecast runs against April's real length (30 days) at the 6h burn of 10/6.
    consumed = 10.0 / 21_800.0 / 0.01
    assert status.consumed == pytest.approx(consumed, rel=1e-12)
    assert status.exhaustion_seconds == pytest.approx(
        (1 - consumed) * 30 * DAY / (10 / 6), rel=1e-9
    )


def test_a_timeslices_slo_counts_good_slices() -> None:
    # Ten 5-minute slices; slices 3 and 7 fall below 95% good.
    total = np.full(50, 20.0)
    good = total.copy()
    good[14] = 0.0  # slice 3: 80 of 100
    good[34] = 10.0  # slice 7: 90 of 100
    sli = TimeslicesSLI(indicator=RATIO, slice_seconds=300, target=0.95)
    slo = make_slo(objective=0.9, window=RollingWindow(DAY), sli=sli)
    status = evaluate_slo(
        slo, good, total, start=START, step=MINUTE, at=START + 50 * MINUTE, policy=GOOGLE
    )
    assert status.unit == "slices"
    assert (status.good, status.total) == (8.0, 10.0)
    assert status.sli == 0.8
    assert status.consumed == 2.0


def test_range_evaluation_gives_burns_and_firing_at_every_step_of_the_range() -> None:
    # Two days of steady traffic, then an hour-long outage of half the requests.
    n = minutes(2) + 120
    good, total = constant(n, 1000.0, 0.0)
    good[-120:-60] = 500.0
    result = evaluate_range(
        make_slo(),
        good,
        total,
        start=START,
        step=MINUTE,
        policy=GOOGLE,
        range_start=START + minutes(2) * MINUTE,
    )
    assert result.timestamps[0] == START + (minutes(2) + 1) * MINUTE
    assert result.timestamps.shape == (120,)
    assert result.lookbacks == DEFAULT_LOOKBACKS
    assert result.burn.shape == (7, 120)
    assert result.burn_rates(300)[4] == 500.0
    page_1h = result.conditions[0]
    assert page_1h.threshold.factor == 14.4
    # The 1h burn passes 14.4 at the second bad minute (2 * 500 / 60,000 / 0.001 = 16.7);
    # the 5m window holds the last bad minute (column 59) through column 63.
    firing = np.flatnonzero(page_1h.firing)
    assert (firing[0], firing[-1]) == (1, 63)
    assert result.counts.steps == n


def test_range_evaluation_agrees_bitwise_with_evaluate_slo_at_every_step() -> None:
    rng = np.random.default_rng(3)
    n = 600
    total = rng.poisson(50, n).astype(float)
    good = total - rng.binomial(total.astype(int), rng.uniform(0, 0.05, n))
    good[::37] += 2.0  # scrape skew: good above total in some steps
    policy = AlertPolicy("small", (AlertWindow("page", 5, 1800, 300),))
    slo = make_slo(objective=0.99, window=RollingWindow(DAY))
    lookbacks = (300, 1800, 3600)
    result = evaluate_range(
        slo, good, total, start=START, step=MINUTE, policy=policy, lookbacks=lookbacks
    )
    for i in range(0, n, 7):
        at = START + (i + 1) * MINUTE
        status = evaluate_slo(
            slo, good, total, start=START, step=MINUTE, at=at, policy=policy, lookbacks=lookbacks
        )
        for j, seconds in enumerate(lookbacks):
            value = status.burn_rates[seconds]
            assert result.burn[j, i] == value if value is not None else np.isnan(result.burn[j, i])
        assert result.conditions[0].firing[i] == bool(status.alerts)


def test_firing_alert_is_a_plain_value() -> None:
    assert FiringAlert("page", 3600, 300, 14.4, 20.0, 30.0) == FiringAlert(
        "page", 3600, 300, 14.4, 20.0, 30.0
    )


def test_the_span_of_a_28_day_slo_reaches_its_window_start_and_is_fine_for_3_days() -> None:
    at = START + 40 * DAY
    span = needed_span(make_slo(window=RollingWindow(28 * DAY)), at, step=MINUTE, policy=GOOGLE)
    assert (span.begin, span.fine_since, span.end, span.step) == (
        at - 28 * DAY,
        at - 3 * DAY,
        at,
        MINUTE,
    )


def test_the_span_of_a_window_shorter_than_a_lookback_reaches_back_the_lookback() -> None:
    at = START + 40 * DAY
    span = needed_span(make_slo(window=RollingWindow(DAY)), at, step=MINUTE, policy=GOOGLE)
    assert span.begin == at - 3 * DAY


def test_the_span_is_fine_only_as_far_as_the_longest_lookback_the_evaluation_reads() -> None:
    # Alert windows 1h/5m; shown burn rates 5m and 1h; the forecast reads the 1h burn.
    short = AlertPolicy("short", (AlertWindow("page", 2, HOUR, 5 * MINUTE),))
    at = START + 40 * DAY
    span = needed_span(make_slo(), at, step=MINUTE, policy=short, lookbacks=(300, 3600))
    assert span.fine_since == at - HOUR
    assert span.begin == at - 30 * DAY


def test_the_span_of_a_calendar_month_starts_on_a_step_edge_before_local_midnight() -> None:
    # Kolkata is UTC+5:30: March begins at 2024-02-29T18:30Z, between two hourly steps.
    hourly = AlertPolicy("hourly", (AlertWindow("ticket", 10, 2 * HOUR, HOUR),))
    at = int(datetime(2024, 3, 15, 12, tzinfo=UTC).timestamp())
    slo = make_slo(window=CalendarWindow("month", "Asia/Kolkata"))
    span = needed_span(slo, at, step=HOUR, policy=hourly, lookbacks=(HOUR,))
    assert span.begin == int(datetime(2024, 2, 29, 18, tzinfo=UTC).timestamp())
    assert span.fine_since == at - 2 * HOUR


def test_a_step_that_does_not_divide_a_lookback_is_refused_before_any_fetch() -> None:
    with pytest.raises(EvaluationError, match="300"):
        needed_span(make_slo(), START + 40 * DAY, step=7 * MINUTE, policy=GOOGLE)


def test_counts_of_the_span_alone_give_the_status_of_the_whole_history() -> None:
    rng = np.random.default_rng(11)
    n = minutes(40)
    total = rng.poisson(100, n).astype(float)
    good = total - rng.binomial(total.astype(int), 0.003)
    at = START + n * MINUTE
    for window in (RollingWindow(28 * DAY), CalendarWindow("month", "Europe/Berlin")):
        slo = make_slo(window=window)
        span = needed_span(slo, at, step=MINUTE, policy=GOOGLE)
        first = (span.begin - START) // MINUTE
        whole = evaluate_slo(slo, good, total, start=START, step=MINUTE, at=at, policy=GOOGLE)
        cut = evaluate_slo(
            slo, good[first:], total[first:], start=span.begin, step=MINUTE, at=at, policy=GOOGLE
        )
        assert cut == whole
