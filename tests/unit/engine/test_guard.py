"""The low-traffic guard in the engine's firing computation (sloscope.engine)."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.engine.burn import guard_counts
from sloscope.engine.counts import cumulative
from sloscope.engine.evaluate import evaluate_range, evaluate_slo
from sloscope.engine.windows import TrafficGuard, alert_policy, policy_from_mapping
from sloscope.spec.model import SLO, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector

START = 1_700_000_000 - 1_700_000_000 % 86400
GOOGLE = alert_policy("google")
GUARDED = GOOGLE._replace(guard=TrafficGuard(min_total=100, min_bad=5))


def slo() -> SLO:
    return SLO(
        name="quiet",
        objective=0.999,
        window=RollingWindow(30 * 86400),
        sli=RatioSLI(total=parse_selector("req_total"), bad=parse_selector("err_total")),
    )


def quiet_night(n: int = 4 * 1440) -> tuple[np.ndarray, np.ndarray]:
    """One request every two minutes for four days, and one failed request near the end."""
    total = np.zeros(n)
    total[::2] = 1.0
    good = total.copy()
    good[n - 10] = 0.0
    return good, total


def test_a_single_failed_request_on_a_quiet_night_pages_without_the_guard() -> None:
    good, total = quiet_night()
    ev = evaluate_range(slo(), good, total, start=START, step=60, policy=GOOGLE)
    assert any(c.firing.any() for c in ev.conditions if c.threshold.severity == "page")


def test_with_the_guard_a_single_failed_request_never_pages() -> None:
    good, total = quiet_night()
    ev = evaluate_range(slo(), good, total, start=START, step=60, policy=GUARDED)
    assert not any(c.firing.any() for c in ev.conditions)


def test_the_guard_counts_total_and_bad_events_of_each_window() -> None:
    total = np.full(10, 30.0)
    good = total - np.array([0, 0, 0, 2, 2, 2, 0, 0, 0, 0])
    cum = cumulative(good, total, start=0, step=60)
    # 5-minute windows: totals reach 150 from the 5th step; bad sums 2, 4, 6, 6, 6, 4, 2.
    enough = guard_counts(cum, 300, TrafficGuard(min_total=100, min_bad=5))
    assert enough.tolist() == [False] * 5 + [True, True, True, False, False]


def test_evaluate_slo_and_evaluate_range_apply_the_guard_alike() -> None:
    rng = np.random.default_rng(5)
    total = rng.integers(0, 4, size=3 * 1440).astype(float)
    good = total - rng.binomial(total.astype(int), 0.2)
    ev = evaluate_range(slo(), good, total, start=START, step=60, policy=GUARDED)
    for i in range(0, len(total), 97):
        at = START + (i + 1) * 60
        status = evaluate_slo(slo(), good, total, start=START, step=60, at=at, policy=GUARDED)
        fired = {(a.long_seconds, a.short_seconds) for a in status.alerts}
        expected = {
            (c.threshold.long_seconds, c.threshold.short_seconds)
            for c in ev.conditions
            if c.firing[i]
        }
        assert fired == expected


def test_a_policy_table_declares_its_guard_as_data() -> None:
    policy = policy_from_mapping(
        {
            "name": "quiet",
            "guard": {"min_total": 20, "min_bad": 2},
            "windows": [{"severity": "page", "budget_percent": 2, "long": "1h", "short": "5m"}],
        }
    )
    assert policy.guard == TrafficGuard(20.0, 2.0)
    assert GOOGLE.guard is None
    with pytest.raises(ValueError, match="guard of 'x': min_bad must be a number"):
        policy_from_mapping(
            {
                "name": "x",
                "guard": {"min_bad": -1},
                "windows": [{"severity": "page", "budget_percent": 2, "long": "1h", "short": "5m"}],
            }
        )
