"""Sparklines and block charts of the trend, on fixed scales."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from tests.unit.report.report_sample import sample_report

from sloscope.report.chart import column_chart
from sloscope.report.model import Report
from sloscope.report.sparkline import (
    budget_level,
    burn_level,
    legend,
    peak_per_group,
    sample_levels,
)


@pytest.mark.parametrize(
    ("remaining", "block"),
    [(1.0, "█"), (0.9, "█"), (0.875, "▇"), (0.5, "▄"), (0.13, "▂"), (0.125, "▁"), (-2.0, "▁")],
)
def test_budget_levels_are_eighths_of_the_whole_budget(remaining: float, block: str) -> None:
    assert budget_level(remaining) == block


@pytest.mark.parametrize(
    ("rate", "block"),
    [
        (0.0, "▁"),
        (0.125, "▂"),
        (0.3, "▃"),
        (0.99, "▄"),
        (1.0, "▅"),
        (2.0, "▆"),
        (4.0, "▇"),
        (8.0, "█"),
        (500.0, "█"),
    ],
)
def test_each_burn_level_doubles_and_1x_is_the_fifth(rate: float, block: str) -> None:
    assert burn_level(rate) == block


def test_no_events_is_a_dot_not_the_lowest_block() -> None:
    assert budget_level(math.nan) == "·"
    assert burn_level(math.nan) == "·"


def test_levels_are_sampled_evenly_and_keep_the_last_value() -> None:
    values = np.arange(1.0, 11.0)  # 1..10
    assert list(sample_levels(values, 5)) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert list(sample_levels(values, 20)) == list(values)


def test_a_spike_survives_when_burns_are_grouped() -> None:
    rates = np.array([0.1, 9.0, 0.2, 0.3, math.nan, math.nan])
    grouped = peak_per_group(rates, 3)
    assert list(grouped[:2]) == [9.0, 0.3]
    assert math.isnan(grouped[2])


def test_a_column_chart_fills_eighths_from_the_bottom() -> None:
    rows = column_chart([0.0, 0.5, 1.0, math.nan], low=0.0, high=1.0, height=2, label=str)
    # Height 2 is 16 eighths: 0.5 fills the bottom row, 1.0 both; NaN is a dot.
    assert rows == ["1.0 ┤  █ ", "0.0 ┤ ██·"]


def test_the_legend_names_the_hours_a_character_covers_only_when_it_knows_them() -> None:
    empty = Report(at=1_795_176_000, step=60, source="embedded", results=())
    assert legend(empty)[1] == "Burn last 1d: ▅ 1x, each level doubles; · no events."


def test_two_hours_a_character_for_hourly_burns_over_twelve_characters(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    assert legend(report)[1].startswith("Burn last 1d: 2h a character, ▅ 1x")
