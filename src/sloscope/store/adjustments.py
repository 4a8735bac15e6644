"""Budget adjustments made through the API, kept in their written form.

``sloscope.yaml``'s ``adjustments:`` are configuration; these are the same entries made
while the server runs (``POST /api/v1/adjustments``). Each row holds the entry as
written (``reason``, ``start``, ``duration`` or ``end``, ``rrule``, ``matchers``,
``kind``), checked by the model that checks ``sloscope.yaml``'s before it is stored, and
read back through it. Deleting one ends its effect on every figure, past ones included,
as removing it from ``sloscope.yaml`` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.errors import NotFoundError
from sloscope.store.rows import AdjustmentRow


@dataclass(frozen=True)
class StoredAdjustment:
    """An adjustment made through the API: its written form, who made it and when."""

    id: int
    spec: dict[str, Any]
    created_by: str
    created_at: int


class Adjustments:
    """Repository of API-made budget adjustments, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, spec: Mapping[str, Any], *, by: str, now: int) -> StoredAdjustment:
        """Store an adjustment's written form (already validated) and return it."""
        row = AdjustmentRow(spec=dict(spec), created_by=by, created_at=now)
        self.session.add(row)
        self.session.flush()
        return _adjustment(row)

    def find(self) -> list[StoredAdjustment]:
        """Every stored adjustment, oldest first."""
        query = select(AdjustmentRow).order_by(AdjustmentRow.id)
        return [_adjustment(row) for row in self.session.scalars(query)]

    def delete(self, adjustment_id: int) -> StoredAdjustment:
        """Remove an adjustment and return it; :class:`NotFoundError` when there is none."""
        row = self.session.get(AdjustmentRow, adjustment_id, with_for_update=True)
        if row is None:
            raise NotFoundError(
                f"no adjustment {adjustment_id} made through the API; list them: "
                "GET /api/v1/adjustments (those of sloscope.yaml are changed there)"
            )
        gone = _adjustment(row)
        self.session.delete(row)
        self.session.flush()
        return gone


def _adjustment(row: AdjustmentRow) -> StoredAdjustment:
    return StoredAdjustment(
        id=row.id, spec=dict(row.spec), created_by=row.created_by, created_at=row.created_at
    )
