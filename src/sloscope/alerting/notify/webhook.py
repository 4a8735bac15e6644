"""Generic webhook: the notification as JSON, signed with HMAC-SHA256.

The body is ``{"version": 1, "title": ..., "text": ..., "notification": {...}}`` (the
:class:`~sloscope.alerting.notify.message.Notification` fields). With a secret, the
``X-Sloscope-Signature`` header is ``sha256=`` and the hex HMAC-SHA256 of the exact body
bytes under the secret; a receiver recomputes it to check the sender::

    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    hmac.compare_digest(expected, request.headers["X-Sloscope-Signature"])
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import httpx

from sloscope.alerting.notify import render
from sloscope.alerting.notify.base import DeliveryResult
from sloscope.alerting.notify.http import json_bytes, post
from sloscope.alerting.notify.message import Notification
from sloscope.secrets import Scrubber

SIGNATURE_HEADER = "X-Sloscope-Signature"
PAYLOAD_VERSION = 1


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_body(message: Notification) -> bytes:
    """The exact bytes a webhook receives for ``message``."""
    return json_bytes(
        {
            "version": PAYLOAD_VERSION,
            "title": render.title(message),
            "text": render.text(message),
            "notification": message.to_payload(),
        }
    )


class WebhookNotifier:
    """POSTs signed JSON to a URL."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
        deadline: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        url_is_secret: bool = False,
    ) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._headers = dict(headers or {})
        self._deadline = deadline
        self._transport = transport
        self._scrubber = Scrubber.for_url(url, secret) if url_is_secret else Scrubber([secret])

    def send(self, message: Notification) -> DeliveryResult:
        """POST the message; signed when a secret is configured."""
        body = webhook_body(message)
        headers = dict(self._headers)
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        return post(
            self._url,
            body,
            deadline=self._deadline,
            scrubber=self._scrubber,
            headers=headers,
            transport=self._transport,
        )
