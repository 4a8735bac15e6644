"""Alert lifetimes, vectorised and step by step (sloscope.alerting.spans, .state)."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.alerting.spans import (
    Lifetime,
    SLOAlertInput,
    alert_spans,
    held,
    lifetime_firing,
    sustained,
)
from sloscope.alerting.state import AlertState, Observation, advance
from sloscope.engine.counts import cumulative
from sloscope.errors import EvaluationError

T = np.array([True])
F = np.array([False])


def bools(text: str) -> np.ndarray:
    return np.array([c == "1" for c in text])


def text(values: np.ndarray) -> str:
    return "".join("1" if v else "0" for v in values)


def test_a_pending_alert_fires_once_its_condition_held_for_the_pending_time() -> None:
    # pending_for 2m at 1m: three evaluations in a row.
    assert text(sustained(bools("0110111101"), 3)) == "0000001100"


def test_hysteresis_keeps_an_alert_firing_until_resolve_after_has_passed() -> None:
    # resolve_after 3m at 1m: the alert fires through gaps of at most 2 evaluations.
    assert text(held(bools("1001000001000"), 3)) == "1111110001110"


def test_a_flapping_condition_is_one_alert_with_hysteresis_and_three_without() -> None:
    flapping = bools("0110110110000000")
    assert text(lifetime_firing(flapping, Lifetime(60))) == "0110110110000000"
    once = lifetime_firing(flapping, Lifetime(60, resolve_after=300))
    assert text(once) == "0111111111111000"


def test_a_lifetime_needs_whole_intervals() -> None:
    with pytest.raises(EvaluationError, match="resolve_after"):
        Lifetime(60, resolve_after=90)
    assert Lifetime(60, pending_for=120, resolve_after=900).pending_steps == 3
    assert Lifetime(60, resolve_after=900).hold_steps == 15
    assert Lifetime(60).hold_steps == 1


def test_an_alert_span_carries_its_peak_burn_and_the_budget_it_consumed() -> None:
    # Ten 1-minute steps of 1000 events; 30 bad in steps 4-6 (right edges 300..420).
    total = np.full(10, 1000.0)
    bad = np.zeros(10)
    bad[4:7] = 10.0
    cum = cumulative(total - bad, total, start=0, step=60)
    times = cum.timestamps
    firing = bools("0000111000")
    burn = np.array([0, 0, 0, 0, 10.0, 12.5, 11.0, 0, 0, 0])
    target = SLOAlertInput("checkout", "orders", error_budget=0.001, window_seconds=600)
    (alert,) = alert_spans(
        firing,
        times,
        burn=burn,
        counts=cum,
        target=target,
        severity="page",
        lifetime=Lifetime(60),
    )
    assert (alert.start, alert.last, alert.resolved_at) == (300, 420, 480)
    assert alert.peak_burn_rate == 12.5
    # 30 bad events over the budget of the 10 000 events of the window ending at 420
    # (7 steps: the window reaches before the data) = 30 / (7000 * 0.001).
    assert alert.budget_consumed == pytest.approx(30 / 7.0)
    assert not alert.open


def _replay_states(condition: np.ndarray, lifetime: Lifetime) -> list[tuple[int, int]]:
    """(start, resolved) of every alert the state machine raises along ``condition``."""
    every = lifetime.interval
    state = AlertState("k")
    spans = []
    opened = None
    for i, c in enumerate(condition.tolist()):
        obs = Observation(at=(i + 1) * every, condition=c)
        state, changes = advance(state, obs, lifetime, 0.001)
        for change in changes:
            if change.to == "firing":
                opened = change.at
            elif change.to == "resolved":
                assert opened is not None
                assert change.since == opened
                spans.append((opened, change.at))
                opened = None
    if opened is not None:
        spans.append((opened, (len(condition) + 1) * every))
    return spans


@pytest.mark.parametrize(
    "lifetime",
    [Lifetime(60), Lifetime(60, resolve_after=300), Lifetime(60, 120, 240), Lifetime(120, 240)],
)
def test_the_state_machine_and_the_vectorised_spans_raise_the_same_alerts(
    lifetime: Lifetime,
) -> None:
    rng = np.random.default_rng(11)
    for _ in range(60):
        condition = rng.random(80) < rng.uniform(0.1, 0.8)
        firing = lifetime_firing(condition, lifetime)
        padded = np.concatenate(([False], firing, [False]))
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        every = lifetime.interval
        vectorised = [
            (int(a + 1) * every, int(b + 1) * every)
            for a, b in zip(edges[0::2], edges[1::2], strict=True)
        ]
        assert _replay_states(condition, lifetime) == vectorised


def test_the_state_machine_records_each_change_with_its_figures() -> None:
    lifetime = Lifetime(60, pending_for=60, resolve_after=120)
    state = AlertState("checkout/orders/page")
    seen = []
    observations = [
        Observation(60, True, burn=20.0, bad=5, window_total=1000),
        Observation(120, True, burn=30.0, bad=7, window_total=1000),
        Observation(180, False, burn=2.0, bad=3, window_total=1000),
        Observation(240, False, burn=1.0, bad=0, window_total=2000),
        Observation(300, False, burn=1.0, bad=0, window_total=2000),
    ]
    for obs in observations:
        state, changes = advance(state, obs, lifetime, error_budget=0.01)
        seen += [(c.to, c.at, c.peak_burn_rate, c.budget_consumed) for c in changes]
    # Pending at 60, firing at 120 (held 2 evaluations), firing on through 180 (hold),
    # resolved at 240: 2 minutes after the last evaluation at which it would fire.
    # While firing: 7 + 3 bad events, over the budget of the 1000 events at 180 (10).
    assert seen == [
        ("pending", 60, None, None),
        ("firing", 120, 30.0, 0.7),
        ("resolved", 240, 30.0, 1.0),
    ]
    assert state.phase == "inactive"


def test_a_pending_alert_whose_condition_stops_goes_back_to_inactive() -> None:
    lifetime = Lifetime(60, pending_for=300)
    state, changes = advance(AlertState("k"), Observation(60, True), lifetime, 0.001)
    assert [c.to for c in changes] == ["pending"]
    state, changes = advance(state, Observation(120, False), lifetime, 0.001)
    assert [c.to for c in changes] == ["inactive"]
    assert state.phase == "inactive"
