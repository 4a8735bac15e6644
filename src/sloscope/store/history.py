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
from sloscope.store.tables import AlertStateRow, AlertTransitionRow


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
