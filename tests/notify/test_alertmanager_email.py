"""Alertmanager (the real Debian binary) and email (a local aiosmtpd server)."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from typing import Any

from sloscope.alerting.notify.alertmanager import AlertmanagerNotifier
from sloscope.alerting.notify.email import EmailNotifier
from tests.notify.messages import firing, resolved
from tests.notify.servers import Alertmanager, SMTPCapture, free_port


def _ours(manager: Alertmanager, slo: str) -> list[dict[str, Any]]:
    return [a for a in manager.alerts() if a["labels"].get("sloscope_slo") == slo]


def test_a_firing_alert_arrives_in_alertmanager_with_labels_and_annotations(
    alertmanager: Alertmanager,
) -> None:
    now = int(time.time())
    message = firing(slo="am-firing", at=now, started_at=1_795_176_000)
    result = AlertmanagerNotifier("am", alertmanager.url).send(message)
    assert result.ok, result.detail
    [alert] = _ours(alertmanager, "am-firing")
    assert alert["labels"] == {
        "alertname": "SLOErrorBudgetBurnPage",
        "severity": "page",
        "sloscope_tier": "page",
        "sloscope_service": "checkout",
        "sloscope_slo": "am-firing",
        "sloscope_id": "checkout-am-firing",
        "team": "payments",
    }
    annotations = alert["annotations"]
    assert isinstance(annotations, dict)
    assert (
        annotations["summary"] == "[FIRING page] checkout/am-firing burning 14.4x its error budget"
    )
    assert annotations["runbook_url"] == "https://runbooks.example.com/checkout"
    assert annotations["owner"] == "team-payments"
    assert "Error budget: 25.0% consumed, 75.0% remaining" in str(annotations["description"])
    assert alert["startsAt"].startswith("2026-11-20T12:00:00")
    assert alert["status"]["state"] == "active"


def test_a_resolved_alert_ends_in_alertmanager(alertmanager: Alertmanager) -> None:
    now = int(time.time())
    notifier = AlertmanagerNotifier("am", alertmanager.url)
    assert notifier.send(firing(slo="am-resolved", at=now - 60, started_at=now - 60)).ok
    [alert] = _ours(alertmanager, "am-resolved")
    assert alert["status"]["state"] == "active"
    assert notifier.send(resolved(slo="am-resolved", at=now, started_at=now - 60)).ok
    # The API lists only alerts that have not ended: the resolved one is gone.
    assert _ours(alertmanager, "am-resolved") == []


def test_a_missing_alertmanager_is_a_retryable_failure() -> None:
    result = AlertmanagerNotifier("am", f"http://127.0.0.1:{free_port()}").send(firing())
    assert (result.ok, result.retryable) == (False, True)


def test_an_email_has_the_title_as_subject_and_every_fact_in_its_body(
    smtp: tuple[str, int, SMTPCapture],
) -> None:
    host, port, capture = smtp
    mailer = EmailNotifier(
        "mail", host=host, port=port, sender="slo@example.com", recipients=["oncall@example.com"]
    )
    result = mailer.send(firing())
    assert result.ok, result.detail
    [(sender, recipients, raw)] = capture.messages
    assert (sender, recipients) == ("slo@example.com", ["oncall@example.com"])
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Subject"] == (
        "[FIRING page] checkout/orders-availability burning 14.4x its error budget"
    )
    body = mail.get_body().get_content()  # type: ignore[union-attr]
    assert "Journey: place-order" in body
    assert "Budget exhausted at: 2026-11-20T14:00:00Z" in body
    assert "Runbook: https://runbooks.example.com/checkout" in body
    assert "Held alerts: cart/add-availability page (depends on checkout)" in body
    assert mail["X-Sloscope-Dedup-Key"] == firing().dedup_key


def test_an_smtp_server_that_is_down_is_a_retryable_failure() -> None:
    mailer = EmailNotifier(
        "mail", host="127.0.0.1", port=free_port(), sender="a@b.c", recipients=["d@e.f"], deadline=2
    )
    result = mailer.send(firing())
    assert (result.ok, result.retryable) == (False, True)
