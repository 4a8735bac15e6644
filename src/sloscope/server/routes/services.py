"""Services and SLOs: the catalogue, each SLO's status, and its history for charts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from sloscope.report.json import slo_to_dict
from sloscope.server.auth import Context, Reader
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import (
    API_PREFIX,
    AtQuery,
    LimitQuery,
    OffsetQuery,
    ServiceQuery,
    evaluation_time,
    page,
)

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["services"])

WidthQuery = Annotated[int, Query(ge=2, le=2000, description="Points per series at most.")]
GroupQuery = Annotated[
    str,
    Query(
        max_length=2000,
        description=(
            "One group of a grouped SLO, written as the report's table and the SLO page "
            'write it (`{route="/orders"}`; report --json\'s `group` object as PromQL label '
            "set): the history of that group only. Omitted or empty: the SLO over all its "
            "series. An SLO without that group: 404."
        ),
    ),
]


@router.get("/services", summary="The services of the specs")
def list_services(
    ctx: Context, _who: Reader, limit: LimitQuery = 100, offset: OffsetQuery = 0
) -> dict[str, Any]:
    """Services with their owner and SLO names, a page at a time."""
    items = [
        {
            "name": s.name,
            "owner": s.owner or None,
            "description": s.description or None,
            "slos": [slo.name for slo in s.slos],
        }
        for s in ctx.services()
    ]
    return page(items, limit, offset)


@router.get("/slos", summary="Every SLO's status, a page at a time")
def list_slos(
    ctx: Context,
    _who: Reader,
    at: AtQuery = None,
    service: ServiceQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """SLOs as in ``report --json``'s ``slos`` list, at ``at``."""
    report = ctx.report(evaluation_time(ctx, at), service)
    return page([slo_to_dict(r) for r in report.results], limit, offset)


@router.get("/services/{service}/slos/{slo}", summary="One SLO's status")
def get_slo(
    service: str, slo: str, ctx: Context, _who: Reader, at: AtQuery = None
) -> dict[str, Any]:
    """One SLO's entry of ``report --json`` at ``at``."""
    chosen, _ = ctx.slo(service, slo)
    report = ctx.service_report(evaluation_time(ctx, at), chosen)
    return next(slo_to_dict(r) for r in report.results if r.slo.name == slo)


@router.get("/services/{service}/slos/{slo}/history", summary="SLI, budget and burn history")
def get_history(
    service: str,
    slo: str,
    ctx: Context,
    _who: Reader,
    *,
    at: AtQuery = None,
    width: WidthQuery = 300,
    group: GroupQuery = "",
) -> dict[str, Any]:
    """The SLO's (or one group's) SLI and budget consumed since its window started, and its
    burn rates, downsampled to at most ``width`` points (burn rates: each point the highest
    of its span).
    """
    chosen, found = ctx.slo(service, slo)
    when = evaluation_time(ctx, at)
    when = ctx.default_at() if when is None else when
    return ctx.history(chosen, found, when, width, group).to_dict()
