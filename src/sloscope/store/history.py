"""Alert history as the event figures and the dashboard read it: each time an alert
started firing, and every change of state.

Read-only over the alert tables (:mod:`sloscope.store.alerts` writes them), joined so a
firing names its service, SLO and severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.store.database import in_range
from sloscope.store.rows import AlertStateRow, AlertTransitionRow, AuditRow


@dataclass(frozen=True)
class Firing:
    """An alert that started firing at ``at`` (one per firing span)."""

    dedup_key: str
    service: str
    slo: str
    severity: str
    at: int


def _with_alert(*columns: Any) -> Any:
    """A select of ``columns`` over transitions joined to the alert each belongs to."""
    return select(*columns).join(AlertStateRow, AlertStateRow.id == AlertTransitionRow.alert_id)


def firings(session: Session, *, begin: int | None = None, end: int | None = None) -> list[Firing]:
    """Every transition to ``firing`` in ``[begin, end)``, oldest first."""
    query = (
        _with_alert(AlertTransitionRow.dedup_key, AlertStateRow.service, AlertStateRow.slo)
        .add_columns(AlertStateRow.severity, AlertTransitionRow.at)
        .where(AlertTransitionRow.to_state == "firing")
        .order_by(AlertTransitionRow.at, AlertTransitionRow.id)
    )
    query = in_range(query, AlertTransitionRow.at, begin, end)
    return [Firing(*row) for row in session.execute(query)]


def acknowledged_firings(session: Session) -> set[tuple[str, int]]:
    """The firings (dedup key, time it started firing) someone acknowledged.

    An ``ack`` audit entry names the alert and the state and ``since`` of the episode it
    acknowledged: the firing itself, or the pending that the firing followed. Read from
    the append-only audit log, so an acknowledgement still counts after the alert fired
    again (which clears the alert's ``acked_at``).
    """
    acks = set()
    for (detail,) in session.execute(select(AuditRow.detail).where(AuditRow.kind == "ack")):
        acks.add((str(detail.get("key")), str(detail.get("state")), detail.get("since")))
    if not acks:
        return set()
    query = (
        select(
            AlertTransitionRow.dedup_key,
            AlertTransitionRow.from_state,
            AlertTransitionRow.to_state,
            AlertTransitionRow.at,
        )
        .where(AlertTransitionRow.dedup_key.in_({key for key, _, _ in acks}))
        .order_by(AlertTransitionRow.dedup_key, AlertTransitionRow.at, AlertTransitionRow.id)
    )
    found: set[tuple[str, int]] = set()
    previous: tuple[str, str, int] | None = None  # (key, to_state, at) of the last change
    for key, from_state, to_state, at in session.execute(query):
        if to_state == "firing":
            episode = {(key, "firing", at)}
            if previous is not None and previous[0] == key and from_state == "pending":
                episode.add((key, "pending", previous[2]))
            if episode & acks:
                found.add((key, at))
        previous = (key, to_state, at)
    return found


@dataclass(frozen=True)
class AlertChangeRecord:
    """One recorded change of an alert's state, with the alert it belongs to."""

    dedup_key: str
    service: str
    slo: str
    severity: str
    group_key: str
    from_state: str | None
    to_state: str
    at: int
    burn_rate: float | None


def alert_changes(
    session: Session,
    *,
    service: str | None = None,
    slo: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AlertChangeRecord]:
    """Alert state changes, newest first, optionally of one service (and SLO), a page
    of ``limit`` after skipping ``offset``."""
    query = (
        _with_alert(AlertTransitionRow.dedup_key, AlertStateRow.service, AlertStateRow.slo)
        .add_columns(
            AlertStateRow.severity,
            AlertStateRow.group_key,
            AlertTransitionRow.from_state,
            AlertTransitionRow.to_state,
            AlertTransitionRow.at,
            AlertTransitionRow.burn_rate,
        )
        .order_by(AlertTransitionRow.at.desc(), AlertTransitionRow.id.desc())
    )
    if service is not None:
        query = query.where(AlertStateRow.service == service)
    if slo is not None:
        query = query.where(AlertStateRow.slo == slo)
    query = query.limit(limit).offset(offset)
    return [AlertChangeRecord(*row) for row in session.execute(query)]
