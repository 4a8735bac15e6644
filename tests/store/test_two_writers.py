"""Two real processes writing at once never lose or duplicate a record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sloscope.store.alerts import AlertStates
from sloscope.store.migrate import head_revision, schema_drift
from sloscope.store.outbox import Outbox
from tests.store import store_worker
from tests.store.conftest import Target

WORKER = Path(__file__).with_name("store_worker.py")
ROOT = Path(__file__).parents[2]


def _run_two(target: Target, job: str, tmp_path: Path) -> tuple[Any, Any]:
    """Start two workers on ``job``, release them together, return both results."""
    if job != "migrate":
        with target.open():
            pass  # migrate first, so the workers race on rows, not on the schema
    go = tmp_path / f"{job}.go"
    outs = [tmp_path / f"{job}-{n}.json" for n in range(2)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), target.url, target.schema or "-", job, str(go), str(o)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for o in outs
    ]
    go.touch()
    for proc in procs:
        try:
            _, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"a {job} worker did not finish in 120 s")
        assert proc.returncode == 0, stderr
    first, second = (json.loads(o.read_text(encoding="utf-8")) for o in outs)
    return first, second


def test_two_processes_enqueueing_the_same_events_keep_one_row_each(
    target: Target, tmp_path: Path
) -> None:
    first, second = _run_two(target, "enqueue", tmp_path)
    rows = 2 * store_worker.EVENTS
    assert sum(first) + sum(second) == rows  # each row was inserted by exactly one process
    with target.open() as store, store.transaction() as session:
        items = Outbox(session).find()
    assert len(items) == rows
    assert len({(i.event_key, i.receiver) for i in items}) == rows


def test_two_processes_claiming_the_outbox_deliver_every_row_exactly_once(
    target: Target, tmp_path: Path
) -> None:
    with target.open() as store:
        store_worker.enqueue(store)
    first, second = _run_two(target, "claim", tmp_path)
    assert not set(first) & set(second)
    assert len(first) + len(second) == 2 * store_worker.EVENTS
    with target.open() as store, store.transaction() as session:
        assert Outbox(session).counts() == {
            "pending": 0,
            "sent": 2 * store_worker.EVENTS,
            "dead": 0,
        }


def test_two_processes_applying_the_same_alert_changes_record_each_transition_once(
    target: Target, tmp_path: Path
) -> None:
    first, second = _run_two(target, "apply", tmp_path)
    transitions = 3 * store_worker.ALERTS
    assert len(first) + len(second) == transitions
    assert not set(first) & set(second)
    with target.open() as store, store.transaction() as session:
        alerts = AlertStates(session)
        states = alerts.find()
        history = [t for a in states for t in alerts.history(a.key)]
    assert len(states) == store_worker.ALERTS
    assert {a.state for a in states} == {"resolved"}
    assert len(history) == transitions


def test_two_processes_opening_an_empty_store_at_once_migrate_it_once(
    target: Target, tmp_path: Path
) -> None:
    first, second = _run_two(target, "migrate", tmp_path)
    assert first == second == head_revision()
    with target.open() as store:
        assert schema_drift(store.engine) == []
