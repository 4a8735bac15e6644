"""A kill -9 between the state change and its delivery loses nothing and sends nothing twice.

Two real processes of ``sloscope evaluate --once`` on one embedded-store workspace: the
first is killed -9 right after its transaction commits (the crash-test hook makes it
wait there), the second delivers the page to a real local HTTP server exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sloscope.alerting.evaluate import PAUSE_ENV
from sloscope.store.outbox import Outbox
from sloscope.workspace import Workspace
from tests.alerting.test_evaluate import BURN, SPEC, START
from tests.notify import servers

SLOSCOPE = [sys.executable, "-m", "sloscope.cli"]


def telemetry() -> str:
    """OpenMetrics counters: 1000 requests a minute from START, 10 % failing from BURN."""
    lines = ["# TYPE http_requests counter"]
    ok = bad = 0
    for t in range(START, BURN + 30 * 60 + 1, 60):
        lines.append(f'http_requests_total{{service="checkout",code="200"}} {ok} {t}')
        lines.append(f'http_requests_total{{service="checkout",code="500"}} {bad} {t}')
        failing = t >= BURN
        ok += 900 if failing else 1000
        bad += 100 if failing else 0
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture
def recorder() -> Iterator[servers.RecordingServer]:
    """A local HTTP server recording the webhook requests."""
    server = servers.start_recording_server()
    yield server
    server.stop()


@pytest.fixture
def root(tmp_path: Path, recorder: servers.RecordingServer) -> Path:
    """An embedded-store workspace with the fast burn ingested, paging to ``recorder``."""
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "sloscope.yaml").write_text(
        "notifiers:\n"
        f'  - {{name: pager, type: webhook, url: "{recorder.url}/hook"}}\n'
        "routes:\n"
        "  - {matchers: [severity=page], notifiers: [pager]}\n",
        encoding="utf-8",
    )
    (tmp_path / "metrics.om").write_text(telemetry(), encoding="utf-8")
    Workspace.open(tmp_path).ingest(tmp_path / "metrics.om")
    return tmp_path


def evaluate(root: Path, **env: str) -> subprocess.Popen[str]:
    """``sloscope evaluate --once`` at the second minute of the burn, in a new process."""
    return subprocess.Popen(
        [*SLOSCOPE, "evaluate", "--once", "--at", str(BURN + 60), "-w", str(root)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outbox_counts(root: Path) -> dict[str, int]:
    """The outbox rows by status."""
    with Workspace.open(root).open_state() as store, store.transaction() as session:
        return Outbox(session).counts()


def test_a_page_committed_before_a_kill_is_delivered_once_by_the_next_process(
    root: Path, recorder: servers.RecordingServer, tmp_path: Path
) -> None:
    marker = tmp_path / "committed"
    first = evaluate(root, **{PAUSE_ENV: str(marker)})
    deadline = time.monotonic() + 60
    while not marker.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), first.communicate(timeout=10)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert recorder.requests == []
    assert outbox_counts(root) == {"pending": 1, "sent": 0, "dead": 0}

    second = evaluate(root)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "sent 1" in out
    assert len(recorder.requests) == 1
    body = json.loads(recorder.requests[0].body)["notification"]
    assert body["transition"] == "firing"
    assert body["slo"] == "availability"

    third = evaluate(root)
    out, err = third.communicate(timeout=60)
    assert third.returncode == 0, err
    assert "sent 0" in out
    assert len(recorder.requests) == 1
    assert outbox_counts(root) == {"pending": 0, "sent": 1, "dead": 0}


def test_evaluate_refuses_a_malformed_interval_with_exit_2(root: Path) -> None:
    done = subprocess.run(
        [*SLOSCOPE, "evaluate", "--interval", "soon", "-w", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--interval" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_evaluation_loop_stops_cleanly_on_sigterm(root: Path) -> None:
    loop = subprocess.Popen(
        [*SLOSCOPE, "evaluate", "--interval", "1s", "-w", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert loop.stdout is not None
    first = loop.stdout.readline()
    assert first.startswith("evaluated 1 SLO(s)"), loop.stderr.read() if loop.stderr else ""
    loop.send_signal(signal.SIGTERM)
    _out, err = loop.communicate(timeout=30)
    assert loop.returncode == 0, err
    assert "Traceback" not in err


def test_an_unreachable_source_fails_once_with_exit_2_and_the_loop_carries_on(
    tmp_path: Path,
) -> None:
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    port = servers.free_port()
    (tmp_path / "sloscope.yaml").write_text(
        f"source: {{type: prometheus, url: 'http://127.0.0.1:{port}', max_retries: 0}}\n",
        encoding="utf-8",
    )
    once = subprocess.run(
        [*SLOSCOPE, "evaluate", "--once", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert once.returncode == 2, once.stderr
    assert "Traceback" not in once.stderr
    loop = subprocess.Popen(
        [*SLOSCOPE, "evaluate", "--interval", "1s", "-w", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert loop.stderr is not None
    failures = [loop.stderr.readline() for _ in range(2)]
    loop.send_signal(signal.SIGTERM)
    _out, err = loop.communicate(timeout=30)
    assert all("failed" in line for line in failures), failures
    assert loop.returncode == 0, err
