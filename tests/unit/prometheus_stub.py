"""A real HTTP server on 127.0.0.1 that answers like Prometheus and records every request.

For what only a socket shows: retries, error pages, timeouts, credentials on the wire.
Requests, answers and handlers are those of :mod:`sloscope.testing` (whose
:class:`~sloscope.testing.FakePrometheus` answers the same handlers in memory).
Correctness against Prometheus itself is checked by the integration tests, against the
real server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from sloscope.testing import PrometheusHandler, PrometheusRequest


class StubPrometheus:
    """The running server: ``url``, the recorded ``requests``, the ``handler`` in use.

    ``delay`` seconds pass before each answer (a slow server).
    """

    def __init__(self, handler: PrometheusHandler, delay: float = 0.0) -> None:
        self.handler = handler
        self.requests: list[PrometheusRequest] = []
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
                request = PrometheusRequest(
                    method, path, form, {k.lower(): v for k, v in self.headers.items()}
                )
                stub.requests.append(request)
                answer = stub.handler(request)
                if delay:
                    threading.Event().wait(delay)
                data, headers = answer.encode()
                try:
                    self.send_response(answer.status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
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
def stub_prometheus(handler: PrometheusHandler, delay: float = 0.0) -> Iterator[StubPrometheus]:
    """Run a :class:`StubPrometheus` for the ``with`` block."""
    stub = StubPrometheus(handler, delay)
    thread = threading.Thread(target=stub.server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()
        thread.join()
