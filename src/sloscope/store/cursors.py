"""Evaluation cursors: the last time each SLO was evaluated, so a restart resumes there.

A cursor only moves forward, so two evaluators (or a restarted one replaying an older
time) never step it back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.store.database import insert_for
from sloscope.store.rows import EvaluationCursorRow


class Cursors:
    """Repository of evaluation cursors (the last evaluated time per SLO)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, slo_id: str) -> int | None:
        """When the SLO was last evaluated (None: never)."""
        row = self.session.get(EvaluationCursorRow, slo_id)
        return None if row is None else row.evaluated_at

    def all(self) -> dict[str, int]:
        """Every SLO's last evaluated time."""
        rows = self.session.scalars(select(EvaluationCursorRow))
        return {row.slo_id: row.evaluated_at for row in rows}

    def advance(self, slo_id: str, evaluated_at: int, now: int) -> int:
        """Move the SLO's cursor to ``evaluated_at`` unless it is already later; the result."""
        insert = insert_for(self.session, EvaluationCursorRow).values(
            slo_id=slo_id, evaluated_at=evaluated_at, updated_at=now
        )
        table = EvaluationCursorRow.__table__
        newer = table.c.evaluated_at < insert.excluded.evaluated_at
        self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.slo_id],
                set_={"evaluated_at": insert.excluded.evaluated_at, "updated_at": now},
                where=newer,
            )
        )
        stored = self.session.scalars(
            select(EvaluationCursorRow.evaluated_at)
            .where(EvaluationCursorRow.slo_id == slo_id)
            .execution_options(populate_existing=True)
        ).one()
        return int(stored)
