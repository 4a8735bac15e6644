"""Budget adjustments as the server lists, makes and deletes them.

An adjustment made through the API is checked by the model that checks
``sloscope.yaml``'s ``adjustments:`` (:class:`~sloscope.alerting.settings.AdjustmentConfig`)
and stored in its written form; :meth:`~sloscope.workspace.Workspace.adjustments` applies
both kinds to every evaluation. Those of ``sloscope.yaml`` are listed (without an id) but
changed only in the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sloscope.timeparse import format_time

if TYPE_CHECKING:
    from sloscope.alerting.settings import AdjustmentConfig
    from sloscope.store.adjustments import StoredAdjustment
    from sloscope.workspace import Workspace


def _entry(
    written: AdjustmentConfig, *, source: str, stored: StoredAdjustment | None = None
) -> dict[str, Any]:
    adjustment = written.to_adjustment()
    return {
        "id": stored.id if stored is not None else None,
        "source": source,
        **written.model_dump(mode="json"),
        "starts_at": format_time(adjustment.start),
        "duration_seconds": adjustment.duration,
        "created_by": stored.created_by if stored is not None else None,
        "created_at": format_time(stored.created_at) if stored is not None else None,
    }


def adjustment_to_dict(stored: StoredAdjustment) -> dict[str, Any]:
    """An adjustment made through the API, as written plus its start and length read."""
    from sloscope.alerting.settings import AdjustmentConfig

    return _entry(AdjustmentConfig(**stored.spec), source="api", stored=stored)


def list_adjustments(ws: Workspace) -> list[dict[str, Any]]:
    """Every adjustment: ``sloscope.yaml``'s (``source: config``, no id), then those made
    through the API (``source: api``), oldest first."""
    from sloscope.store.adjustments import Adjustments

    found = [_entry(a, source="config") for a in ws.config.adjustments]
    if ws.has_state():
        with ws.open_state() as store, store.transaction() as session:
            found += [adjustment_to_dict(a) for a in Adjustments(session).find()]
    return found


def add_adjustment(
    ws: Workspace, written: AdjustmentConfig, *, by: str, now: int
) -> StoredAdjustment:
    """Store an adjustment checked by ``sloscope.yaml``'s model (a bad field raised when
    ``written`` was made, before anything is written)."""
    from sloscope.records.gating import check_name
    from sloscope.store.adjustments import Adjustments

    written.to_adjustment()
    by = check_name(by, "by")
    with ws.open_state() as store, store.transaction() as session:
        return Adjustments(session).add(
            written.model_dump(mode="json", exclude_none=True), by=by, now=now
        )


def delete_adjustment(ws: Workspace, adjustment_id: int) -> StoredAdjustment:
    """Remove an adjustment made through the API; :class:`NotFoundError` when none is."""
    from sloscope.store.adjustments import Adjustments

    with ws.open_state() as store, store.transaction() as session:
        return Adjustments(session).delete(adjustment_id)
