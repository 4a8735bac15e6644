"""The release gate: ``POST /api/v1/gate`` answers exactly what ``gate --json`` prints and
records the decision as the CLI does; ``GET /api/v1/gate/decisions`` lists the record."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from sloscope.errors import SourceError
from sloscope.policy.render import gate_json_text
from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, RecordQuery, evaluation_time

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
    record_deployment: bool = Field(
        default=False,
        description="Also record the deployment of version when the gate allows it "
        "(gate --record).",
    )
    commit: str | None = Field(default=None, max_length=64, description="With record_deployment.")


@router.post(
    "/gate",
    summary="Ask the release gate (the gate --json document); the decision is recorded",
    responses={200: {"content": {"application/json": {}}}},
)
def post_gate(body: GateBody, ctx: Context, who: Writer) -> Response:
    """The decision of ``sloscope gate SERVICE --json`` with the same options, recorded in
    the state store as the CLI records it (asked by the token's name).

    200 whatever the decision (allow, warn, freeze, or cannot decide: read ``decision``);
    400 for a bad exception; 404 for an unknown service or journey. The header
    ``X-Sloscope-Deployment`` names the deployment recorded with ``record_deployment``.
    """
    from sloscope.policy.gate import GateException
    from sloscope.records.gating import gate_and_record

    if body.reason is not None and body.exception is None:
        raise HTTPException(400, "reason goes with exception (e.g. exception: hotfix)")
    if body.commit is not None and not body.record_deployment:
        raise HTTPException(400, "commit goes with record_deployment: true")
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
        outcome = gate_and_record(
            ctx.workspace,
            body.service,
            when,
            asked_by=who.name,
            now=ctx.now(),
            memo=ctx.step_memo,
            journey=body.journey,
            version=body.version,
            exception=exception,
            record=body.record_deployment,
            commit=body.commit,
            evaluated=evaluated,
        )
    ctx.audit.record(
        actor=who.name,
        action="gate.decide",
        target=f"service/{body.service}",
        at=ctx.now(),
        decision=outcome.decision.decision,
        version=body.version,
        gate_decision=outcome.record.id,
        deployment=outcome.deployment_id,
    )
    headers = {}
    if outcome.deployment_id is not None:
        headers["X-Sloscope-Deployment"] = str(outcome.deployment_id)
    return Response(
        gate_json_text(outcome.document), media_type="application/json", headers=headers
    )


@router.get("/gate/decisions", summary="Recorded gate decisions, newest first")
def list_decisions(ctx: Context, _who: Reader, query: RecordQuery) -> dict[str, Any]:
    """Every gate decision recorded (by the CLI or the API) about a time in
    ``[from, to)``, a page at a time."""
    from sloscope.records.gating import gate_decisions
    from sloscope.records.render import gate_record_to_dict

    found = gate_decisions(ctx.workspace, service=query.service, begin=query.begin, end=query.end)
    return query.newest_first([gate_record_to_dict(r) for r in found])
