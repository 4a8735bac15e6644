"""Alert history as the event figures read it: each time an alert started firing.

Read-only over the alert tables (:mod:`sloscope.store.alerts` writes them), joined so a
firing names its service, SLO and severity.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def firings(session: Session, *, begin: int | None = None, end: int | None = None) -> list[Firing]:
    """Every transition to ``firing`` in ``[begin, end)``, oldest first."""
    query = (
        select(
            AlertTransitionRow.dedup_key,
            AlertStateRow.service,
            AlertStateRow.slo,
            AlertStateRow.severity,
            AlertTransitionRow.at,
        )
        .join(AlertStateRow, AlertStateRow.id == AlertTransitionRow.alert_id)
        .where(AlertTransitionRow.to_state == "firing")
        .order_by(AlertTransitionRow.at, AlertTransitionRow.id)
    )
    query = in_range(query, AlertTransitionRow.at, begin, end)
    return [Firing(*row) for row in session.execute(query)]
