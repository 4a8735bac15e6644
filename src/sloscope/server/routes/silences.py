"""Silences: list, create (attributed to the token), expire."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from sloscope.server.auth import Context, Reader, Writer
from sloscope.server.context import ServerContext
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, LimitQuery, OffsetQuery, page
from sloscope.store.silences import MAX_COMMENT_CHARS, MAX_SILENCE_SECONDS

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["silences"])


class SilenceBody(BaseModel):
    """A new silence: every matcher must match; it lasts ``duration`` from ``starts_at``."""

    model_config = ConfigDict(extra="forbid")

    matchers: list[Annotated[str, Field(min_length=1, max_length=400)]] = Field(
        min_length=1, max_length=20, examples=[["service=checkout", "severity=page"]]
    )
    duration: str = Field(min_length=1, max_length=20, examples=["2h"])
    comment: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)
    starts_at: str | None = Field(default=None, max_length=40)


def create_silence(ctx: ServerContext, body: SilenceBody, author: str) -> dict[str, Any]:
    """Check and store a silence; the rules of ``sloscope silence add``."""
    from sloscope.alerting.matchers import parse_matcher
    from sloscope.spec.durations import parse_duration
    from sloscope.timeparse import parse_time

    now = ctx.now()
    matchers = []
    for text in body.matchers:
        try:
            matchers.append(parse_matcher(text))
        except ValueError as exc:
            raise HTTPException(400, f"matcher {text!r}: {exc}") from None
    try:
        seconds = parse_duration(body.duration)
        begins = now if body.starts_at in (None, "now") else parse_time(body.starts_at, now)
    except ValueError as exc:
        raise HTTPException(400, f"duration or starts_at: {exc}") from None
    if seconds > MAX_SILENCE_SECONDS:
        raise HTTPException(400, "duration: at most 366d; a longer silence is a route change")
    if not body.comment.strip():
        raise HTTPException(400, "comment: say why")
    silence = ctx.workspace.add_silence(
        matchers,
        starts_at=begins,
        ends_at=begins + seconds,
        author=author,
        comment=body.comment.strip(),
        now=now,
    )
    ctx.audit.record(actor=author, action="silence.create", target=f"silence/{silence.id}", at=now)
    return silence.to_dict(now)


def expire_silence(ctx: ServerContext, silence_id: int, actor: str) -> dict[str, Any]:
    """End a silence now (the record is kept)."""
    now = ctx.now()
    silence = ctx.workspace.expire_silence(silence_id, now)
    ctx.audit.record(actor=actor, action="silence.expire", target=f"silence/{silence_id}", at=now)
    return silence.to_dict(now)


@router.get("/silences", summary="Active and upcoming silences (all with all=true)")
def list_silences(
    ctx: Context,
    _who: Reader,
    include_expired: Annotated[bool, Query(alias="all")] = False,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Silences by start time, a page at a time."""
    now = ctx.now()
    found = ctx.workspace.silences(now, include_expired=include_expired)
    return page([s.to_dict(now) for s in found], limit, offset)


@router.post("/silences", status_code=201, summary="Create a silence")
def post_silence(body: SilenceBody, ctx: Context, who: Writer) -> dict[str, Any]:
    """Create a silence; its author is the token's name."""
    return create_silence(ctx, body, who.name)


@router.post("/silences/{silence_id}/expire", summary="Expire a silence now")
def post_expire(
    silence_id: Annotated[int, Path(ge=1, le=2**31 - 1)], ctx: Context, who: Writer
) -> dict[str, Any]:
    """End the silence now."""
    return expire_silence(ctx, silence_id, who.name)
