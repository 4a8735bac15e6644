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


def test_alert_changes_read_newest_first_by_service_and_slo_a_page_at_a_time(
    store: StateStore,
) -> None:
    from sloscope.store.history import alert_changes

    ticket = AlertIdentity("checkout", "availability", "ticket")
    other = AlertIdentity("payments", "charge", "page")
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=1000, burn_rate=15.0)
        alerts.apply(ticket, "firing", at=1100, burn_rate=2.0)
        alerts.apply(other, "firing", at=1200, burn_rate=30.0)
        alerts.apply(CHECKOUT_PAGE, "resolved", at=1300, burn_rate=0.5)
    with store.transaction() as session:
        every = alert_changes(session)
        mine = alert_changes(session, service="checkout", slo="availability", limit=2, offset=1)
        none = alert_changes(session, service="checkout", slo="latency")
    assert [(c.slo, c.severity, c.from_state, c.to_state, c.at) for c in every] == [
        ("availability", "page", "firing", "resolved", 1300),
        ("charge", "page", None, "firing", 1200),
        ("availability", "ticket", None, "firing", 1100),
        ("availability", "page", None, "firing", 1000),
    ]
    assert [(c.severity, c.at, c.burn_rate) for c in mine] == [
        ("ticket", 1100, 2.0),
        ("page", 1000, 15.0),
    ]
    assert none == []


def test_active_alerts_name_the_silences_that_cover_them(store: StateStore) -> None:
    from sloscope.records.alerts import active_alerts, find_active, silence_matchers
    from sloscope.store.silences import Silences

    grouped = AlertIdentity("checkout", "availability", "ticket", '{route="/a b"}')
    labels = {"service": "checkout", "slo": "availability", "route": "/a b"}
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=1000, labels={"team": "pay"})
        alerts.apply(grouped, "pending", at=1000, labels=labels)
        alerts.apply(AlertIdentity("checkout", "old", "page"), "resolved", at=900)
        silence = Silences(session).add(
            [{"name": "severity", "op": "=", "value": "page"}],
            starts_at=1050,
            ends_at=2000,
            author="ana",
            comment="known",
            now=1050,
        )
    with store.transaction() as session:
        before = active_alerts(session, 1049)
        during = active_alerts(session, 1100)
        only = active_alerts(session, 1100, service="checkout", slo="nope")
        found = find_active(session, 1100, grouped.key)
    assert [(a.state.identity.severity, a.silenced_by) for a in before] == [
        ("page", ()),
        ("ticket", ()),
    ]
    assert [(a.state.identity.severity, a.silenced_by) for a in during] == [
        ("page", (silence.id,)),
        ("ticket", ()),
    ]
    assert during[0].labels == {
        "team": "pay",
        "service": "checkout",
        "slo": "availability",
        "severity": "page",
    }
    assert only == []
    assert found is not None
    # Matchers for one alert: an ungrouped one by SLO and severity, a group by its labels too.
    assert silence_matchers(during[0]) == [
        'service="checkout"',
        'slo="availability"',
        'severity="page"',
    ]
    assert silence_matchers(found) == [
        'service="checkout"',
        'slo="availability"',
        'severity="ticket"',
        'route="/a b"',
    ]


def test_acknowledging_a_firing_alert_records_who_and_when_and_a_second_ack_keeps_the_first(
    store: StateStore,
) -> None:
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=1000, burn_rate=15.0)
        first = alerts.acknowledge(CHECKOUT_PAGE.key, by="ana", at=1010)
    with store.transaction() as session:
        again = AlertStates(session).acknowledge(CHECKOUT_PAGE.key, by="bo", at=1020)
        history = AlertStates(session).history(CHECKOUT_PAGE.key)
    assert first.first
    assert (first.state.acked_at, first.state.acked_by) == (1010, "ana")
    assert not again.first
    assert (again.state.acked_at, again.state.acked_by) == (1010, "ana")
    assert [t.to_state for t in history] == ["firing"]  # an ack is not a state change


def test_an_ack_lasts_through_pending_to_firing_and_resolution_and_clears_on_the_next_episode(
    store: StateStore,
) -> None:
    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "pending", at=1000)
        alerts.acknowledge(CHECKOUT_PAGE.key, by="ana", at=1005)
        fired = alerts.apply(CHECKOUT_PAGE, "firing", at=1060, burn_rate=15.0)
        resolved = alerts.apply(CHECKOUT_PAGE, "resolved", at=1200)
        again = alerts.apply(CHECKOUT_PAGE, "firing", at=2000, burn_rate=15.0)
    assert fired.state.acked_by == "ana"
    assert resolved.state.acked_by == "ana"
    assert (again.state.acked_at, again.state.acked_by) == (None, None)


def test_acknowledging_an_alert_that_is_not_firing_or_pending_is_refused(
    store: StateStore,
) -> None:
    import pytest

    from sloscope.errors import NotFoundError, RequestError

    with store.transaction() as session:
        alerts = AlertStates(session)
        alerts.apply(CHECKOUT_PAGE, "firing", at=1000, burn_rate=15.0)
        alerts.apply(CHECKOUT_PAGE, "resolved", at=1100)
    with store.transaction() as session, pytest.raises(RequestError, match="is resolved"):
        AlertStates(session).acknowledge(CHECKOUT_PAGE.key, by="ana", at=1200)
    with store.transaction() as session, pytest.raises(NotFoundError, match="no alert"):
        AlertStates(session).acknowledge("0" * 64, by="ana", at=1200)
    with store.transaction() as session:
        state = AlertStates(session).get(CHECKOUT_PAGE.key)
    assert state is not None
    assert state.acked_at is None
