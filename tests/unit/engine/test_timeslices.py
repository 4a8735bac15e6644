"""Per-step event counts into per-step slice counts (sloscope.engine.timeslices)."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.engine.timeslices import slice_last_steps, slice_steps, to_timeslices
from sloscope.errors import EvaluationError


def test_a_slice_is_good_when_its_ratio_reaches_the_target() -> None:
    # Two 5-minute slices of 1-minute steps: 99/100 good (target met exactly), 98/100.
    total = np.full(10, 20.0)
    good = np.array([20, 20, 20, 19, 20, 20, 20, 19, 20, 19], dtype=float)
    good_slices, total_slices = to_timeslices(
        good, total, start=0, step=60, slice_seconds=300, target=0.99
    )
    assert total_slices.tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert good_slices.tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_slices_without_events_count_neither_way() -> None:
    total = np.array([0, 0, 5, 0, 0, 0], dtype=float)
    good = np.array([0, 0, 5, 0, 0, 0], dtype=float)
    good_slices, total_slices = to_timeslices(
        good, total, start=0, step=60, slice_seconds=180, target=0.9
    )
    assert total_slices.tolist() == [0, 0, 1, 0, 0, 0]
    assert good_slices.tolist() == [0, 0, 1, 0, 0, 0]


def test_the_last_slice_ends_at_the_grid_end_and_the_first_may_be_partial() -> None:
    # 7 steps, slices of 3: [0], [1..3], [4..6].
    assert slice_last_steps(7, start=0, step=60, slice_seconds=180, end=420).tolist() == [0, 3, 6]
    total = np.ones(7)
    good = np.array([0, 1, 1, 1, 1, 0, 1], dtype=float)
    good_slices, total_slices = to_timeslices(
        good, total, start=0, step=60, slice_seconds=180, target=0.5
    )
    assert total_slices.tolist() == [1, 0, 0, 1, 0, 0, 1]
    # The partial first slice is judged on its one step (0 of 1 good).
    assert good_slices.tolist() == [0, 0, 0, 1, 0, 0, 1]


def test_slices_align_to_a_given_end_and_the_grid_end_closes_a_partial_one() -> None:
    # end after 5 steps: slices [0, 1], [2..4], [5, 6] (the last cut by the grid's end).
    assert slice_last_steps(7, start=0, step=60, slice_seconds=180, end=300).tolist() == [1, 4, 6]
    good_slices, total_slices = to_timeslices(
        np.ones(7), np.ones(7), start=0, step=60, slice_seconds=180, target=1.0, end=300
    )
    assert total_slices.tolist() == [0, 1, 0, 0, 1, 0, 1]
    assert good_slices.tolist() == [0, 1, 0, 0, 1, 0, 1]


def test_a_slice_of_one_step_judges_every_step() -> None:
    good_slices, total_slices = to_timeslices(
        np.array([1.0, 3.0, 0.0]),
        np.array([2.0, 3.0, 0.0]),
        start=0,
        step=60,
        slice_seconds=60,
        target=0.75,
    )
    assert total_slices.tolist() == [1, 1, 0]
    assert good_slices.tolist() == [0, 1, 0]


def test_no_steps_give_no_slices() -> None:
    good_slices, total_slices = to_timeslices(
        np.zeros(0), np.zeros(0), start=0, step=60, slice_seconds=300, target=0.9
    )
    assert good_slices.shape == total_slices.shape == (0,)


def test_a_slice_that_is_not_a_whole_number_of_steps_is_an_evaluation_error() -> None:
    assert slice_steps(300, 60) == 5
    with pytest.raises(EvaluationError, match="90s is not a whole number of 60s steps"):
        slice_steps(90, 60)
    with pytest.raises(EvaluationError, match="must be positive"):
        slice_steps(0, 60)


def test_the_alignment_time_must_be_a_grid_edge() -> None:
    with pytest.raises(EvaluationError, match="not a grid edge"):
        slice_last_steps(5, start=0, step=60, slice_seconds=120, end=90)
