"""Deployments: the record (``sloscope deploy record|list``) and the change failure rate
(``sloscope deploy failure-rate``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import (
    API_PREFIX,
    FromQuery,
    RecordQuery,
    ServiceQuery,
    ToQuery,
    event_time,
    time_range,
)

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["deployments"])


class DeploymentBody(BaseModel):
    """A deployment of ``service`` at ``at`` (default now)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=200, examples=["checkout"])
    version: str = Field(min_length=1, max_length=200, examples=["1.2.3"])
    commit: str | None = Field(default=None, max_length=64, examples=["3f9c2ab"])
    at: str | None = Field(default=None, max_length=40)


@router.get("/deployments", summary="Recorded deployments, newest first")
def list_deployments(ctx: Context, _who: Reader, query: RecordQuery) -> dict[str, Any]:
    """Deployments in ``[from, to)`` (the ``deploy list --json`` items), a page at a time."""
    from sloscope.records.incidents import deployments
    from sloscope.records.render import deployment_to_dict

    found = deployments(ctx.workspace, service=query.service, begin=query.begin, end=query.end)
    return query.newest_first([deployment_to_dict(d) for d in found])


@router.post("/deployments", status_code=201, summary="Record a deployment")
def post_deployment(body: DeploymentBody, ctx: Context, who: Writer) -> dict[str, Any]:
    """``sloscope deploy record``: recorded by the token's name; the same service, version
    and time again is kept once (and answered as it was kept)."""
    from sloscope.records.incidents import record_deployment
    from sloscope.records.render import deployment_to_dict

    now = ctx.now()
    kept = record_deployment(
        ctx.workspace,
        body.service,
        version=body.version,
        at=event_time(ctx, body.at),
        by=who.name,
        now=now,
        commit=body.commit,
    )
    ctx.audit.record(
        actor=who.name, action="deployment.record", target=f"deployment/{kept.id}", at=now
    )
    return deployment_to_dict(kept)


@router.get("/deployments/failure-rate", summary="Change failure rate, overall and per service")
def get_failure_rate(
    ctx: Context,
    _who: Reader,
    service: ServiceQuery = None,
    since: FromQuery = None,
    until: ToQuery = None,
) -> dict[str, Any]:
    """The ``deploy failure-rate --json`` document: deployments in ``[from, to)`` (default
    every one up to now) followed by an incident or a page."""
    from sloscope.records.incidents import change_failures
    from sloscope.records.render import change_failures_to_dict

    begin, end = time_range(ctx, since, until)
    begin = 0 if begin is None else begin
    end = ctx.now() if end is None else end
    report = change_failures(ctx.workspace, begin=begin, end=end, service=service)
    return change_failures_to_dict(report, begin, end)
