"""Query parameters the routers share: evaluation time and pagination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import HTTPException, Query

from sloscope.server.context import ServerContext
from sloscope.timeparse import parse_time

#: Where the API lives; a new major version would live beside it.
API_PREFIX = "/api/v1"

AtQuery = Annotated[
    str | None,
    Query(max_length=40, description="Evaluation time: RFC 3339 or Unix seconds (default now)."),
]
ServiceQuery = Annotated[str | None, Query(max_length=200, description="Only this service.")]
LimitQuery = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]


def evaluation_time(ctx: ServerContext, at: str | None) -> int | None:
    """``at`` as Unix seconds; None (now) when absent; 400 when unreadable."""
    if at is None:
        return None
    try:
        return parse_time(at, now=ctx.clock())
    except ValueError as exc:
        raise HTTPException(400, f"at: {exc}") from None


def page(items: Sequence[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page of ``items``: ``{"items", "total", "limit", "offset", "next_offset"}``."""
    chosen = list(items[offset : offset + limit])
    following = offset + limit
    return {
        "items": chosen,
        "total": len(items),
        "limit": limit,
        "offset": offset,
        "next_offset": following if following < len(items) else None,
    }
