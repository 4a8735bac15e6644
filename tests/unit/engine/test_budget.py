"""SLI and error budget figures (sloscope.engine.budget) and the forecast."""

from __future__ import annotations

import math

import pytest

from sloscope.engine.budget import (
    bad_events,
    consumed,
    error_budget,
    error_ratio,
    excess_good,
    remaining,
    sli,
)
from sloscope.engine.forecast import exhaustion_seconds

DAY = 86400


def test_the_error_budget_has_no_float_artefact_of_subtracting_from_one() -> None:
    assert 1 - 0.999 != 0.001  # the artefact this guards against
    assert error_budget(0.999) == 0.001
    assert error_budget(99.9 / 100) == 0.001
    assert error_budget(0.99) == 0.01
    assert error_budget(0.9995) == 0.0005


@pytest.mark.parametrize("objective", [0.0, 1.0, 99.9, -0.5])
def test_an_objective_outside_zero_and_one_is_rejected(objective: float) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        error_budget(objective)


def test_a_999_slo_with_1000_bad_of_a_million_consumed_exactly_its_budget() -> None:
    assert consumed(good=999_000.0, total=1_000_000.0, objective=0.999) == 1.0
    assert remaining(good=999_000.0, total=1_000_000.0, objective=0.999) == 0.0
    assert sli(999_000.0, 1_000_000.0) == 0.999


def test_half_the_bad_events_consume_half_the_budget() -> None:
    assert consumed(good=999_500.0, total=1_000_000.0, objective=0.999) == 0.5
    assert remaining(good=999_500.0, total=1_000_000.0, objective=0.999) == 0.5


def test_an_overspent_budget_has_negative_remaining() -> None:
    assert consumed(good=998_000.0, total=1_000_000.0, objective=0.999) == 2.0
    assert remaining(good=998_000.0, total=1_000_000.0, objective=0.999) == -1.0


def test_all_bad_events_consume_one_over_the_budget() -> None:
    assert sli(0.0, 1000.0) == 0.0
    assert error_ratio(0.0, 1000.0) == 1.0
    assert consumed(0.0, 1000.0, 0.99) == 100.0
    assert remaining(0.0, 1000.0, 0.99) == -99.0


def test_no_events_give_no_figures_not_zero() -> None:
    assert sli(0.0, 0.0) is None
    assert error_ratio(0.0, 0.0) is None
    assert consumed(0.0, 0.0, 0.999) is None
    assert remaining(0.0, 0.0, 0.999) is None


def test_good_above_total_is_clipped_and_reported_as_excess() -> None:
    assert bad_events(good=105.0, total=100.0) == 0.0
    assert sli(105.0, 100.0) == 1.0
    assert consumed(105.0, 100.0, 0.99) == 0.0
    assert excess_good(105.0, 100.0) == 5.0
    assert excess_good(95.0, 100.0) == 0.0


def test_half_a_28d_budget_at_burn_two_lasts_seven_days() -> None:
    assert exhaustion_seconds(0.5, 2.0, 28 * DAY) == 7 * DAY


def test_a_spent_budget_is_exhausted_now() -> None:
    assert exhaustion_seconds(0.0, 3.0, 30 * DAY) == 0.0
    assert exhaustion_seconds(-0.2, None, 30 * DAY) == 0.0


@pytest.mark.parametrize("burn", [None, 0.0, math.nan])
def test_without_a_burn_the_budget_never_runs_out(burn: float | None) -> None:
    assert exhaustion_seconds(0.4, burn, 30 * DAY) is None


def test_without_events_there_is_no_forecast() -> None:
    assert exhaustion_seconds(None, 2.0, 30 * DAY) is None
