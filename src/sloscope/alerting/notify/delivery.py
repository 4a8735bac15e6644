"""Delivering notifications through the outbox: enqueue with the alert change, send later.

::

    with store.transaction() as session:
        change = AlertStates(session).apply(...)
        if change.transition is not None:
            enqueue(session, message, receivers(routes, message.routing_labels()), now)
    deliver_due(store, notifiers, now)   # after the commit, and on every loop tick

:func:`deliver_due` claims due rows (a lease, so a second worker skips them), sends each
through its notifier, and settles it: sent; or pending again after an exponential
backoff; or dead (kept, with the last error) after the last attempt or an error no retry
can fix. A process killed at any point loses nothing: an unsent row stays pending, a
claimed one is claimed again when its lease ends. The price is at-least-once delivery: a
kill between a send and its settlement sends that one message again, which is why
PagerDuty events and Alertmanager alerts carry the alert's stable dedup key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from sloscope.alerting.notify.base import DeliveryResult, Notifier
from sloscope.alerting.notify.message import Notification
from sloscope.store.database import StateStore
from sloscope.store.outbox import Outbox, OutboxItem

log = logging.getLogger("sloscope.notify")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``backoff`` seconds, doubled per attempt, capped.

    >>> [RetryPolicy(backoff=30, max_backoff=100).delay(n) for n in (1, 2, 3, 4)]
    [30, 60, 100, 100]
    """

    max_attempts: int = 6
    backoff: int = 30
    max_backoff: int = 3600

    def delay(self, attempts: int) -> int:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return int(min(self.max_backoff, self.backoff * 2 ** max(0, attempts - 1)))


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` call did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0  # claims that ran out before the row could be settled
    failures: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Rows claimed and tried."""
        return self.sent + self.retried + self.dead + self.lost


def event_key(message: Notification) -> str:
    """The outbox event key: one alert's one transition at one time."""
    return f"{message.dedup_key}:{message.transition}:{message.at}"


def enqueue(outbox: Outbox, message: Notification, receivers: Sequence[str], now: int) -> int:
    """Add ``message`` for each receiver (in the caller's transaction); the rows added.

    Enqueueing the same message again (a replayed evaluation) adds nothing.
    """
    payload = message.to_payload()
    added = 0
    for receiver in receivers:
        added += outbox.enqueue(
            event_key=event_key(message),
            alert_key=message.dedup_key,
            transition=message.transition,
            receiver=receiver,
            payload=payload,
            now=now,
        )
    return added


def deliver_due(
    store: StateStore,
    notifiers: Mapping[str, Notifier],
    now: int,
    *,
    policy: RetryPolicy | None = None,
    batch: int = 10,
    max_rows: int = 1000,
    lease_seconds: int = 600,
) -> DeliveryReport:
    """Send every notification due at ``now`` (at most ``max_rows``), ``batch`` per claim.

    ``lease_seconds`` must exceed the time one batch can take (batch × three notifier
    deadlines); a longer lease only delays a retry after a crash.
    """
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    while report.attempted < max_rows:
        with store.transaction() as session:
            items = Outbox(session).claim_due(
                now, limit=min(batch, max_rows - report.attempted), lease_seconds=lease_seconds
            )
        if not items:
            break
        for item in items:
            result = _attempt(item, notifiers)
            with store.transaction() as session:
                _settle(Outbox(session), item, result, policy=policy, now=now, report=report)
    return report


def _attempt(item: OutboxItem, notifiers: Mapping[str, Notifier]) -> DeliveryResult:
    notifier = notifiers.get(item.receiver)
    if notifier is None:
        # The config may have changed since the row was written: retry, the fix may come.
        return DeliveryResult.failed(
            f"no notifier named {item.receiver!r} in sloscope.yaml (notifiers:)", retryable=True
        )
    try:
        message = Notification.from_payload(item.payload)
    except ValidationError as exc:
        return DeliveryResult.failed(
            f"damaged outbox payload ({exc.error_count()} problem(s))", retryable=False
        )
    try:
        return notifier.send(message)
    except Exception as exc:  # a notifier bug must not stop the others; no text, it may leak
        return DeliveryResult.failed(f"notifier raised {type(exc).__name__}", retryable=True)


def _settle(
    outbox: Outbox,
    item: OutboxItem,
    result: DeliveryResult,
    *,
    policy: RetryPolicy,
    now: int,
    report: DeliveryReport,
) -> None:
    where = f"notification {item.id} to {item.receiver!r}"
    if result.ok:
        settled = outbox.mark_sent(item, now)
        outcome = "sent"
    elif result.retryable and item.attempts < policy.max_attempts:
        settled = outbox.retry(item, now + policy.delay(item.attempts), result.detail)
        outcome = "retried"
        report.failures.append(f"{where}: attempt {item.attempts}: {result.detail}")
    else:
        settled = outbox.dead_letter(item, result.detail)
        outcome = "dead"
        report.failures.append(f"{where}: dead after {item.attempts} attempt(s): {result.detail}")
    if not settled:
        outcome = "lost"
        log.warning("%s: its claim ended before it was settled; it will be tried again", where)
    elif not result.ok:
        log.warning("%s %s: %s", where, outcome, result.detail)
    if outcome == "sent":
        report.sent += 1
    elif outcome == "retried":
        report.retried += 1
    elif outcome == "dead":
        report.dead += 1
    else:
        report.lost += 1
