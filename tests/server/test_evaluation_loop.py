"""The evaluation loop: one leader per state store (PostgreSQL advisory lock), metrics,
and a takeover within two intervals when the leader's process is killed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sloscope.server.loop import EvaluationLoop, Leadership
from sloscope.server.metrics import ServerMetrics
from sloscope.store.database import StateStore
from sloscope.workspace import Workspace
from tests.server.live import free_port
from tests.store import postgres

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A fresh schema in the real PostgreSQL: (server URL, schema name)."""
    schema = postgres.create_schema(postgres_url)
    try:
        yield postgres_url, schema
    finally:
        postgres.drop_schema(postgres_url, schema)


def test_only_one_holder_of_a_postgresql_store_leads_until_it_lets_go(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    other = postgres.create_schema(url)
    stores = [StateStore(url, schema=s) for s in (schema, schema, other)]
    leaders = [Leadership(s) for s in stores]
    try:
        first, second, elsewhere = leaders
        assert first.acquire() is True
        assert first.acquire() is True  # kept, not taken twice
        assert second.acquire() is False
        assert elsewhere.acquire() is True  # another schema has its own leader
        first.release()
        assert second.acquire() is True
        assert first.acquire() is False
    finally:
        for leader in leaders:
            leader.release()
        for store in stores:
            store.close()
        postgres.drop_schema(url, other)


def test_a_tick_runs_the_evaluator_and_counts_its_outcomes(served_root: Path) -> None:
    ws = Workspace.open(served_root)
    metrics = ServerMetrics()
    calls: list[int] = []

    def evaluate(workspace: Workspace, store: StateStore, at: int) -> dict[str, int]:
        calls.append(at)
        return {"sent": 2, "dead": 1, "retried": 0}

    with ws.open_state() as store:
        loop = EvaluationLoop(
            ws, store, metrics, interval=60, evaluate_once=evaluate, clock=lambda: 1000.0
        )
        assert loop.tick() is True
    assert calls == [1000]
    value = metrics.registry.get_sample_value
    assert value("sloscope_notifications_total", {"outcome": "sent"}) == 2
    assert value("sloscope_notifications_total", {"outcome": "dead"}) == 1
    assert value("sloscope_evaluations_total", {"outcome": "ok"}) == 1
    assert value("sloscope_evaluation_leader") == 1


def test_a_failing_evaluator_is_counted_and_the_loop_goes_on(served_root: Path) -> None:
    ws = Workspace.open(served_root)
    metrics = ServerMetrics()
    clock = iter([1000.0, 1060.0, 1120.0])

    def evaluate(workspace: Workspace, store: StateStore, at: int) -> dict[str, int]:
        if at > 1000:
            raise RuntimeError("source down")
        return {}

    with ws.open_state() as store:
        loop = EvaluationLoop(
            ws, store, metrics, interval=60, evaluate_once=evaluate, clock=lambda: next(clock)
        )
        assert [loop.tick(), loop.tick(), loop.tick()] == [True, False, False]
    value = metrics.registry.get_sample_value
    assert value("sloscope_evaluations_total", {"outcome": "error"}) == 2
    assert value("sloscope_evaluation_lag_seconds") == 120


def test_the_default_run_delivers_the_outbox_with_no_notifiers_configured(
    served_root: Path,
) -> None:
    from sloscope.server.loop import deliver_notifications

    ws = Workspace.open(served_root)
    with ws.open_state() as store:
        assert deliver_notifications(ws, store, 1000) == {
            "sent": 0,
            "retried": 0,
            "dead": 0,
            "lost": 0,
        }


# --- two real `sloscope serve` processes -----------------------------------------------

INTERVAL = 1.5


def _serve(root: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "sloscope.cli", "serve", "-w", str(root)]
    command += ["--port", str(port), "--eval-interval", str(INTERVAL)]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def _metric(port: int, name: str) -> float | None:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def _wait(condition: object, seconds: float) -> float:
    """Poll ``condition`` until true; the seconds it took (fails after ``seconds``)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"not true within {seconds}s")


@pytest.mark.slow
def test_a_second_replica_takes_over_within_two_intervals_when_the_leader_is_killed(
    pg_schema: tuple[str, str], served_root: Path, tmp_path: Path
) -> None:
    url, schema = pg_schema
    (served_root / "sloscope.yaml").write_text(
        f"state:\n  url: {url}?options=-csearch_path%3D{schema}\n", encoding="utf-8"
    )
    ports = [free_port(), free_port()]
    first = _serve(served_root, ports[0], tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait(lambda: _metric(ports[0], "sloscope_evaluation_leader") == 1.0, 60)
        second = _serve(served_root, ports[1], tmp_path / "second.log")
        _wait(lambda: _metric(ports[1], "sloscope_evaluation_leader") is not None, 60)
        time.sleep(2 * INTERVAL)
        assert _metric(ports[1], "sloscope_evaluation_leader") == 0.0
        assert _metric(ports[1], 'sloscope_evaluations_total{outcome="ok"}') is None
        assert _metric(ports[0], 'sloscope_evaluations_total{outcome="ok"}') >= 2  # type: ignore[operator]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        took = _wait(lambda: _metric(ports[1], "sloscope_evaluation_leader") == 1.0, 30)
        assert took <= 2 * INTERVAL + 0.5, f"takeover took {took:.1f}s"
        _wait(lambda: (_metric(ports[1], 'sloscope_evaluations_total{outcome="ok"}') or 0) >= 1, 10)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    log = (tmp_path / "second.log").read_text()
    assert '"event": "evaluated"' in log


@pytest.mark.slow
def test_the_server_logs_json_lines_with_request_ids_and_never_the_token(
    served_root: Path, tmp_path: Path
) -> None:
    from sloscope.store.tokens import Tokens

    with Workspace.open(served_root).open_state() as store, store.transaction() as session:
        _, secret = Tokens(session).create("read", "logcheck", 0)
    port = free_port()
    proc = _serve(served_root, port, tmp_path / "serve.log")
    try:
        _wait(lambda: _metric(port, "sloscope_evaluation_leader") is not None, 60)
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/services",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=10,
        )
        assert answer.status_code == 200
        httpx.get(f"http://127.0.0.1:{port}/api/v1/services?t={secret}", timeout=10)
    finally:
        proc.terminate()
        proc.wait(10)
    log = (tmp_path / "serve.log").read_text()
    request_id = answer.headers["x-request-id"]
    assert f'"request_id": "{request_id}"' in log
    assert secret not in log
    assert "sloscope serving" in log
