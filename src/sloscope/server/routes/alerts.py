"""Alerts as the evaluator recorded them: the list (by state, service, SLO) and one
alert with its transitions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from sloscope.server.auth import Context, Reader
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
    Literal["firing", "pending", "resolved", "silenced"] | None,
    Query(
        description="Only alerts in this state; firing and pending leave out those an "
        "active silence covers, silenced lists only those."
    ),
]
SLOQuery = Annotated[str | None, Query(max_length=200, description="Only this SLO.")]


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
    key: Annotated[str, Path(min_length=1, max_length=64, description="The alert's key.")],
    ctx: Context,
    _who: Reader,
) -> dict[str, Any]:
    """The alert with this ``key`` (from the list) and every change of its state, oldest
    first."""
    from sloscope.records.alerts import alert_history, transition_to_dict

    alert, transitions = alert_history(ctx.workspace, key, ctx.now())
    return alert.to_dict() | {"transitions": [transition_to_dict(t) for t in transitions]}
