"""Where SLO windows start: rolling and calendar, DST-correct (sloscope.engine.calendar)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sloscope.engine.calendar import calendar_end, calendar_start, window_length, window_start
from sloscope.errors import EvaluationError
from sloscope.spec.model import CalendarWindow, RollingWindow

HOUR = 3600
DAY = 86400


def utc(text: str) -> int:
    """Unix seconds of a UTC time written ``YYYY-MM-DDTHH:MM:SS``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_a_rolling_window_starts_its_length_before_the_evaluation_time() -> None:
    assert window_start(RollingWindow(28 * DAY), 10 * 28 * DAY) == 9 * 28 * DAY
    assert window_length(RollingWindow(28 * DAY), 123) == 28 * DAY


def test_a_utc_month_starts_at_midnight_on_the_first() -> None:
    assert calendar_start("month", "UTC", utc("2024-02-29T13:00:00")) == utc("2024-02-01T00:00:00")
    assert calendar_end("month", "UTC", utc("2024-02-29T13:00:00")) == utc("2024-03-01T00:00:00")


def test_a_week_starts_on_monday() -> None:
    # 2024-05-16 is a Thursday; 2024-05-13 the Monday before.
    assert calendar_start("week", "UTC", utc("2024-05-16T08:00:00")) == utc("2024-05-13T00:00:00")
    # On Monday itself the week began that midnight; on Sunday night it is still the old week.
    assert calendar_start("week", "UTC", utc("2024-05-13T00:00:01")) == utc("2024-05-13T00:00:00")
    assert calendar_start("week", "UTC", utc("2024-05-12T23:59:59")) == utc("2024-05-06T00:00:00")


def test_a_berlin_month_after_the_march_change_starts_at_midnight_winter_time() -> None:
    # Clocks went from 02:00 CET to 03:00 CEST on 2024-03-31; March began at 00:00 CET.
    at = utc("2024-03-31T12:00:00")
    assert calendar_start("month", "Europe/Berlin", at) == utc("2024-02-29T23:00:00")
    assert calendar_end("month", "Europe/Berlin", at) == utc("2024-03-31T22:00:00")
    # March 2024 in Berlin is 31 days less the hour that was skipped.
    assert window_length(CalendarWindow("month", "Europe/Berlin"), at) == 31 * DAY - HOUR


def test_a_berlin_month_in_summer_time_starts_at_midnight_summer_time() -> None:
    at = utc("2024-04-15T12:00:00")
    assert calendar_start("month", "Europe/Berlin", at) == utc("2024-03-31T22:00:00")


def test_a_berlin_week_across_the_october_change_is_one_hour_longer() -> None:
    # Clocks went back from 03:00 CEST to 02:00 CET on Sunday 2024-10-27.
    at = utc("2024-10-27T12:00:00")
    assert calendar_start("week", "Europe/Berlin", at) == utc("2024-10-20T22:00:00")
    assert calendar_end("week", "Europe/Berlin", at) == utc("2024-10-27T23:00:00")
    assert window_length(CalendarWindow("week", "Europe/Berlin"), at) == 7 * DAY + HOUR


def test_a_berlin_quarter_boundary_is_local_midnight() -> None:
    # Q3 began 2024-07-01 00:00 CEST = 2024-06-30T22:00Z.
    assert calendar_start("quarter", "Europe/Berlin", utc("2024-06-30T22:01:00")) == utc(
        "2024-06-30T22:00:00"
    )
    assert calendar_start("quarter", "Europe/Berlin", utc("2024-06-30T21:59:00")) == utc(
        "2024-03-31T22:00:00"
    )
    # Q1 began 2024-01-01 00:00 CET.
    assert calendar_start("quarter", "Europe/Berlin", utc("2024-02-10T00:00:00")) == utc(
        "2023-12-31T23:00:00"
    )
    assert calendar_end("quarter", "Europe/Berlin", utc("2024-11-10T00:00:00")) == utc(
        "2024-12-31T23:00:00"
    )


def test_evaluated_exactly_at_a_period_boundary_the_period_that_just_ended_is_used() -> None:
    boundary = utc("2024-06-30T22:00:00")  # 2024-07-01 00:00 in Berlin
    assert calendar_start("quarter", "Europe/Berlin", boundary) == utc("2024-03-31T22:00:00")
    assert calendar_start("month", "Europe/Berlin", boundary) == utc("2024-05-31T22:00:00")
    window = CalendarWindow("month", "Europe/Berlin")
    assert window_start(window, boundary) == utc("2024-05-31T22:00:00")


def test_a_month_whose_midnight_does_not_exist_starts_when_the_day_does() -> None:
    # Asunción skipped 2023-10-01 00:00-01:00 (-04 to -03): October began at 04:00Z.
    at = utc("2023-10-15T12:00:00")
    assert calendar_start("month", "America/Asuncion", at) == utc("2023-10-01T04:00:00")


def test_a_month_whose_midnight_happens_twice_starts_at_the_first() -> None:
    # Havana repeated 2020-11-01 00:00-01:00 (-04 then -05): November began at 04:00Z.
    at = utc("2020-11-10T12:00:00")
    assert calendar_start("month", "America/Havana", at) == utc("2020-11-01T04:00:00")


def test_an_unknown_time_zone_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match=r"unknown time zone 'Mars/Olympus'.*IANA"):
        calendar_start("month", "Mars/Olympus", 0)
