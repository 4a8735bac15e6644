"""Burn rates and multi-window multi-burn-rate alert conditions (sloscope.engine.burn)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sloscope.engine.burn import (
    AlertThreshold,
    alert_thresholds,
    burn_matrix,
    burn_rate,
    firing_conditions,
    firing_spans,
    max_burn_rate,
)
from sloscope.engine.counts import cumulative
from sloscope.engine.windows import AlertPolicy, AlertWindow, alert_policy
from sloscope.errors import EvaluationError

DAY = 86400
GOOGLE = alert_policy("google")


def test_the_sre_workbook_factors_for_a_30d_slo() -> None:
    factors = [t.factor for t in alert_thresholds(GOOGLE, 30 * DAY)]
    assert factors == [14.4, 6.0, 3.0, 1.0]


def test_a_28d_slo_pages_at_1344_not_144() -> None:
    factors = [t.factor for t in alert_thresholds(GOOGLE, 28 * DAY)]
    assert factors == [13.44, 5.6, 2.8, 0.9333333333]


def test_a_burn_rate_is_the_error_ratio_over_the_budget() -> None:
    assert burn_rate(good=986.0, total=1000.0, objective=0.999) == 14.0
    assert burn_rate(good=9990.0, total=10000.0, objective=0.999) == 1.0
    assert burn_rate(good=0.0, total=10.0, objective=0.999) == 1000.0
    assert burn_rate(good=0.0, total=0.0, objective=0.999) is None


def test_the_highest_burn_rate_is_one_over_the_budget() -> None:
    assert max_burn_rate(0.999) == 1000.0
    assert max_burn_rate(0.9) == 10.0


def test_a_90_percent_slo_can_never_fire_the_1h_page() -> None:
    thresholds = alert_thresholds(GOOGLE, 30 * DAY)
    assert [t.can_fire(0.9) for t in thresholds] == [False, True, True, True]
    assert all(t.can_fire(0.999) for t in thresholds)


def test_a_factor_equal_to_the_highest_burn_cannot_fire_because_the_test_is_strict() -> None:
    threshold = AlertThreshold(AlertWindow("page", 50, 3600, 300), factor=10.0)
    assert not threshold.can_fire(0.9)
    assert threshold.can_fire(0.95)


def test_burn_matrix_gives_every_lookback_at_every_step() -> None:
    # 99% objective, step 60s; errors: 1 of 10 in step 2, 5 of 10 in step 3.
    total = np.array([10.0, 10.0, 10.0, 10.0])
    good = np.array([10.0, 9.0, 5.0, 10.0])
    cum = cumulative(good, total, start=0, step=60)
    burn = burn_matrix(cum, [60, 120], 0.99)
    assert burn[0] == pytest.approx([0.0, 10.0, 50.0, 0.0], rel=1e-12)
    assert burn[1] == pytest.approx([0.0, 5.0, 30.0, 25.0], rel=1e-12)


def test_burn_matrix_from_a_first_step_keeps_earlier_steps_as_history() -> None:
    total = np.array([10.0, 10.0, 10.0, 10.0])
    good = np.array([10.0, 9.0, 5.0, 10.0])
    cum = cumulative(good, total, start=0, step=60)
    burn = burn_matrix(cum, [120], 0.99, first=2)
    assert burn.shape == (1, 2)
    assert burn[0] == pytest.approx([30.0, 25.0], rel=1e-12)


def test_lookbacks_without_events_have_no_burn_rate() -> None:
    total = np.array([0.0, 10.0, 0.0, 0.0])
    good = np.array([0.0, 0.0, 0.0, 0.0])
    cum = cumulative(good, total, start=0, step=60)
    burn = burn_matrix(cum, [60, 180], 0.9)
    assert math.isnan(burn[0, 0])
    assert burn[0, 1] == 10.0
    assert np.isnan(burn[0, 2:]).all()
    assert math.isnan(burn[1, 0])
    assert burn[1, 1:].tolist() == [10.0, 10.0, 10.0]


def test_good_above_total_in_a_lookback_is_no_burn_not_a_negative_one() -> None:
    cum = cumulative(np.array([12.0, 10.0]), np.array([10.0, 10.0]), start=0, step=60)
    assert burn_matrix(cum, [60, 120], 0.99).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_burn_matrix_rejects_a_lookback_that_is_not_a_whole_number_of_steps() -> None:
    cum = cumulative(np.ones(5), np.ones(5), start=0, step=60)
    with pytest.raises(EvaluationError, match="90s is not a whole number of 60s steps"):
        burn_matrix(cum, [90], 0.99)


def test_an_alert_fires_only_while_both_windows_burn_strictly_faster_than_its_factor() -> None:
    policy = AlertPolicy("t", (AlertWindow("page", 2, 3600, 300),))
    threshold = alert_thresholds(policy, 30 * DAY)[0]  # factor 14.4
    long_burn = [20.0, 20.0, 14.4, 20.0, math.nan, 10.0]
    short_burn = [20.0, 14.4, 20.0, 14.5, 20.0, 20.0]
    burn = np.array([short_burn, long_burn])
    (condition,) = firing_conditions(burn, [300, 3600], [threshold])
    assert condition.threshold is threshold
    assert condition.firing.tolist() == [True, False, False, True, False, False]


def test_firing_conditions_need_every_window_of_the_policy_in_the_matrix() -> None:
    thresholds = alert_thresholds(GOOGLE, 30 * DAY)
    with pytest.raises(EvaluationError, match=r"no 3600s lookback.*page alert \(1h/5m\)"):
        firing_conditions(np.zeros((1, 3)), [300], thresholds)


def test_firing_spans_are_the_first_and_last_firing_times_of_each_run() -> None:
    times = np.array([60, 120, 180, 240, 300, 360])
    firing = np.array([True, True, False, True, False, True])
    assert firing_spans(firing, times) == [(60, 120), (240, 240), (360, 360)]


def test_firing_spans_of_no_firing_and_of_all_firing() -> None:
    times = np.array([60, 120, 180])
    assert firing_spans(np.zeros(3, dtype=bool), times) == []
    assert firing_spans(np.ones(3, dtype=bool), times) == [(60, 180)]
    assert firing_spans(np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)) == []


def test_firing_spans_need_one_timestamp_per_step() -> None:
    with pytest.raises(EvaluationError, match="one length"):
        firing_spans(np.ones(3, dtype=bool), np.array([60, 120]))
