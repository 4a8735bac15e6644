"""Real local servers the notifier tests talk to: a recording HTTP server, Alertmanager,
and an SMTP server (aiosmtpd). Plain classes and functions; ``conftest.py`` wraps them.

Everything listens on 127.0.0.1 on a free port and is stopped by the fixture.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.integration.prometheus_server import listening_port

#: Seconds any request handler may sleep, so a test can never hang a worker for long.
MAX_DELAY = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What the server answers: a status, a body, after a delay."""

    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0


@dataclass
class RecordingServer:
    """A threading HTTP server that records every request and answers from a script.

    ``answers`` are used in order, then ``default`` for every later request.
    """

    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    default: Answer = field(default_factory=Answer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The server's base URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def next_answer(self, request: Recorded) -> Answer:
        """Record ``request`` and pick its answer."""
        with self.lock:
            self.requests.append(request)
            return self.answers.pop(0) if self.answers else self.default

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


def start_recording_server() -> RecordingServer:
    """A :class:`RecordingServer` serving on a background thread."""
    holder: dict[str, RecordingServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1024 * 1024))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = holder["server"].next_answer(Recorded("POST", self.path, headers, body))
            time.sleep(min(answer.delay, MAX_DELAY))
            try:
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (a deadline test)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recording = RecordingServer(server)
    holder["server"] = recording
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return recording


class HarnessError(RuntimeError):
    """A real component is missing or did not start."""


@dataclass
class Alertmanager:
    """A running Alertmanager: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert it holds (``GET /api/v2/alerts``, active or not)."""
        response = httpx.get(
            f"{self.url}/api/v2/alerts",
            params={
                "active": "true",
                "silenced": "true",
                "inhibited": "true",
                "unprocessed": "true",
            },
            timeout=10,
        )
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


ALERTMANAGER_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
"""


def start_alertmanager(folder: Path) -> Alertmanager:
    """Debian's ``prometheus-alertmanager`` on a free port with a do-nothing receiver."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        raise HarnessError(
            "prometheus-alertmanager is not installed: run 'make services' "
            "(or 'sudo apt-get install prometheus-alertmanager')"
        )
    config = folder / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG, encoding="utf-8")
    log = folder / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={folder / 'data'}",
                "--web.listen-address=127.0.0.1:0",
                "--cluster.listen-address=",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    # The kernel picks the port as Alertmanager binds: one picked here could be taken by
    # another worker's server first, which would then answer our readiness check.
    port = listening_port(process, deadline)
    manager = Alertmanager(f"http://127.0.0.1:{port or 0}", process, log)
    if port is None and process.poll() is None:
        manager.stop()
        raise HarnessError(f"alertmanager did not listen within 30 s; log: {log}")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(f"alertmanager exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{manager.url}/-/ready", timeout=2).status_code == 200:
                return manager
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    manager.stop()
    raise HarnessError(f"alertmanager did not become ready in 30 s; log: {log}")


@dataclass
class SMTPCapture:
    """Messages an aiosmtpd server received: (sender, recipients, raw bytes)."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message, answer 250."""
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def smtp_server() -> Iterator[tuple[str, int, SMTPCapture]]:
    """An SMTP server on a free port (a generator: yields host, port, capture; then stops)."""
    capture = SMTPCapture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, capture
    finally:
        controller.stop()
