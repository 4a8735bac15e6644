"""A stand-in HTTP server on 127.0.0.1 that speaks the few Prometheus API endpoints the
source uses and records every request.

For fault cases only (retries, error bodies, chunking, headers): each test scripts the
answers with a handler. Correctness against Prometheus itself is checked by the
integration tests, against the real server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    form: dict[str, list[str]]
    headers: dict[str, str]

    def one(self, key: str) -> str:
        """The single value of a form field."""
        [value] = self.form[key]
        return value


@dataclass
class Answer:
    """What the server answers: status, JSON (or raw text) body, headers."""

    status: int = 200
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Request], Answer]


def success(data: Any) -> Answer:
    """A successful API answer carrying ``data``."""
    return Answer(200, {"status": "success", "data": data})


def failure(status: int, kind: str, message: str) -> Answer:
    """An API error answer as Prometheus writes it."""
    return Answer(status, {"status": "error", "errorType": kind, "error": message})


def matrix(*series: tuple[dict[str, str], list[tuple[int, float]]]) -> Answer:
    """A ``query_range`` answer: each series' labels and (timestamp, value) points."""
    return success(
        {
            "resultType": "matrix",
            "result": [
                {"metric": labels, "values": [[t, repr(float(v))] for t, v in points]}
                for labels, points in series
            ],
        }
    )


def vector(*samples: tuple[dict[str, str], float], at: int = 0) -> Answer:
    """An instant ``query`` answer."""
    return success(
        {
            "resultType": "vector",
            "result": [{"metric": labels, "value": [at, repr(float(v))]} for labels, v in samples],
        }
    )


class StubPrometheus:
    """The running stand-in: ``url``, the recorded ``requests``, the ``handler`` in use."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._answer("POST")

            def do_GET(self) -> None:
                self._answer("GET")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                form = parse_qs(raw or query, keep_blank_values=True)
                request = Request(
                    method, path, form, {k.lower(): v for k, v in self.headers.items()}
                )
                stub.requests.append(request)
                answer = stub.handler(request)
                if answer.delay:
                    threading.Event().wait(answer.delay)
                body = answer.text if answer.text is not None else json.dumps(answer.body)
                data = body.encode()
                try:
                    self.send_response(answer.status)
                    content = "text/html" if answer.text is not None else "application/json"
                    self.send_header("Content-Type", content)
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def paths(self) -> list[str]:
        """The path of every request, in order."""
        return [r.path for r in self.requests]


@contextmanager
def stub_prometheus(handler: Handler) -> Iterator[StubPrometheus]:
    """Run a :class:`StubPrometheus` for the ``with`` block."""
    stub = StubPrometheus(handler)
    thread = threading.Thread(target=stub.server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()
        thread.join()
