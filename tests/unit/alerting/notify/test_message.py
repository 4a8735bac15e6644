"""The notification's words, its stored form, signatures, scrubbing and retry delays."""

from __future__ import annotations

from tests.notify.messages import AT, firing, resolved

from sloscope.alerting.notify import render
from sloscope.alerting.notify.delivery import RetryPolicy, event_key
from sloscope.alerting.notify.message import Notification, sample_notification
from sloscope.alerting.notify.webhook import signature
from sloscope.secrets import Scrubber


def test_a_firing_notification_lists_every_fact_in_reading_order() -> None:
    assert render.facts(firing()) == [
        ("SLO", "checkout/orders-availability"),
        ("Journey", "place-order"),
        ("Severity", "page"),
        ("Burn rate", "14.4x (15x over 1h, 20x over 5m; threshold 14.4x)"),
        ("Error budget", "25.0% consumed, 75.0% remaining"),
        ("Budget exhausted at", "2026-11-20T14:00:00Z"),
        ("Since", "2026-11-20T11:50:00Z"),
        ("Runbook", "https://runbooks.example.com/checkout"),
        ("Dashboard", "https://grafana.example.com/d/checkout"),
        ("Grouped alerts", "checkout/orders-latency page"),
        ("Held alerts", "cart/add-availability page (depends on checkout)"),
    ]


def test_a_resolved_notification_says_when_and_drops_the_projection() -> None:
    message = resolved(related=(), runbook_url=None, dashboard_url=None)
    assert render.title(message) == "[RESOLVED page] checkout/orders-availability resolved"
    labels = [label for label, _ in render.facts(message)]
    assert "Budget exhausted at" not in labels
    assert dict(render.facts(message))["Resolved at"] == "2026-11-20T12:20:00Z"


def test_no_projected_exhaustion_is_said_plainly() -> None:
    assert dict(render.facts(firing(exhaustion_at=None)))["Budget exhausted at"] == "not projected"


def test_a_test_message_is_marked_in_its_title() -> None:
    assert render.title(sample_notification(AT)).startswith("[TEST] [FIRING page] sloscope/")


def test_a_notification_survives_its_stored_json_form() -> None:
    message = firing()
    assert Notification.from_payload(message.to_payload()) == message


def test_routing_labels_carry_the_identity_and_the_alert_labels() -> None:
    labels = firing().routing_labels()
    assert labels["service"] == labels["sloscope_service"] == "checkout"
    assert labels["severity"] == labels["sloscope_tier"] == "page"
    assert labels["sloscope_id"] == "checkout-orders-availability"
    assert (labels["journey"], labels["team"]) == ("place-order", "payments")


def test_one_event_key_per_alert_transition_and_time() -> None:
    assert event_key(firing()) != event_key(resolved())
    assert event_key(firing()) == event_key(firing())
    assert event_key(firing()) != event_key(firing(at=AT + 60))


def test_the_signature_is_the_rfc_4231_hmac_sha256() -> None:
    # RFC 4231, test case 2.
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_the_scrubber_removes_the_longest_secret_first_and_ignores_tiny_ones() -> None:
    scrubber = Scrubber(["abcd", "abcdefgh", "", None, "xy"])
    assert scrubber.scrub("key abcdefgh, prefix abcd, short xy") == "key ***, prefix ***, short xy"


def test_a_url_that_is_a_secret_is_scrubbed_with_and_without_its_host() -> None:
    scrubber = Scrubber.for_url("https://hooks.example.com/services/T0/B0/XYZ?x=1")
    assert scrubber.scrub("POST https://hooks.example.com/services/T0/B0/XYZ?x=1") == "POST ***"
    assert scrubber.scrub("no route /services/T0/B0/XYZ?x=1") == "no route ***"


def test_retry_delays_double_from_the_backoff_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff=30, max_backoff=3600)
    assert [policy.delay(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
