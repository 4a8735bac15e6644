"""Alerts as the evaluator recorded them: the list (by state, service, SLO) and one
alert with its transitions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from sloscope.records.alerts import MAX_ACK_BY_CHARS, MAX_ACK_COMMENT_CHARS
from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.context import ServerContext
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import (
    API_PREFIX,
    LimitQuery,
    OffsetQuery,
    ServiceQuery,
    page,
)

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["alerts"])

AlertStateQuery = Annotated[
    Literal["firing", "pending", "resolved", "inactive", "silenced"] | None,
    Query(
        description="Only alerts in this state; firing and pending leave out those an "
        "active silence covers, silenced lists only those."
    ),
]
SLOQuery = Annotated[str | None, Query(max_length=200, description="Only this SLO.")]
AlertKeyPath = Annotated[str, Path(min_length=1, max_length=64, description="The alert's key.")]


class AckBody(BaseModel):
    """Who acknowledges (default: the token's name) and why."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, min_length=1, max_length=MAX_ACK_BY_CHARS)
    comment: str | None = Field(default=None, max_length=MAX_ACK_COMMENT_CHARS)


@router.get("/alerts", summary="Recorded alerts, the most recent change first")
def list_alerts(
    *,
    ctx: Context,
    _who: Reader,
    state: AlertStateQuery = None,
    service: ServiceQuery = None,
    slo: SLOQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Every alert the evaluator recorded (one per SLO, severity and group), with
    ``silenced`` true when an active silence covers it now; a page at a time."""
    from sloscope.records.alerts import recorded_alerts

    found = recorded_alerts(ctx.workspace, ctx.now(), state=state, service=service, slo=slo)
    return page([a.to_dict() for a in found], limit, offset)


@router.get("/alerts/{key}", summary="One alert and its transitions")
def get_alert(
    key: AlertKeyPath,
    ctx: Context,
    _who: Reader,
) -> dict[str, Any]:
    """The alert with this ``key`` (from the list) and every change of its state, oldest
    first."""
    from sloscope.records.alerts import alert_document

    return alert_document(ctx.workspace, key, ctx.now())


def ack_alert(
    ctx: ServerContext, key: str, *, actor: str, by: str | None, comment: str | None
) -> dict[str, Any]:
    """Acknowledge the alert ``key`` as ``by`` (default ``actor``, the token's name),
    attributed to ``actor``: the API's and the dashboard's one way to do it."""
    from sloscope.records.alerts import acknowledge_alert

    now = ctx.now()
    who = by if by is not None else actor
    alert, first = acknowledge_alert(ctx.workspace, key, by=who, comment=comment, now=now)
    if first:
        ctx.audit.record(actor=actor, action="alert.ack", target=f"alert/{key}", at=now, by=who)
    return alert.to_dict() | {"acknowledged": first}


@router.post("/alerts/{key}/ack", summary="Acknowledge a firing or pending alert")
def post_ack(
    key: AlertKeyPath, ctx: Context, who: Writer, body: AckBody | None = None
) -> dict[str, Any]:
    """Acknowledge the alert (by ``by``, default the token's name): the alert as ``GET``
    shows it, with ``acknowledged`` false when it already was (the first
    acknowledgement is kept, nothing is written). 400 when the alert is neither firing
    nor pending, 404 for an unknown key."""
    body = body or AckBody()
    return ack_alert(ctx, key, actor=who.name, by=body.by, comment=body.comment)
