"""The status cache's timing (TTLCache with a clock the test moves) and the server's
warm-up: statuses refreshed ahead of expiry one service at a time, a new minute's
evaluation waiting for the previous minute's answer to reach its refresh age, token
checks answered without reading the store, and ``/readyz`` ready only once warm."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from sloscope.server.app import create_app
from sloscope.server.cache import TTLCache
from sloscope.server.context import ServerContext
from sloscope.server.metrics import ServerMetrics
from sloscope.server.settings import ServerSettings
from sloscope.workspace import Workspace
from tests.server.conftest import NOW, Serve


class Clock:
    """A clock the test sets."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _wait(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def _maker(calls: list[float], clock: Clock, value: str) -> Callable[[], str]:
    lock = threading.Lock()

    def make() -> str:
        with lock:
            calls.append(clock.now)
        return value

    return make


def test_a_hit_within_ahead_of_expiry_refreshes_in_the_background() -> None:
    clock = Clock()
    cache: TTLCache[str] = TTLCache(10, clock=clock)
    calls: list[float] = []
    assert cache.get("k", _maker(calls, clock, "old"), ahead=5) == "old"
    clock.now = 4
    assert cache.get("k", _maker(calls, clock, "new"), ahead=5) == "old"
    time.sleep(0.3)  # a refresh, had one started, would have run by now
    assert calls == [0]
    clock.now = 6
    assert cache.get("k", _maker(calls, clock, "new"), ahead=5) == "old"
    _wait(lambda: len(calls) == 2)
    assert calls == [0, 6]
    assert cache.get("k", _maker(calls, clock, "newer"), ahead=5) == "new"
    cache.close()


def test_a_new_minute_waits_for_the_previous_answer_to_reach_its_refresh_age() -> None:
    clock = Clock()
    cache: TTLCache[str] = TTLCache(10, clock=clock)
    calls: list[float] = []
    cache.get("minute 1", _maker(calls, clock, "minute 1"))
    clock.now = 3
    make = _maker(calls, clock, "minute 2")
    assert cache.get("minute 2", make, fallback="minute 1", ahead=5) == "minute 1"
    time.sleep(0.3)
    assert calls == [0]
    clock.now = 6
    assert cache.get("minute 2", make, fallback="minute 1", ahead=5) == "minute 1"
    _wait(lambda: len(calls) == 2)
    assert calls == [0, 6]
    assert cache.get("minute 2", make, fallback="minute 1", ahead=5) == "minute 2"
    cache.close()


def test_get_nowait_answers_only_what_the_cache_holds() -> None:
    clock = Clock()
    cache: TTLCache[str] = TTLCache(5, max_stale=10, clock=clock)
    calls: list[float] = []
    make = _maker(calls, clock, "value")
    assert cache.get_nowait("k", make) == (False, None)
    assert calls == []
    cache.get("k", make)
    clock.now = 4
    assert cache.get_nowait("k", make) == (True, "value")
    clock.now = 7  # stale: answered, and refreshed in the background
    assert cache.get_nowait("k", make) == (True, "value")
    _wait(lambda: len(calls) == 2)
    assert calls == [0, 7]
    clock.now = 30
    assert cache.get_nowait("k", make) == (False, None)
    cache.close()


def test_a_server_that_warms_up_is_ready_once_every_status_is_evaluated(serve: Serve) -> None:
    served = serve(warm_up=True, public_read=True)
    _wait(lambda: served.client.get("/readyz").status_code == 200)
    ready = served.client.get("/readyz").json()
    assert ready["checks"] == {"state_store": "ok", "source": "ok", "warm": "ok"}
    evaluated = served.ctx.metrics.registry.get_sample_value(
        "sloscope_status_evaluation_duration_seconds_count"
    )
    assert evaluated == len(served.ctx.services())
    served.client.get("/api/v1/status").raise_for_status()
    again = served.ctx.metrics.registry.get_sample_value(
        "sloscope_status_evaluation_duration_seconds_count"
    )
    assert again == evaluated  # answered from what the warm-up evaluated


def test_a_server_still_warming_up_is_not_ready(served_root: Path) -> None:
    ws = Workspace.open(served_root)
    settings = replace(ServerSettings(eval_interval=0), warm_up=True)
    store = ws.open_state()
    ctx = ServerContext(ws, store, settings, ServerMetrics(), clock=lambda: float(NOW))
    try:
        # Without entering the client, the app's start (and its warm-up) never runs.
        answer = TestClient(create_app(ctx)).get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["warm"] == "warming up"
    finally:
        ctx.close()
        store.close()
