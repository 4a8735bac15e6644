"""Cumulative sums and window sums on the step grid (sloscope.engine.counts)."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.engine.counts import (
    check_counts,
    cumulative,
    lookback_steps,
    rolling_sums,
    rolling_sums_many,
)
from sloscope.errors import EvaluationError


def cum_of(values: list[float]) -> np.ndarray:
    return np.concatenate(([0.0], np.cumsum(values)))


def test_rolling_sums_add_the_last_steps_and_are_partial_before_the_grid() -> None:
    sums = rolling_sums(cum_of([1, 2, 3, 4, 5]), 2)
    assert sums.tolist() == [1, 3, 5, 7, 9]


def test_rolling_sums_from_a_first_step_use_earlier_steps_as_history() -> None:
    sums = rolling_sums(cum_of([1, 2, 3, 4, 5]), 3, first=2)
    assert sums.tolist() == [6, 9, 12]


def test_a_lookback_longer_than_the_data_sums_everything_there_is() -> None:
    sums = rolling_sums(cum_of([1, 2, 3, 4, 5]), 10)
    assert sums.tolist() == [1, 3, 6, 10, 15]


def test_rolling_sums_of_no_steps_are_empty() -> None:
    assert rolling_sums(np.zeros(1), 5).shape == (0,)


def test_rolling_sums_many_give_one_row_per_lookback() -> None:
    sums = rolling_sums_many(cum_of([1, 2, 3, 4]), [1, 2, 4])
    assert sums.tolist() == [[1, 2, 3, 4], [1, 3, 5, 7], [1, 3, 6, 10]]


def test_rolling_sums_reject_an_empty_window_and_a_first_step_past_the_grid() -> None:
    with pytest.raises(EvaluationError, match="at least one step"):
        rolling_sums(cum_of([1, 2]), 0)
    with pytest.raises(EvaluationError, match="outside the grid"):
        rolling_sums(cum_of([1, 2]), 1, first=3)


def test_lookback_steps_divides_seconds_by_the_step() -> None:
    assert lookback_steps(3600, 60) == 60
    assert lookback_steps(300, 300) == 1


def test_a_lookback_that_is_not_a_whole_number_of_steps_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match=r"300s is not a whole number of 420s steps.*60s"):
        lookback_steps(300, 420)
    with pytest.raises(EvaluationError, match="positive"):
        lookback_steps(0, 60)


def test_cumulative_keeps_total_and_bad_with_a_leading_zero() -> None:
    cum = cumulative(np.array([9.0, 10.0, 7.0]), np.array([10.0, 10.0, 10.0]), start=0, step=60)
    assert cum.total.tolist() == [0, 10, 20, 30]
    assert cum.bad.tolist() == [0, 1, 1, 4]
    assert cum.steps == 3
    assert cum.end == 180
    assert cum.timestamps.tolist() == [60, 120, 180]


def test_a_window_counts_the_steps_whose_right_edges_lie_inside_it() -> None:
    # Right edges 1060, 1120, 1180, 1240.
    good = np.array([1.0, 2.0, 3.0, 4.0])
    total = np.array([10.0, 20.0, 30.0, 40.0])
    cum = cumulative(good, total, start=1000, step=60)
    assert cum.window(1060, 1240) == (9.0, 90.0)
    # Times between edges: (1090, 1240] holds the edges 1120, 1180 and 1240.
    assert cum.window(1090, 1240) == (9.0, 90.0)
    assert cum.window(1059, 1120) == (3.0, 30.0)
    # Before and after the grid nothing is counted.
    assert cum.window(0, 1120) == (3.0, 30.0)
    assert cum.window(1240, 5000) == (0.0, 0.0)
    assert cum.window(1180, 1120) == (0.0, 0.0)


def test_a_window_without_events_after_large_counts_sums_to_exactly_zero() -> None:
    rng = np.random.default_rng(7)
    total = np.concatenate((rng.uniform(0, 1e9, 1000), np.zeros(10)))
    good = total * rng.uniform(0.9, 1.0, 1010)
    good[-10:] = 0.0
    cum = cumulative(good, total, start=0, step=1)
    assert cum.window(1000, 1010) == (0.0, 0.0)
    assert rolling_sums(cum.total, 10)[-1] == 0.0


def test_counts_must_be_finite_non_negative_and_of_one_shape() -> None:
    with pytest.raises(EvaluationError, match="NaN or infinite"):
        check_counts(np.array([1.0, np.nan]), np.array([1.0, 1.0]))
    with pytest.raises(EvaluationError, match="NaN or infinite"):
        check_counts(np.array([1.0, 1.0]), np.array([1.0, np.inf]))
    with pytest.raises(EvaluationError, match="must not be negative"):
        check_counts(np.array([1.0, 1.0]), np.array([1.0, -1.0]))
    with pytest.raises(EvaluationError, match="1-d arrays of one length"):
        check_counts(np.array([1.0]), np.array([1.0, 1.0]))
    with pytest.raises(EvaluationError, match="step must be positive"):
        cumulative(np.array([1.0]), np.array([1.0]), start=0, step=0)


def test_empty_counts_are_valid() -> None:
    cum = cumulative(np.zeros(0), np.zeros(0), start=600, step=60)
    assert cum.steps == 0
    assert cum.window(0, 600) == (0.0, 0.0)
