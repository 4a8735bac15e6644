"""Operations: liveness, readiness (state store and telemetry source) and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from sloscope.server.auth import Context

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process answers")
def healthz() -> dict[str, str]:
    """Always ``ok`` while the process serves requests."""
    return {"status": "ok"}


_READY = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "checks": {"type": "object"}},
}


@router.get(
    "/readyz",
    summary="The state store and the telemetry source answer (and the server is warm)",
    responses={
        200: {"content": {"application/json": {"schema": _READY}}},
        503: {"description": "Not ready", "content": {"application/json": {"schema": _READY}}},
    },
)
def readyz(ctx: Context) -> JSONResponse:
    """200 when both answer (and, with ``warm_up``, the server is warm), 503 naming
    what is not ready (no secrets in the text)."""
    checks: dict[str, Any] = {}
    try:
        with ctx.store.transaction() as session:
            session.execute(text("SELECT 1"))
        checks["state_store"] = "ok"
    except Exception as exc:
        checks["state_store"] = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
    checks["source"] = _source_check(ctx)
    if ctx.settings.warm_up:
        # Until every status is evaluated once, requests would wait for evaluations.
        checks["warm"] = "ok" if ctx.warm.is_set() else "warming up"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def _source_check(ctx: Any) -> str:
    """A tiny fetch (the first SLO's last step) proves the source answers."""
    try:
        services = ctx.services()
        slos = [(s, slo) for s in services for slo in s.slos]
        step = ctx.workspace.config.step_seconds
        end = ctx.default_at()
        with ctx.telemetry_lock:
            source = ctx.workspace.source()
            try:
                if slos:
                    source.fetch([slos[0][1].sli], end - step, end, step)
            finally:
                source.close()
        return "ok"
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {str(exc)[:200]}"


@router.get(
    "/metrics",
    summary="The server's own Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(ctx: Context) -> Response:
    """Request latency, evaluation duration and lag, notification outcomes."""
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
