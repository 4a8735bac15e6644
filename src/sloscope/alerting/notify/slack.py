"""Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat and others).

The body has a plain ``text`` (what notifications and older clients show) and Block Kit
``blocks``: a header, the facts as fields, and the links. The webhook URL itself is the
credential, so it is read from an environment variable and scrubbed from every error.
"""

from __future__ import annotations

from typing import Any

import httpx

from sloscope.alerting.notify import render
from sloscope.alerting.notify.base import DeliveryResult
from sloscope.alerting.notify.http import json_bytes, post
from sloscope.alerting.notify.message import Notification
from sloscope.secrets import Scrubber

#: Block Kit limits: header text, fields per section, characters per field.
MAX_HEADER_CHARS = 150
MAX_FIELDS = 10
MAX_FIELD_CHARS = 2000


def slack_body(message: Notification) -> dict[str, Any]:
    """The incoming-webhook JSON for ``message``."""
    links = {"Runbook", "Dashboard"}
    facts = render.facts(message)
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:MAX_FIELD_CHARS]}
        for label, value in facts
        if label not in links
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": render.title(message)[:MAX_HEADER_CHARS]},
        }
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    link_text = " | ".join(f"<{value}|{label}>" for label, value in facts if label in links)
    if link_text:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link_text}]})
    return {"text": render.text(message), "blocks": blocks}


class SlackNotifier:
    """POSTs to a Slack-compatible incoming webhook URL."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        deadline: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._deadline = deadline
        self._transport = transport
        self._scrubber = Scrubber.for_url(url)

    def send(self, message: Notification) -> DeliveryResult:
        """POST the message as text and blocks."""
        return post(
            self._url,
            json_bytes(slack_body(message)),
            deadline=self._deadline,
            scrubber=self._scrubber,
            transport=self._transport,
        )
