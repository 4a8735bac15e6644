"""A kill -9 during delivery loses nothing, and what was delivered is not sent again.

Real processes of ``sloscope evaluate --once`` on one embedded-store workspace, with the
state store on SQLite and on the real PostgreSQL: the first sends its page to a real
local HTTP server that holds the request without answering, and is killed -9 while it
waits (its state change committed before delivery began, nothing in the library waits
for a test). The next process, once the dead one's claim has lapsed, delivers the page
again (at-least-once: the first send was never acknowledged) and settles it; a third
sends nothing.
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
from urllib.parse import quote

import pytest

from sloscope.store.outbox import Outbox
from sloscope.workspace import Workspace
from tests.alerting.test_evaluate import BURN, SPEC, START
from tests.notify import servers
from tests.store import postgres
from tests.store.conftest import Target

#: Past the lease the killed process held on its claim (``deliver_due``'s 600 s).
AFTER_LEASE = BURN + 60 + 660

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


def state_env(target: Target) -> dict[str, str]:
    """The environment pointing sloscope at the target's state store."""
    if target.schema is None:
        return {"SLOSCOPE_STATE_URL": target.url}
    return {"SLOSCOPE_STATE_URL": f"{target.url}?options={quote(f'-csearch_path={target.schema}')}"}


def evaluate(root: Path, env: dict[str, str], at: int = BURN + 60) -> subprocess.Popen[str]:
    """``sloscope evaluate --once`` at ``at`` (the burn's second minute), in a new process."""
    return subprocess.Popen(
        [*SLOSCOPE, "evaluate", "--once", "--at", str(at), "-w", str(root)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outbox_counts(root: Path, env: dict[str, str]) -> dict[str, int]:
    """The outbox rows by status."""
    with Workspace.open(root, env=env).open_state() as store, store.transaction() as session:
        return Outbox(session).counts()


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The state store's environment: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield state_env(Target(f"sqlite:///{tmp_path / 'state.db'}", None))
        return
    url = request.getfixturevalue("postgres_url")
    schema = postgres.create_schema(url)
    try:
        yield state_env(Target(url, schema))
    finally:
        postgres.drop_schema(url, schema)


def test_a_page_whose_delivery_is_killed_is_delivered_by_the_next_process_and_only_once(
    root: Path, recorder: servers.RecordingServer, state: dict[str, str]
) -> None:
    # The first request is held (no answer for MAX_DELAY seconds): the process is killed
    # while it waits, after its state change and outbox row committed.
    recorder.answers.append(servers.Answer(status=200, delay=servers.MAX_DELAY))
    first = evaluate(root, state)
    deadline = time.monotonic() + 60
    while not recorder.requests and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recorder.requests, first.communicate(timeout=10)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert outbox_counts(root, state) == {"pending": 1, "sent": 0, "dead": 0}

    # Within the dead process's claim nobody sends it again...
    early = evaluate(root, state)
    out, err = early.communicate(timeout=60)
    assert early.returncode == 0, err
    assert "sent 0" in out
    assert len(recorder.requests) == 1

    # ...after it, the next process sends it (never acknowledged) and settles it.
    second = evaluate(root, state, at=AFTER_LEASE)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "sent 1" in out
    assert len(recorder.requests) == 2
    first_body, second_body = (json.loads(r.body)["notification"] for r in recorder.requests)
    assert first_body == second_body
    assert second_body["transition"] == "firing"
    assert second_body["slo"] == "availability"

    third = evaluate(root, state, at=AFTER_LEASE + 60)
    out, err = third.communicate(timeout=60)
    assert third.returncode == 0, err
    assert "sent 0" in out
    assert len(recorder.requests) == 2
    assert outbox_counts(root, state) == {"pending": 0, "sent": 1, "dead": 0}


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
