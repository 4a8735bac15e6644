"""Attacks through the Prometheus source: echoed credentials, trickling and stalling
servers, malformed answers and URLs. Every server is a real one on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from sloscope.alerting.notify.http import post
from sloscope.errors import ConfigError, SourceError
from sloscope.secrets import Scrubber
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.testing import PrometheusAnswer, PrometheusRequest
from tests.attacks.conftest import CliRunner
from tests.unit.prometheus_stub import stub_prometheus

PASSWORD = "p@ss/w0rd+=x"  # characters that percent-encoding and base64 both change
TOKEN = "tok-3f9a1c0e77"
TENANT = "tenant-secret-42"


def _echo(request: PrometheusRequest) -> PrometheusAnswer:
    """An error page that quotes every request header, and their decoded credentials."""
    wanted = ("authorization", "x-scope-orgid")
    lines = [f"{key}: {value}" for key, value in request.headers.items() if key in wanted]
    auth = request.headers.get("authorization", "")
    if auth.startswith("Basic "):
        decoded = base64.b64decode(auth.removeprefix("Basic ")).decode()
        lines += [f"decoded: {decoded}", f"encoded: {quote(decoded, safe='')}"]
    return PrometheusAnswer(status=500, text="<pre>" + "\n".join(lines) + "</pre>")


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe="")]


CASES = {
    "url user info": (
        lambda url: {"url": url.replace("://", f"://bob:{quote(PASSWORD, safe='')}@")},
        PASSWORD,
    ),
    "basic auth": (lambda url: {"url": url, "basic_auth": ("bob", PASSWORD)}, PASSWORD),
    "bearer token": (lambda url: {"url": url, "bearer_token": TOKEN}, TOKEN),
    "custom header": (lambda url: {"url": url, "headers": {"X-Scope-OrgID": TENANT}}, TENANT),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_error_page_echoing_the_credentials_shows_none_of_their_forms(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings, secret = CASES[case]
    caplog.set_level(logging.DEBUG)
    with stub_prometheus(_echo) as stub:
        kwargs = settings(stub.url)
        url = kwargs.pop("url")
        source = PrometheusSource(url, max_retries=1, backoff=0.0, **kwargs)
        with pytest.raises(SourceError) as err:
            source.api.series("up", 0, 60)
        source.close()
    sent = stub.requests[0].headers
    shown = str(err.value) + "\n" + caplog.text
    assert "HTTP 500" in str(err.value)
    forms = _forms(secret)
    if "authorization" in sent and sent["authorization"].startswith("Basic "):
        forms.append(sent["authorization"].removeprefix("Basic "))
    for form in forms:
        assert form not in shown, f"{case}: {form!r} shown"
    # The page was quoted (scrubbed), so the test saw the echo it guards against.
    assert "***" in str(err.value)


def test_the_url_password_is_sent_as_basic_auth_and_never_in_a_logged_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ok = PrometheusAnswer(body={"status": "success", "data": []})
    with stub_prometheus(lambda request: ok) as stub:
        url = stub.url.replace("://", f"://bob:{quote(PASSWORD, safe='')}@")
        with PrometheusSource(url) as source:
            assert source.api.series("up", 0, 60) == []
    expected = base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    assert stub.requests[0].headers["authorization"] == f"Basic {expected}"
    assert "HTTP Request: POST" in caplog.text  # httpx logged the request...
    assert quote(PASSWORD, safe="") not in caplog.text  # ...without the user info
    assert "bob:" not in caplog.text


@contextmanager
def trickling_server(byte_every: float) -> Iterator[str]:
    """A server that sends a valid answer one byte every ``byte_every`` seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    body = b'{"status":"success","data":[]}'
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                for byte in answer:
                    if stop.wait(byte_every):
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_server_trickling_a_byte_a_second_fails_at_the_timeout() -> None:
    with trickling_server(1.0) as url, PrometheusSource(url, timeout=2, max_retries=0) as source:
        started = time.monotonic()
        with pytest.raises(SourceError, match="did not answer within 2s"):
            source.api.series("up", 0, 60)
        took = time.monotonic() - started
    # Per read it never times out (a byte a second); the whole request ends at 2s.
    assert 1.9 < took < 3.5


def test_retries_end_at_the_commands_deadline() -> None:
    with trickling_server(1.0) as url:
        source = PrometheusSource(url, timeout=2, command_timeout=3, max_retries=5, backoff=0.5)
        started = time.monotonic()
        with source.api.command(3), pytest.raises(SourceError, match=r"source\.command_timeout"):
            source.api.series("up", 0, 60)
        took = time.monotonic() - started
        source.close()
    # 6 attempts of 2s (plus backoff) would take 15s; the command's 3s end it.
    assert took < 4.5


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"resultType": "matrix"}, "is not a Prometheus API result (KeyError: 'result')"),
        (
            {"resultType": "matrix", "result": [{"metric": {}, "values": [[60, "lots"]]}]},
            "is not a Prometheus API result (ValueError",
        ),
        ({"resultType": "matrix", "result": 7}, "is not a Prometheus API result (TypeError"),
        (None, "expected a range vector from 'up', got None"),
    ],
)
def test_a_malformed_answer_is_a_source_error_saying_so(data: object, shown: str) -> None:
    answer = PrometheusAnswer(body={"status": "success", "data": data})
    with (
        stub_prometheus(lambda request: answer) as stub,
        PrometheusSource(stub.url) as source,
        pytest.raises(SourceError) as err,
    ):
        source.api.query_range("up", 60, 120, 60)
    assert shown in str(err.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:99999", "is not a valid URL: Port out of range 0-65535"),
        ("http://[::1", "is not a valid URL: Invalid IPv6 URL"),
        ("http://:9090", "has no host name"),
        ("http://bob:secret-pw@[::1", "'http://[::1'"),
    ],
)
def test_a_url_that_cannot_be_requested_is_bad_input(url: str, shown: str) -> None:
    with pytest.raises(ConfigError) as err:
        PrometheusSource(url)
    assert shown in str(err.value)
    assert "secret-pw" not in str(err.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://[::1"])
def test_the_cli_names_a_bad_prometheus_url_not_a_bug(
    sloscope: CliRunner, workspace: Path, url: str
) -> None:
    (workspace / "sloscope.yaml").write_text(
        f"source:\n  type: prometheus\n  url: '{url}'\n", encoding="utf-8"
    )
    # In process with SLOSCOPE_DEBUG=1: an unexpected exception would fail the test.
    result = sloscope("report", cwd=workspace)
    assert result.code == 2
    assert "is not a valid URL" in result.stderr
    assert "bug" not in result.stderr
    assert "Traceback" not in result.stderr


def test_command_timeout_is_a_setting_checked_while_the_config_loads(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "sloscope.yaml").write_text(
        "source:\n  type: prometheus\n  url: http://127.0.0.1:9\n  command_timeout: soon\n",
        encoding="utf-8",
    )
    result = sloscope("report", cwd=workspace)
    assert result.code == 2
    assert "source.command_timeout" in result.stderr


def test_a_webhook_trickling_its_answer_fails_at_the_notifiers_deadline() -> None:
    # The same cause in the notifiers: headers trickled a byte a second held each read
    # under its timeout; the deadline transport ends the whole attempt at 2s.
    with trickling_server(1.0) as url:
        started = time.monotonic()
        result = post(url + "/hook", b"{}", deadline=2.0, scrubber=Scrubber())
        took = time.monotonic() - started
    assert not result.ok
    assert "no answer within the 2s deadline" in result.detail
    assert took < 3.5
