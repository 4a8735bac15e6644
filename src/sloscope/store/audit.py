"""The append-only audit log: every override granted and every exception used.

The repository only adds and reads; nothing in sloscope updates or deletes an entry,
so the log says who lifted which freeze, when and why, for as long as the store lives.
It runs Core statements on :data:`~sloscope.store.tables.audit_log` (the gate appends
through it without building the ORM's mappers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from sloscope.store.database import newest_first, time_ordered
from sloscope.store.tables import AUDIT_KINDS, audit_log

if TYPE_CHECKING:
    from sqlalchemy import Row

    from sloscope.store.database import Executor


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry: ``kind`` (``override`` or ``exception``), who, why, and details."""

    id: int
    at: int
    kind: str
    service: str
    by: str
    reason: str
    detail: dict[str, Any]


class AuditLog:
    """Repository of the audit log, within one transaction."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def append(
        self,
        *,
        at: int,
        kind: str,
        service: str,
        by: str,
        reason: str,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Add an entry and return it with its id."""
        if kind not in AUDIT_KINDS:
            raise ValueError(f"unknown audit kind {kind!r}; one of {', '.join(AUDIT_KINDS)}")
        added = insert(audit_log).values(
            at=at, kind=kind, service=service, by=by, reason=reason, detail=dict(detail or {})
        )
        return _entry(self.session.execute(added.returning(*audit_log.c)).one())

    def find(
        self,
        *,
        service: str | None = None,
        begin: int | None = None,
        end: int | None = None,
        limit: int = 10_000,
    ) -> list[AuditEntry]:
        """Entries in time order, optionally of one service and in ``[begin, end)``."""
        query = time_ordered(audit_log, audit_log.c.at, service=service, begin=begin, end=end)
        return [_entry(row) for row in self.session.execute(query.limit(limit))]

    def newest(self, *, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
        """Entries newest first, a page of ``limit`` after skipping ``offset``."""
        query = newest_first(audit_log, audit_log.c.at).limit(limit).offset(offset)
        return [_entry(row) for row in self.session.execute(query)]


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        kind=row.kind,
        service=row.service,
        by=row.by,
        reason=row.reason,
        detail=dict(row.detail),
    )
