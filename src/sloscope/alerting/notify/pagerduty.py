"""PagerDuty Events API v2: a firing alert triggers an incident, resolving resolves it.

Both carry the alert's stable ``dedup_key``, so PagerDuty folds repeats into one incident
and a retried delivery never opens a second one. Pages are ``critical``, tickets
``warning``. The routing key (the integration key) is a secret from the environment; the
URL is configurable (default in the settings: PagerDuty's own endpoint) so tests and
regional endpoints can point elsewhere.
"""

from __future__ import annotations

from typing import Any

import httpx

from sloscope.alerting.notify import render
from sloscope.alerting.notify.base import DeliveryResult
from sloscope.alerting.notify.http import json_bytes, post
from sloscope.alerting.notify.message import Notification
from sloscope.secrets import Scrubber
from sloscope.timeparse import format_time

MAX_SUMMARY_CHARS = 1024


def pagerduty_body(message: Notification, routing_key: str) -> dict[str, Any]:
    """The Events API v2 event for ``message``."""
    if message.transition == "resolved":
        return {
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": message.dedup_key,
        }
    links = [
        {"href": url, "text": text}
        for url, text in ((message.runbook_url, "Runbook"), (message.dashboard_url, "Dashboard"))
        if url
    ]
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": message.dedup_key,
        "client": "sloscope",
        "payload": {
            "summary": render.title(message)[:MAX_SUMMARY_CHARS],
            "source": f"sloscope/{message.service}",
            "severity": "critical" if message.severity == "page" else "warning",
            "timestamp": format_time(message.at),
            "component": message.service,
            "group": message.journey or message.service,
            "class": "slo-burn-rate",
            "custom_details": dict(render.facts(message)),
        },
        "links": links,
    }


class PagerDutyNotifier:
    """Sends Events API v2 trigger and resolve events."""

    def __init__(
        self,
        name: str,
        routing_key: str,
        *,
        url: str,
        deadline: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self._routing_key = routing_key
        self._url = url
        self._deadline = deadline
        self._transport = transport
        self._scrubber = Scrubber([routing_key])

    def send(self, message: Notification) -> DeliveryResult:
        """Trigger (firing) or resolve (resolved) the alert's incident."""
        return post(
            self._url,
            json_bytes(pagerduty_body(message, self._routing_key)),
            deadline=self._deadline,
            scrubber=self._scrubber,
            transport=self._transport,
        )
