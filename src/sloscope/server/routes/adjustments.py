"""Budget adjustments: list (``sloscope.yaml``'s and the API's), make, delete.

A new adjustment's body is an entry of ``sloscope.yaml``'s ``adjustments:`` as JSON,
checked by the same model: a bad field (an ``rrule`` that does not parse, an ``end``
before ``start``) is a 422 naming it, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import ConfigDict

from sloscope.alerting.settings import AdjustmentConfig
from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, LimitQuery, OffsetQuery, page

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["adjustments"])


class AdjustmentBody(AdjustmentConfig):
    """An ``adjustments:`` entry of ``sloscope.yaml``, as a request body.

    The settings models build their schema on first use (a CLI start need not pay for
    them); a request body's schema is built when its route is declared.
    """

    model_config = ConfigDict(defer_build=False)  # merged with the parent's config


AdjustmentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The adjustment's id.")]


@router.get("/adjustments", summary="Budget adjustments: sloscope.yaml's, then the API's")
def list_adjustments(
    ctx: Context, _who: Reader, limit: LimitQuery = 100, offset: OffsetQuery = 0
) -> dict[str, Any]:
    """Every adjustment as written, with its first start and length read, a page at a
    time; those of ``sloscope.yaml`` have ``source: config`` and no id."""
    from sloscope.records.adjustments import list_adjustments as listed

    return page(listed(ctx.workspace), limit, offset)


@router.post("/adjustments", status_code=201, summary="Exclude a period from the error budget")
def post_adjustment(body: AdjustmentBody, ctx: Context, who: Writer) -> dict[str, Any]:
    """Make an adjustment (an ``adjustments:`` entry of ``sloscope.yaml``): from the next
    evaluation on, its periods count no events and no alert fires during them."""
    from sloscope.records.adjustments import add_adjustment, adjustment_to_dict

    now = ctx.now()
    kept = add_adjustment(ctx.workspace, body, by=who.name, now=now)
    ctx.telemetry_changed()  # cached statuses were evaluated without it
    ctx.audit.record(
        actor=who.name, action="adjustment.create", target=f"adjustment/{kept.id}", at=now
    )
    return adjustment_to_dict(kept)


@router.delete("/adjustments/{adjustment_id}", summary="Delete an adjustment made through the API")
def delete_adjustment(adjustment_id: AdjustmentId, ctx: Context, who: Writer) -> dict[str, Any]:
    """Remove it (its periods count again, past figures included); answers what was
    removed. Those of ``sloscope.yaml`` are removed from the file."""
    from sloscope.records.adjustments import adjustment_to_dict
    from sloscope.records.adjustments import delete_adjustment as delete

    gone = delete(ctx.workspace, adjustment_id)
    ctx.telemetry_changed()
    ctx.audit.record(
        actor=who.name,
        action="adjustment.delete",
        target=f"adjustment/{adjustment_id}",
        at=ctx.now(),
    )
    return adjustment_to_dict(gone)
