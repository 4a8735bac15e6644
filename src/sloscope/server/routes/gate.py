"""``POST /api/v1/gate``: the release gate, answering exactly what ``gate --json`` prints."""

from __future__ import annotations

from contextlib import nullcontext

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from sloscope.errors import SourceError
from sloscope.policy.render import render_gate_json
from sloscope.server.auth import Context, Writer
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, evaluation_time

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["gate"])


class GateBody(BaseModel):
    """May ``service`` release ``version`` now (or at ``at``)?"""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=200, examples=["checkout"])
    journey: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, max_length=200)
    exception: str | None = Field(default=None, max_length=100, examples=["hotfix"])
    reason: str | None = Field(default=None, max_length=2000)
    at: str | None = Field(default=None, max_length=40)


@router.post(
    "/gate",
    summary="Ask the release gate (the gate --json document)",
    responses={200: {"content": {"application/json": {}}}},
)
def post_gate(body: GateBody, ctx: Context, who: Writer) -> Response:
    """The decision of ``sloscope gate SERVICE --json`` with the same options.

    200 whatever the decision (allow, warn, freeze, or cannot decide: read ``decision``);
    400 for a bad exception; 404 for an unknown service or journey.
    """
    from sloscope.policy.gate import GateException

    if body.reason is not None and body.exception is None:
        raise HTTPException(400, "reason goes with exception (e.g. exception: hotfix)")
    when = evaluation_time(ctx, body.at)
    service = ctx.service(body.service)
    exception = (
        GateException(body.exception, body.reason or "") if body.exception is not None else None
    )
    try:
        evaluated = ctx.service_report(when, service)
        when = evaluated.at
    except SourceError:
        evaluated = None  # the gate itself decides without data, as the CLI does
        when = ctx.default_at() if when is None else when
    with ctx.telemetry_lock if evaluated is None else nullcontext():
        decision = ctx.workspace.gate(
            body.service,
            when,
            journey=body.journey,
            version=body.version,
            exception=exception,
            evaluated=evaluated,
        )
    ctx.audit.record(
        actor=who.name,
        action="gate.decide",
        target=f"service/{body.service}",
        at=ctx.now(),
        decision=decision.decision,
        version=body.version,
    )
    return Response(render_gate_json(decision), media_type="application/json")
