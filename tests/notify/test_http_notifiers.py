"""Webhook, Slack and PagerDuty notifiers against a real local HTTP server that records."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from sloscope.alerting.notify.http import post
from sloscope.alerting.notify.pagerduty import PagerDutyNotifier
from sloscope.alerting.notify.slack import SlackNotifier
from sloscope.alerting.notify.webhook import SIGNATURE_HEADER, WebhookNotifier
from sloscope.secrets import Scrubber
from tests.notify.messages import firing, resolved
from tests.notify.servers import Answer, RecordingServer


def test_a_webhook_body_is_signed_with_hmac_sha256_of_the_exact_bytes(
    recorder: RecordingServer,
) -> None:
    result = WebhookNotifier("hook", recorder.url + "/hook", secret="topsecret").send(firing())
    assert result.ok
    [request] = recorder.requests
    expected = hmac.new(b"topsecret", request.body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER.lower()] == f"sha256={expected}"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert body["version"] == 1
    assert body["title"] == (
        "[FIRING page] checkout/orders-availability burning 14.4x its error budget"
    )
    assert body["notification"]["budget_remaining"] == 0.75
    assert body["notification"]["related"][1]["relation"] == "held"


def test_a_webhook_without_a_secret_sends_no_signature(recorder: RecordingServer) -> None:
    assert WebhookNotifier("hook", recorder.url).send(firing()).ok
    assert SIGNATURE_HEADER.lower() not in recorder.requests[0].headers


def test_a_slack_message_has_the_facts_as_fields_and_the_links_in_context(
    recorder: RecordingServer,
) -> None:
    assert SlackNotifier("chat", recorder.url + "/services/T0/B0/XYZ").send(firing()).ok
    [request] = recorder.requests
    assert request.path == "/services/T0/B0/XYZ"
    body = json.loads(request.body)
    header, fields, *rest = body["blocks"]
    assert header["text"]["text"].startswith("[FIRING page] checkout/orders-availability")
    texts = [f["text"] for f in fields["fields"]]
    assert "*Journey*\nplace-order" in texts
    assert "*Error budget*\n25.0% consumed, 75.0% remaining" in texts
    assert "*Burn rate*\n14.4x (15x over 1h, 20x over 5m; threshold 14.4x)" in texts
    assert "*Budget exhausted at*\n2026-11-20T14:00:00Z" in texts
    assert "*Grouped alerts*\ncheckout/orders-latency page" in texts
    assert "*Held alerts*\ncart/add-availability page (depends on checkout)" in texts
    [context] = rest
    assert context["elements"][0]["text"] == (
        "<https://runbooks.example.com/checkout|Runbook> | "
        "<https://grafana.example.com/d/checkout|Dashboard>"
    )
    assert "Runbook: https://runbooks.example.com/checkout" in body["text"]


def test_pagerduty_triggers_then_resolves_one_incident_by_dedup_key(
    recorder: RecordingServer,
) -> None:
    recorder.default = Answer(202, b'{"status":"success","dedup_key":"x"}')
    pager = PagerDutyNotifier("oncall", "R0UTINGKEY", url=recorder.url + "/v2/enqueue")
    assert pager.send(firing()).ok
    assert pager.send(resolved()).ok
    trigger, resolve = (json.loads(r.body) for r in recorder.requests)
    assert trigger["event_action"] == "trigger"
    assert trigger["routing_key"] == "R0UTINGKEY"
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["timestamp"] == "2026-11-20T12:00:00Z"
    assert trigger["payload"]["custom_details"]["Error budget"] == "25.0% consumed, 75.0% remaining"
    assert trigger["links"][0] == {
        "href": "https://runbooks.example.com/checkout",
        "text": "Runbook",
    }
    assert resolve == {
        "routing_key": "R0UTINGKEY",
        "event_action": "resolve",
        "dedup_key": trigger["dedup_key"],
    }
    assert len(trigger["dedup_key"]) == 64


def test_a_ticket_is_a_pagerduty_warning(recorder: RecordingServer) -> None:
    recorder.default = Answer(202, b"{}")
    PagerDutyNotifier("oncall", "KEY1", url=recorder.url).send(firing(severity="ticket"))
    assert json.loads(recorder.requests[0].body)["payload"]["severity"] == "warning"


def test_server_errors_and_rate_limits_are_retried_and_client_errors_are_not(
    recorder: RecordingServer,
) -> None:
    recorder.answers = [Answer(500, b"boom"), Answer(429, b"slow down"), Answer(400, b"bad")]
    hook = WebhookNotifier("hook", recorder.url)
    first, second, third = (hook.send(firing()) for _ in range(3))
    assert (first.ok, first.retryable, first.detail) == (False, True, "HTTP 500: boom")
    assert (second.retryable, second.status) == (True, 429)
    assert (third.retryable, third.detail) == (False, "HTTP 400: bad")


def test_a_server_slower_than_the_deadline_is_a_retryable_failure_in_time(
    recorder: RecordingServer,
) -> None:
    recorder.default = Answer(200, b"late", delay=6.0)
    started = time.monotonic()
    result = WebhookNotifier("hook", recorder.url, deadline=0.5).send(firing())
    assert time.monotonic() - started < 3.0  # the server would answer after 6 s
    assert (result.ok, result.retryable) == (False, True)
    assert result.detail == "no answer within the 0.5s deadline"


def test_a_refused_connection_is_retryable() -> None:
    from tests.notify.servers import free_port

    result = WebhookNotifier("hook", f"http://127.0.0.1:{free_port()}/").send(firing())
    assert (result.ok, result.retryable) == (False, True)
    assert result.detail.startswith("ConnectError")


def test_secrets_echoed_by_a_server_never_reach_the_detail(recorder: RecordingServer) -> None:
    recorder.default = Answer(403, b"invalid key R0UTINGKEY for /services/T0/B0/XYZ")
    pager = PagerDutyNotifier("oncall", "R0UTINGKEY", url=recorder.url)
    hook = WebhookNotifier("hook", recorder.url, secret="R0UTINGKEY")
    slack = SlackNotifier("chat", recorder.url + "/services/T0/B0/XYZ")
    assert pager.send(firing()).detail == "HTTP 403: invalid key *** for /services/T0/B0/XYZ"
    assert hook.send(firing()).detail == "HTTP 403: invalid key *** for /services/T0/B0/XYZ"
    assert slack.send(firing()).detail == "HTTP 403: invalid key R0UTINGKEY for ***"


def test_a_long_answer_is_cut_in_the_detail(recorder: RecordingServer) -> None:
    recorder.default = Answer(502, b"x" * 100_000)
    result = post(recorder.url, b"{}", deadline=5, scrubber=Scrubber())
    assert result.detail == "HTTP 502: " + "x" * 300
