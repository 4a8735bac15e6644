"""``POST /api/v1/ingest``: telemetry into the embedded store, all or nothing."""

from __future__ import annotations

import io
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request

from sloscope.server.auth import Context, Writer
from sloscope.server.problems import RESPONSES
from sloscope.server.routes.params import API_PREFIX

router = APIRouter(prefix=API_PREFIX, responses=RESPONSES, tags=["telemetry"])


class IngestFormat(StrEnum):
    """Body formats: OpenMetrics text (seconds) or Prometheus text (milliseconds)."""

    openmetrics = "openmetrics"
    prometheus = "prometheus"


@router.post(
    "/ingest",
    summary="Load telemetry (OpenMetrics text) into the embedded store",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def post_ingest(
    request: Request, ctx: Context, who: Writer, format: IngestFormat = IngestFormat.openmetrics
) -> dict[str, Any]:
    """Like ``sloscope ingest``: a bad line stores nothing and is named in the 400 answer.

    The body is limited (10 MiB by default; 413 above); send a larger file in parts.
    """
    from starlette.concurrency import run_in_threadpool

    body = await request.body()

    def load() -> dict[str, Any]:
        stream = io.BytesIO(body)
        stream.name = "request body"  # what the error messages call it: "request body:3: ..."
        with ctx.telemetry_lock:
            result = ctx.workspace.ingest(stream, format.value)
        ctx.telemetry_changed()
        return result.to_dict()

    result = await run_in_threadpool(load)
    ctx.audit.record(
        actor=who.name, action="telemetry.ingest", target="telemetry", at=ctx.now(), bytes=len(body)
    )
    return result
