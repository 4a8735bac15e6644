"""One error body for every failure: RFC 7807 ``application/problem+json``.

``{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "...",
"instance": "/api/v1/...", "request_id": "..."}``. The detail is sloscope's own message
(what is wrong, how to fix it); an unexpected exception's text is never sent, since it
may hold a path or a secret: its class name and the request id are logged instead.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sloscope.errors import (
    ConfigError,
    IngestError,
    NotFoundError,
    RequestError,
    SloscopeError,
    SourceError,
    SpecError,
    StateError,
)

PROBLEM_TYPE = "application/problem+json"
log = structlog.get_logger("sloscope.server")

#: HTTP status of each sloscope error (the first class that matches wins).
_STATUS: tuple[tuple[type[SloscopeError], int], ...] = (
    (NotFoundError, 404),
    (RequestError, 400),
    (IngestError, 400),
    (SpecError, 503),
    (SourceError, 503),
    (StateError, 503),
    (ConfigError, 503),
)


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
    },
}

#: The error answers every API route may give, for the OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {PROBLEM_TYPE: {"schema": _PROBLEM_SCHEMA}},
    }
    for status, description in (
        (400, "Bad request (the detail says what to fix)"),
        (401, "No token, or an unknown or revoked one"),
        (403, "The token's scope does not allow this"),
        (404, "No such service, SLO, alert, silence, incident or adjustment"),
        (413, "The body is over the size limit"),
        (422, "The request does not match the schema"),
        (503, "The specs, the telemetry source or the state store cannot answer"),
    )
}


def problem(status: int, detail: str, request: Request | None = None, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        body["request_id"] = getattr(request.state, "request_id", None)
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def status_of(exc: SloscopeError) -> int:
    """The HTTP status for a sloscope error."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


async def _sloscope_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SloscopeError)
    if isinstance(exc, SpecError):
        detail = "the specs have errors; run 'sloscope validate' on the server's workspace"
        return problem(503, detail, request, errors=[str(p) for p in exc.problems[:20]])
    return problem(status_of(exc), str(exc), request)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem(exc.status_code, detail, request)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors()[:20]
    ]
    where = "; ".join(f"{e['where']}: {e['message']}" for e in errors[:3])
    return problem(422, f"the request is not valid: {where}", request, errors=errors)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", error=type(exc).__name__, path=request.url.path)
    return problem(500, "unexpected error; the server log has the request id", request)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem body."""
    app.add_exception_handler(SloscopeError, _sloscope_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
