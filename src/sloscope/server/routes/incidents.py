"""Incidents: list, one with its timeline and impact, open, and the steps of its life
(ack, mitigate, resolve) with the rules and errors of ``sloscope incident ...``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.context import ServerContext
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, RecordQuery, event_time

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["incidents"])

IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The incident's number.")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
#: The steps after ``open``, by the verb that takes an incident there.
STEPS: dict[str, Literal["acknowledged", "mitigated", "resolved"]] = {
    "ack": "acknowledged",
    "mitigate": "mitigated",
    "resolve": "resolved",
}


class IncidentBody(BaseModel):
    """A new incident of ``service``, started at ``at`` (default now)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=200, examples=["checkout"])
    title: str = Field(min_length=1, max_length=2000, examples=["checkout errors after 1.2.3"])
    slos: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    severity: Literal["critical", "major", "minor"] = "major"
    cause_tags: list[Text] = Field(default_factory=list, max_length=50)
    links: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )
    at: str | None = Field(default=None, max_length=40)


class StepBody(BaseModel):
    """When the step happened (default now) and a note for the timeline."""

    model_config = ConfigDict(extra="forbid")

    at: str | None = Field(default=None, max_length=40)
    note: str = Field(default="", max_length=2000)


def incident_document(ctx: ServerContext, incident_id: int) -> dict[str, Any]:
    """``incident show --json``: the incident, its timeline, impact and priority."""
    from sloscope.records.incidents import incident
    from sloscope.records.render import incident_to_dict

    kept = incident(ctx.workspace, incident_id)
    return incident_to_dict(kept) | ctx.impact(kept).to_dict()


@router.get("/incidents", summary="Recorded incidents, newest first")
def list_incidents(
    ctx: Context,
    _who: Reader,
    query: RecordQuery,
    state: Annotated[
        Literal["open", "acknowledged", "mitigated", "resolved"] | None,
        Query(description="Only incidents in this state."),
    ] = None,
) -> dict[str, Any]:
    """The ``incident list --json`` items (repeats flagged) of incidents opened in
    ``[from, to)``, a page at a time."""
    from sloscope.records.incidents import incidents
    from sloscope.records.render import incidents_to_dicts

    found = incidents(
        ctx.workspace, service=query.service, begin=query.begin, end=query.end, state=state
    )
    window = ctx.workspace.config.events.repeat_window_seconds
    return query.newest_first(incidents_to_dicts(found, window))


@router.get("/incidents/{incident_id}", summary="One incident: timeline, impact, linked SLOs")
def get_incident(incident_id: IncidentId, ctx: Context, _who: Reader) -> dict[str, Any]:
    """The ``incident show --json`` document."""
    return incident_document(ctx, incident_id)


@router.post("/incidents", status_code=201, summary="Open an incident")
def post_incident(body: IncidentBody, ctx: Context, who: Writer) -> dict[str, Any]:
    """``sloscope incident open``, opened by the token's name; answers the incident as
    ``GET /incidents/{id}`` does."""
    from sloscope.records.incidents import open_incident

    now = ctx.now()
    kept, _ = open_incident(
        ctx.workspace,
        body.service,
        at=event_time(ctx, body.at),
        title=body.title,
        by=who.name,
        now=now,
        slos=body.slos,
        severity=body.severity,
        cause_tags=body.cause_tags,
        links=body.links,
    )
    ctx.audit.record(actor=who.name, action="incident.open", target=f"incident/{kept.id}", at=now)
    return incident_document(ctx, kept.id)


@router.post("/incidents/{incident_id}/{step}", summary="Acknowledge, mitigate or resolve")
def post_step(
    incident_id: IncidentId,
    step: Literal["ack", "mitigate", "resolve"],
    ctx: Context,
    who: Writer,
    body: StepBody | None = None,
) -> dict[str, Any]:
    """``sloscope incident ack|mitigate|resolve``: 400 when the step cannot follow (twice
    the same, after resolution, before the incident opened or before its mitigation)."""
    from sloscope.records.incidents import advance_incident

    body = body or StepBody()
    now = ctx.now()
    state = STEPS[step]
    advance_incident(
        ctx.workspace,
        incident_id,
        state,
        at=event_time(ctx, body.at),
        by=who.name,
        note=body.note,
    )
    ctx.audit.record(
        actor=who.name, action=f"incident.{step}", target=f"incident/{incident_id}", at=now
    )
    return incident_document(ctx, incident_id)
