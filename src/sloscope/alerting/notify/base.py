"""The one interface every notifier implements, and what a delivery attempt returns.

::

    class Notifier(Protocol):
        name: str
        def send(self, message: Notification) -> DeliveryResult: ...

A notifier never raises for a failed delivery: it returns a :class:`DeliveryResult`
saying whether to retry, with a detail from which every secret has been removed
(:class:`Scrubber`), because that detail is logged and stored in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from sloscope.alerting.notify.message import Notification

#: What replaces a secret in any message sloscope writes.
REDACTED = "***"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one attempt: delivered, or failed (and whether a retry may help)."""

    ok: bool
    detail: str = ""
    retryable: bool = True
    status: int | None = None

    @classmethod
    def delivered(cls, detail: str = "", status: int | None = None) -> DeliveryResult:
        """A successful delivery."""
        return cls(ok=True, detail=detail, retryable=False, status=status)

    @classmethod
    def failed(cls, detail: str, *, retryable: bool, status: int | None = None) -> DeliveryResult:
        """A failed attempt; ``retryable`` False sends the notification to the dead letters."""
        return cls(ok=False, detail=detail, retryable=retryable, status=status)


class Notifier(Protocol):
    """A channel that can deliver a :class:`Notification`."""

    name: str

    def send(self, message: Notification) -> DeliveryResult:
        """Deliver one message; never raise for a failed delivery."""
        ...


class Scrubber:
    """Removes known secret values (tokens, signed URLs, passwords) from text.

    >>> Scrubber(["s3cret"]).scrub("401 for token s3cret")
    '401 for token ***'
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret that contains another is removed whole.
        found = {s for s in secrets if s and len(s) >= 4}
        self._secrets = sorted(found, key=len, reverse=True)

    @classmethod
    def for_url(cls, url: str, *others: str | None) -> Scrubber:
        """A scrubber for a URL that is itself a credential (a Slack webhook): the whole
        URL and its path and query, which servers echo without the host."""
        split = urlsplit(url)
        tail = split.path + (f"?{split.query}" if split.query else "")
        return cls([url, tail if len(tail) > 1 else None, *others])

    def scrub(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text
