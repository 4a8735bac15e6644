"""The budget consumed at several times (the postmortem's burn-down), by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.events.impact import budget_consumed_at
from sloscope.spec.model import SLO, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector

T0 = 1_795_176_000
MIN = 60
HOUR = 3600

RATIO = RatioSLI(
    total=parse_selector('http_requests_total{service="checkout"}'),
    bad=parse_selector('http_requests_total{service="checkout", code=~"5.."}'),
)


def test_the_burn_down_counts_each_times_own_window() -> None:
    """A 1h 99% SLO over 2 hours of 100 events a minute (6000 an hour, budget 60): 30 bad
    events in the 10 minutes from minute 60 to 70. At minute 60 nothing is spent; at 70
    and at 119 the window holds all 30 (50%); at 120 the window (60, 120] still holds
    them (steps 61..70 end in it); at 130 they have left it."""
    slo = SLO("availability", 0.99, RollingWindow(HOUR), RATIO)
    start = T0
    total = np.full(130, 100.0)
    good = total.copy()
    good[60:70] -= 3.0
    times = [start + m * MIN for m in (60, 70, 119, 120, 130)]
    consumed = budget_consumed_at(slo, good, total, start=start, step=MIN, times=times)
    assert consumed == pytest.approx([0.0, 0.5, 0.5, 0.5, 0.0])


def test_a_time_without_events_in_its_window_is_none() -> None:
    slo = SLO("availability", 0.99, RollingWindow(HOUR), RATIO)
    zeros = np.zeros(10)
    (consumed,) = budget_consumed_at(slo, zeros, zeros, start=T0, step=MIN, times=[T0 + 600])
    assert consumed is None
