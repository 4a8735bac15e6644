"""Alertmanager API v2: ``POST /api/v2/alerts`` with the alert's labels and annotations.

Labels follow :mod:`sloscope.conventions` (the same names the generated Prometheus rules
use), so one Alertmanager routing tree and its page-inhibits-ticket rule serve both. A
firing alert is sent with ``endsAt`` ``resolve_after`` ahead (Alertmanager would resolve
it after its own 5-minute ``resolve_timeout`` otherwise, since sloscope sends on changes,
not every evaluation); a resolved one with ``endsAt`` at the resolution time.
"""

from __future__ import annotations

from typing import Any

import httpx

from sloscope import conventions as names
from sloscope.alerting.notify import render
from sloscope.alerting.notify.base import DeliveryResult
from sloscope.alerting.notify.http import json_bytes, post
from sloscope.alerting.notify.message import Notification
from sloscope.secrets import Scrubber
from sloscope.timeparse import format_time

#: Seconds a firing alert stays firing in Alertmanager without news from sloscope.
DEFAULT_RESOLVE_AFTER = 24 * 3600


def alertmanager_alert(message: Notification, resolve_after: int) -> dict[str, Any]:
    """The API v2 ``postableAlert`` for ``message``."""
    alertname = names.ALERT_PAGE if message.severity == "page" else names.ALERT_TICKET
    labels = dict(message.labels)
    labels.update(
        {
            "alertname": alertname,
            names.LABEL_SEVERITY: message.severity,
            names.LABEL_TIER: message.severity,
            names.LABEL_SERVICE: message.service,
            names.LABEL_SLO: message.slo,
            names.LABEL_ID: message.slo_id,
        }
    )
    annotations = dict(message.annotations)
    annotations["summary"] = render.title(message)
    annotations["description"] = render.text(message)
    if message.runbook_url:
        annotations["runbook_url"] = message.runbook_url
    if message.dashboard_url:
        annotations["dashboard_url"] = message.dashboard_url
    ends = message.at if message.transition == "resolved" else message.at + resolve_after
    alert: dict[str, Any] = {
        "labels": labels,
        "annotations": annotations,
        "startsAt": format_time(message.started_at),
        "endsAt": format_time(ends),
    }
    if message.dashboard_url:
        alert["generatorURL"] = message.dashboard_url
    return alert


class AlertmanagerNotifier:
    """Posts alerts to an Alertmanager (``url`` is its base, e.g. ``http://am:9093``)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        resolve_after: int = DEFAULT_RESOLVE_AFTER,
        headers: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        deadline: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self._endpoint = url.rstrip("/") + "/api/v2/alerts"
        self._resolve_after = resolve_after
        self._headers = dict(headers or {})
        self._deadline = deadline
        self._transport = transport
        self._scrubber = Scrubber(secrets)

    def send(self, message: Notification) -> DeliveryResult:
        """Post the alert (a list of one, as the API takes)."""
        body = json_bytes([alertmanager_alert(message, self._resolve_after)])
        return post(
            self._endpoint,
            body,
            deadline=self._deadline,
            scrubber=self._scrubber,
            headers=self._headers,
            transport=self._transport,
        )
