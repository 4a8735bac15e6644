"""Around every request: a request id, a body size limit, security headers, a log line
and the latency histogram. Plain ASGI, so streaming bodies are counted as they arrive.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog

from sloscope.server.metrics import ServerMetrics
from sloscope.server.problems import PROBLEM_TYPE

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

#: Sent with every response. Scripts come from this origin only (no inline script);
#: uPlot sets element styles from script, which CSP allows; no page may frame ours.
#: ``same-origin`` referrers (not ``no-referrer``): with no referrer, browsers send
#: ``Origin: null`` on form posts, and the forms' origin check could not pass.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
)

log = structlog.get_logger("sloscope.server")


class BodyTooLargeError(Exception):
    """The request body passed its limit."""


class Guard:
    """The ASGI middleware; ``limit(path)`` is the body limit of a path in bytes."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, limit: Callable[[str], int]) -> None:
        self.app = app
        self.metrics = metrics
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        limit = self.limit(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
                message = {**message, "headers": headers}
            await send(message)

        declared = _content_length(scope)
        try:
            if declared is not None and declared > limit:
                raise BodyTooLargeError
            await self.app(scope, _counting(receive, limit), send_with_headers)
        except BodyTooLargeError:
            if not status["sent"]:
                await _too_large(send_with_headers, limit, scope["path"], request_id)
        except Exception:
            # The error handler has answered (a problem body) and logged it; re-raising
            # would only print a second traceback.
            if not status["sent"]:
                raise
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.request_seconds.labels(
                scope["method"], template, str(status["code"])
            ).observe(elapsed)
            log.info(
                "request",
                request_id=request_id,
                method=scope["method"],
                path=scope["path"],
                status=status["code"],
                ms=round(elapsed * 1000, 2),
            )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message: Message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError
        return message

    return wrapped


def too_large_detail(limit: int) -> str:
    """What a 413 says."""
    return (
        f"the request body is over the limit of {limit} bytes; send less "
        "(an ingest in several parts) or raise the server's limit"
    )


async def _too_large(send: Send, limit: int, path: str, request_id: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": too_large_detail(limit),
            "instance": path,
            "request_id": request_id,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
