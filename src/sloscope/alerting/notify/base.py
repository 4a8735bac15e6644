"""The one interface every notifier implements, and what a delivery attempt returns.

::

    class Notifier(Protocol):
        name: str
        def send(self, message: Notification) -> DeliveryResult: ...

A notifier never raises for a failed delivery: it returns a :class:`DeliveryResult`
saying whether to retry, with a detail from which every secret has been removed
(:class:`~sloscope.secrets.Scrubber`), because that detail is logged and stored in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sloscope.alerting.notify.message import Notification


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
