"""Gate overrides (``sloscope override``) and the audit log (``sloscope audit``): who
lifted which freeze, until when and why; every exception used."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, RecordQuery

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["overrides"])


class OverrideBody(BaseModel):
    """Lift ``service``'s freezes until ``until`` (required: at most 30 days from now)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=200, examples=["checkout"])
    reason: str = Field(min_length=1, max_length=2000, examples=["fix for INC-42"])
    until: str = Field(
        min_length=1,
        max_length=40,
        description="RFC 3339, Unix seconds, or a duration from now (4h).",
        examples=["4h"],
    )
    by: str | None = Field(
        default=None, max_length=200, description="Who lifts it (default the token's name)."
    )
    journey: str | None = Field(default=None, max_length=200)


@router.get("/overrides", summary="Overrides granted, newest first (expired ones too)")
def list_overrides(ctx: Context, _who: Reader, query: RecordQuery) -> dict[str, Any]:
    """Overrides that started in ``[from, to)``, as ``override --json`` prints each."""
    from sloscope.records.gating import overrides
    from sloscope.records.render import override_to_dict

    found = overrides(ctx.workspace, service=query.service, begin=query.begin, end=query.end)
    return query.newest_first([override_to_dict(o) for o in found])


@router.post("/overrides", status_code=201, summary="Lift a service's freezes until a time")
def post_override(body: OverrideBody, ctx: Context, who: Writer) -> dict[str, Any]:
    """``sloscope override SERVICE --by --reason --until``: the override and its audit
    entry, from now until ``until``; 400 without a reason or beyond 30 days."""
    from sloscope.records.gating import grant_override
    from sloscope.records.render import override_to_dict
    from sloscope.timeparse import parse_expiry

    now = ctx.now()
    try:
        expires = parse_expiry(body.until, now)
    except ValueError as exc:
        raise HTTPException(400, f"until: {exc}") from None
    kept = grant_override(
        ctx.workspace,
        body.service,
        by=who.name if body.by is None else body.by,
        reason=body.reason,
        until=expires,
        since=now,
        now=now,
        journey=body.journey,
    )
    ctx.audit.record(
        actor=who.name,
        action="override.create",
        target=f"override/{kept.id}",
        at=now,
        service=body.service,
    )
    return override_to_dict(kept)


@router.get("/audit", summary="The audit log, newest first")
def list_audit(ctx: Context, _who: Reader, query: RecordQuery) -> dict[str, Any]:
    """Every override granted and exception used in ``[from, to)`` (the ``audit --json``
    entries), a page at a time."""
    from sloscope.records.gating import audit_entries
    from sloscope.records.render import audit_to_dict

    found = audit_entries(ctx.workspace, service=query.service, begin=query.begin, end=query.end)
    return query.newest_first([audit_to_dict(e) for e in found])
