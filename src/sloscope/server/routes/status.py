"""``GET /api/v1/status``: exactly what ``sloscope report --json`` prints, with an ETag."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response

from sloscope.records.report_sections import report_json
from sloscope.server.auth import Context, Reader
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX, AtQuery, ServiceQuery, evaluation_time

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["status"])


@router.get(
    "/status",
    summary="Every SLO's status (the report --json document)",
    responses={200: {"content": {"application/json": {}}}, 304: {"description": "Unchanged"}},
)
def status(
    request: Request, ctx: Context, _who: Reader, at: AtQuery = None, service: ServiceQuery = None
) -> Response:
    """The ``report --json`` document for the same ``at`` and ``service`` (its ``audit``
    key included when the audit log has entries of the 28 days before ``at``).

    Conditional: send the ``ETag`` back as ``If-None-Match`` to get 304 when unchanged.
    """
    when = evaluation_time(ctx, at)
    body = report_json(ctx.workspace, ctx.report(when, service), service).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    wanted = request.headers.get("if-none-match", "")
    if etag in [tag.strip() for tag in wanted.split(",")] or wanted.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
