"""Budget adjustments: one-off and recurring excluded periods (sloscope.alerting.adjustments)."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.alerting.adjustments import Adjustment, excluded_steps, zero_excluded

SUNDAY_2AM = 1_793_498_400  # 2026-11-01T02:00:00Z, a Sunday
WEEK = 7 * 86400


def test_a_weekly_rrule_repeats_the_period_every_week() -> None:
    a = Adjustment.create(
        start=SUNDAY_2AM, duration=3600, reason="db", rrule="FREQ=WEEKLY;BYDAY=SU"
    )
    periods = a.periods(SUNDAY_2AM + 86400, SUNDAY_2AM + 3 * WEEK)
    assert periods == [
        (SUNDAY_2AM + WEEK, SUNDAY_2AM + WEEK + 3600),
        (SUNDAY_2AM + 2 * WEEK, SUNDAY_2AM + 2 * WEEK + 3600),
    ]


def test_a_period_already_going_on_at_the_range_start_is_kept() -> None:
    a = Adjustment.create(start=1000, end=5000, reason="bad data from a broken exporter")
    assert a.periods(3000, 9000) == [(1000, 5000)]
    assert a.periods(5000, 9000) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "^rrule: 'FREQ=SOMETIMES' is not an RFC 5545"),
        ({"rrule": "DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY"}, "^rrule: leave DTSTART out"),
        ({"duration": None}, "^duration: give exactly one of duration and end"),
        ({"duration": None, "end": 50}, "^end: must be after start"),
        ({"reason": " "}, "^reason:"),
        ({"matchers": ["service"]}, r"^matchers\[0\]: 'service' is not a matcher"),
    ],
)
def test_a_malformed_adjustment_names_the_field(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"start": 100, "duration": 60, "reason": "maintenance"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Adjustment.create(**args)  # type: ignore[arg-type]


def test_the_steps_inside_a_period_are_excluded_by_their_right_edge() -> None:
    a = Adjustment.create(start=120, end=300, reason="m", matchers=['service="checkout"'])
    times = np.arange(60, 601, 60)  # steps ending 60 .. 600
    mask = excluded_steps([a], {"service": "checkout"}, times, 60)
    assert mask is not None
    assert times[mask].tolist() == [180, 240, 300]
    assert excluded_steps([a], {"service": "search"}, times, 60) is None


def test_excluded_steps_count_no_events_and_the_input_is_left_alone() -> None:
    good, total = np.array([9.0, 8.0, 7.0]), np.array([10.0, 10.0, 10.0])
    mask = np.array([False, True, False])
    g, t = zero_excluded(good, total, mask)
    assert g.tolist() == [9.0, 0.0, 7.0]
    assert t.tolist() == [10.0, 0.0, 10.0]
    assert total.tolist() == [10.0, 10.0, 10.0]
