"""Query parameters the routers share: evaluation time, time ranges and pagination."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from sloscope.server.auth import context
from sloscope.server.context import ServerContext
from sloscope.timeparse import parse_time

#: Where the API lives; a new major version would live beside it.
API_PREFIX = "/api/v1"

AtQuery = Annotated[
    str | None,
    Query(max_length=40, description="Evaluation time: RFC 3339 or Unix seconds (default now)."),
]
ServiceQuery = Annotated[str | None, Query(max_length=200, description="Only this service.")]
FromQuery = Annotated[
    str | None,
    Query(alias="from", max_length=40, description="From this time: RFC 3339 or Unix seconds."),
]
ToQuery = Annotated[
    str | None,
    Query(alias="to", max_length=40, description="Up to this time (exclusive)."),
]
LimitQuery = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]


def evaluation_time(ctx: ServerContext, at: str | None) -> int | None:
    """``at`` as Unix seconds; None (now) when absent; 400 when unreadable."""
    return _time(ctx, "at", at)


def event_time(ctx: ServerContext, at: str | None) -> int:
    """When something recorded happened: ``at`` as Unix seconds, now when absent; 400
    when unreadable."""
    when = _time(ctx, "at", at)
    return ctx.now() if when is None else when


def time_range(
    ctx: ServerContext, since: str | None, until: str | None
) -> tuple[int | None, int | None]:
    """``from`` and ``to`` as Unix seconds (None: open); 400 when unreadable or out of
    order, with the same words as the CLI's ``--from``/``--to``."""
    begin = _time(ctx, "from", since)
    end = _time(ctx, "to", until)
    if begin is not None and end is not None and end <= begin:
        raise HTTPException(400, "to must be after from")
    return begin, end


def _time(ctx: ServerContext, name: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_time(text, now=ctx.clock())
    except ValueError as exc:
        raise HTTPException(400, f"{name}: {exc}") from None


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


@dataclass(frozen=True)
class RecordFilter:
    """What a list of records asks for: a service, a time range ``[begin, end)`` (None:
    open), and a page."""

    service: str | None
    begin: int | None
    end: int | None
    limit: int
    offset: int

    def newest_first(self, items: Sequence[Any]) -> dict[str, Any]:
        """One page of ``items`` (given oldest first, as the store keeps them), newest
        first."""
        return page(items[::-1], self.limit, self.offset)


def record_filter(
    request: Request,
    *,
    service: ServiceQuery = None,
    since: FromQuery = None,
    until: ToQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> RecordFilter:
    """Dependency of record lists: ``service``, ``from``, ``to``, ``limit``, ``offset``."""
    begin, end = time_range(context(request), since, until)
    return RecordFilter(service, begin, end, limit, offset)


RecordQuery = Annotated[RecordFilter, Depends(record_filter)]
