"""The notification outbox: what must be delivered, written in the same transaction as the
alert change that caused it, so a crash can lose neither.

A row's life: ``pending`` (due at ``next_attempt_at``) → claimed by a worker for a lease
→ ``sent``, or back to ``pending`` with a later ``next_attempt_at`` (a retry), or ``dead``
after the last attempt (kept as the dead-letter record, with the last error).

Claiming is safe with several workers: PostgreSQL skips rows another worker has locked
(``FOR UPDATE SKIP LOCKED``); SQLite serialises claimers with ``BEGIN IMMEDIATE``. A
claim writes a token and a lease end; only the holder of the token can settle the row,
and a worker killed mid-send leaves the row to be claimed again after the lease.

The repository runs Core statements on :data:`~sloscope.store.tables.notification_outbox`,
so a gate that crossed a budget step enqueues on its connection without the ORM.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update

from sloscope.store.database import insert_for
from sloscope.store.tables import OUTBOX_STATUSES, TRANSITIONS, notification_outbox

if TYPE_CHECKING:
    from sqlalchemy import Row

    from sloscope.store.database import Executor

_OUTBOX = notification_outbox.c

#: Stored errors are cut to this many characters.
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class OutboxItem:
    """One outbox row as a worker sees it."""

    id: int
    event_key: str
    alert_key: str
    transition: str
    receiver: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: int
    claim_token: str | None
    last_error: str | None
    created_at: int
    sent_at: int | None


class Outbox:
    """Repository of the notification outbox, within one session's transaction."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def enqueue(
        self,
        *,
        event_key: str,
        alert_key: str,
        transition: str,
        receiver: str,
        payload: Mapping[str, Any],
        now: int,
    ) -> bool:
        """Add a notification for ``receiver``, due now; False when it is already there.

        ``event_key`` names the event (an alert's firing at a time): enqueueing the same
        event for the same receiver twice, from one process or two, keeps one row.
        """
        if transition not in TRANSITIONS:
            raise ValueError(f"unknown transition {transition!r}; one of {', '.join(TRANSITIONS)}")
        insert = insert_for(self.session, notification_outbox).values(
            event_key=event_key,
            alert_key=alert_key,
            transition=transition,
            receiver=receiver,
            payload=dict(payload),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        result = self.session.execute(insert.on_conflict_do_nothing().returning(_OUTBOX.id))
        return result.scalar_one_or_none() is not None

    def claim_due(
        self, now: int, *, limit: int = 100, lease_seconds: int = 120
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` due rows for ``lease_seconds``, counting one attempt each.

        The caller should commit right away (end the transaction) so other workers see
        the claim, then send, then settle each row with its token.
        """
        due = (
            select(notification_outbox)
            .where(
                _OUTBOX.status == "pending",
                _OUTBOX.next_attempt_at <= now,
                or_(_OUTBOX.claimed_until.is_(None), _OUTBOX.claimed_until <= now),
            )
            .order_by(_OUTBOX.next_attempt_at, _OUTBOX.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        items = [_item(row) for row in self.session.execute(due)]
        if not items:
            return []
        token = uuid.uuid4().hex
        self.session.execute(
            update(notification_outbox)
            .where(_OUTBOX.id.in_([item.id for item in items]))
            .values(
                claim_token=token,
                claimed_until=now + lease_seconds,
                attempts=_OUTBOX.attempts + 1,
            )
        )
        return [replace(item, claim_token=token, attempts=item.attempts + 1) for item in items]

    def mark_sent(self, item: OutboxItem, now: int) -> bool:
        """Settle a claimed row as sent; False when the claim was lost (lease ended)."""
        return self._settle(item, status="sent", sent_at=now, claimed_until=None)

    def retry(self, item: OutboxItem, next_attempt_at: int, error: str) -> bool:
        """Put a claimed row back as pending, due at ``next_attempt_at``, with its error."""
        return self._settle(
            item,
            status="pending",
            next_attempt_at=next_attempt_at,
            last_error=error[:MAX_ERROR_CHARS],
            claimed_until=None,
        )

    def dead_letter(self, item: OutboxItem, error: str) -> bool:
        """Settle a claimed row as dead: no more attempts, the error kept."""
        return self._settle(
            item, status="dead", last_error=error[:MAX_ERROR_CHARS], claimed_until=None
        )

    def _settle(self, item: OutboxItem, **values: Any) -> bool:
        result = self.session.execute(
            update(notification_outbox)
            .where(_OUTBOX.id == item.id, _OUTBOX.claim_token == item.claim_token)
            .values(claim_token=None, **values)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def find(
        self, *, status: str | None = None, receiver: str | None = None, limit: int = 1000
    ) -> list[OutboxItem]:
        """Rows, oldest first, optionally of one status or receiver."""
        if status is not None and status not in OUTBOX_STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {', '.join(OUTBOX_STATUSES)}")
        query = select(notification_outbox).order_by(_OUTBOX.id).limit(limit)
        if status is not None:
            query = query.where(_OUTBOX.status == status)
        if receiver is not None:
            query = query.where(_OUTBOX.receiver == receiver)
        return [_item(row) for row in self.session.execute(query)]

    def counts(self) -> dict[str, int]:
        """How many rows are in each status (every status present, maybe 0)."""
        found = dict.fromkeys(OUTBOX_STATUSES, 0)
        query = select(_OUTBOX.status, func.count()).group_by(_OUTBOX.status)
        for status, count in self.session.execute(query):
            found[status] = int(count)
        return found


def _item(row: Row[Any]) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        event_key=row.event_key,
        alert_key=row.alert_key,
        transition=row.transition,
        receiver=row.receiver,
        payload=dict(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claim_token=row.claim_token,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
