"""Times as users write them: ``--at``, ``--from`` and ``--to``."""

from __future__ import annotations

import pytest

from sloscope.timeparse import LATEST, format_time, parse_time


def test_rfc3339_unix_seconds_and_now_parse_to_the_same_second() -> None:
    assert parse_time("2026-11-20T12:00:00Z", now=0) == 1_795_176_000
    assert parse_time("2026-11-20T13:00:00+01:00", now=0) == 1_795_176_000
    assert parse_time("1795176000", now=0) == 1_795_176_000
    assert parse_time("now", now=1_795_176_000.7) == 1_795_176_000


def test_the_range_runs_from_the_epoch_to_the_start_of_year_9999() -> None:
    assert parse_time("1970-01-01", now=0) == 0
    assert parse_time("9998-12-31T23:59:59Z", now=0) == LATEST - 1
    assert format_time(LATEST) == "9999-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "text", ["9999-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "0001-01-01", "1969-12-31T23:59:59Z"]
)
def test_times_outside_the_range_are_refused_with_the_range(text: str) -> None:
    with pytest.raises(ValueError, match="out of range; give a time between 1970-01-01T00:00:00Z"):
        parse_time(text, now=0)
