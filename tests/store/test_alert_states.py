"""Alert states: one row per SLO, severity and group; transitions recorded once."""

from __future__ import annotations

from sloscope.store.alerts import AlertIdentity, AlertStates, alert_key
from sloscope.store.database import StateStore

CHECKOUT_PAGE = AlertIdentity("checkout", "availability", "page")


def test_the_dedup_key_is_stable_and_differs_by_severity_and_group() -> None:
    assert CHECKOUT_PAGE.key == alert_key("checkout", "availability", "page")
    assert len(CHECKOUT_PAGE.key) == 64
    assert CHECKOUT_PAGE.key != alert_key("checkout", "availability", "ticket")
    assert CHECKOUT_PAGE.key != alert_key("checkout", "availability", "page", "eu")


def test_an_alert_goes_pending_firing_resolved_with_each_time_and_its_peak(
    store: StateStore,
) -> None:
    with store.transaction() as session:
        alerts = AlertStates(session)
        first = alerts.apply(CHECKOUT_PAGE, "pending", at=1000, burn_rate=15.0)
        fired = alerts.apply(CHECKOUT_PAGE, "firing", at=1060, burn_rate=16.0, labels={"a": "b"})
        alerts.apply(CHECKOUT_PAGE, "firing", at=1120, burn_rate=20.5, budget_consumed=0.02)
        alerts.apply(CHECKOUT_PAGE, "firing", at=1180, burn_rate=18.0, budget_consumed=0.03)
        resolved = alerts.apply(CHECKOUT_PAGE, "resolved", at=1240, burn_rate=0.5)
    assert first.transition is not None
    assert first.transition.from_state is None
    assert fired.transition is not None
    assert fired.transition.from_state == "pending"
    state = resolved.state
    assert (state.state, state.since, state.fired_at, state.resolved_at) == (
        "resolved",
        1240,
        1060,
        1240,
    )
    assert state.peak_burn_rate == 20.5
    assert state.budget_consumed == 0.03
    assert state.labels == {"a": "b"}
    with store.transaction() as session:
        history = AlertStates(session).history(CHECKOUT_PAGE.key)
    assert [(t.from_state, t.to_state, t.at) for t in history] == [
        (None, "pending", 1000),
        ("pending", "firing", 1060),
        ("firing", "resolved", 1240),
    ]


def test_applying_the_same_change_twice_records_one_transition(store: StateStore) -> None:
    for _ in range(2):
        with store.transaction() as session:
            change = AlertStates(session).apply(CHECKOUT_PAGE, "firing", at=500, burn_rate=14.4)
    assert change.transition is None
    with store.transaction() as session:
        assert len(AlertStates(session).history(CHECKOUT_PAGE.key)) == 1


def test_a_replayed_older_time_changes_nothing(store: StateStore) -> None:
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=2000, burn_rate=14.4)
        alerts.apply(CHECKOUT_PAGE, "resolved", at=2600)
        stale = alerts.apply(CHECKOUT_PAGE, "firing", at=2300, burn_rate=30.0)
    assert stale.transition is None
    assert stale.state.state == "resolved"
    assert stale.state.peak_burn_rate == 14.4


def test_firing_again_after_resolving_starts_a_new_peak(store: StateStore) -> None:
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=100, burn_rate=40.0)
        alerts.apply(CHECKOUT_PAGE, "resolved", at=200)
        again = alerts.apply(CHECKOUT_PAGE, "firing", at=300, burn_rate=15.0)
    assert (again.state.fired_at, again.state.resolved_at) == (300, None)
    assert again.state.peak_burn_rate == 15.0


def test_alerts_are_listed_by_state_and_service(store: StateStore) -> None:
    payments = AlertIdentity("payments", "latency", "ticket")
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=10)
        alerts.apply(payments, "pending", at=20)
    with store.transaction() as session:
        alerts = AlertStates(session)
        assert [a.identity for a in alerts.find()] == [CHECKOUT_PAGE, payments]
        assert [a.identity for a in alerts.find(state="firing")] == [CHECKOUT_PAGE]
        assert [a.identity for a in alerts.find(service="payments")] == [payments]
        assert alerts.get(payments.key) is not None
        assert alerts.get("no-such-key") is None
