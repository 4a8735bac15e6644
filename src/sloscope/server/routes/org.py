"""``GET /api/v1/report/org``: what ``sloscope report --org --format json`` prints."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sloscope.server.auth import Context, Reader
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, FromQuery, ToQuery, time_range

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["report"])


@router.get(
    "/report/org",
    summary="The org report (the report --org --format json document)",
    responses={200: {"content": {"application/json": {}}}},
)
def get_org_report(
    ctx: Context, _who: Reader, since: FromQuery = None, until: ToQuery = None
) -> Response:
    """SLO adoption, alerts, MTTR, change failure rate and more over ``[from, to)``
    (default: the week up to now), exactly as the CLI prints it for the same range."""
    from sloscope.records.org import DEFAULT_RANGE_SECONDS
    from sloscope.report.org.render import render_org_json

    begin, end = time_range(ctx, since, until)
    end = ctx.now() if end is None else end
    begin = end - DEFAULT_RANGE_SECONDS if begin is None else begin
    figures = ctx.org_report(begin, end)
    return Response(render_org_json(figures), media_type="application/json")
