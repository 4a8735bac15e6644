"""How figures read in the table, Markdown and HTML reports."""

from __future__ import annotations

import pytest

from sloscope.report.text import NO_DATA, burn, duration_words, percent


@pytest.mark.parametrize(
    ("fraction", "digits", "text"),
    [
        (0.99942, 3, "99.942%"),
        (0.999, 4, "99.9%"),
        (0.5, 1, "50%"),
        (1.0, 3, "100%"),
        (0.999996, 3, "99.9996%"),
        (0.9999999991, 3, "99.9999999%"),
        (-0.25, 1, "-25%"),
        (None, 3, NO_DATA),
    ],
)
def test_percent_never_rounds_a_miss_up_to_100(
    fraction: float | None, digits: int, text: str
) -> None:
    assert percent(fraction, digits) == text


@pytest.mark.parametrize(
    ("rate", "text"), [(0.0, "0.00x"), (1.234, "1.23x"), (250.4, "250x"), (None, NO_DATA)]
)
def test_burn_rates_read_as_multiples(rate: float | None, text: str) -> None:
    assert burn(rate) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, NO_DATA),
        (0, "now"),
        (59, "1m"),
        (35 * 60, "35m"),
        (3600, "1h"),
        (3 * 3600 + 120, "3h 2m"),
        (2 * 86400 + 4 * 3600, "2d 4h"),
        (86400, "1d"),
    ],
)
def test_durations_read_in_the_largest_units(seconds: float | None, text: str) -> None:
    assert duration_words(seconds) == text
