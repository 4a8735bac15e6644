"""Outbox delivery: sent once, retried with backoff, dead-lettered, nothing lost on a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sloscope.alerting.notify.delivery import RetryPolicy, deliver_due, enqueue
from sloscope.alerting.notify.pagerduty import PagerDutyNotifier
from sloscope.alerting.notify.webhook import WebhookNotifier
from sloscope.store.database import StateStore
from sloscope.store.outbox import Outbox, OutboxItem
from tests.notify.messages import AT, firing, resolved
from tests.notify.servers import Answer, RecordingServer
from tests.store.conftest import Target

NOW = AT
ROOT = Path(__file__).parents[2]


def _enqueue(store: StateStore, receivers: tuple[str, ...] = ("hook",), **changes: object) -> int:
    with store.transaction() as session:
        return enqueue(Outbox(session), firing(**changes), receivers, NOW)


def _rows(store: StateStore) -> list[OutboxItem]:
    with store.transaction() as session:
        return Outbox(session).find()


def test_each_due_notification_is_sent_once(store: StateStore, recorder: RecordingServer) -> None:
    assert _enqueue(store, ("hook", "other")) == 2
    assert _enqueue(store, ("hook", "other")) == 0  # the same event again adds nothing
    hooks = {
        "hook": WebhookNotifier("hook", recorder.url + "/a"),
        "other": WebhookNotifier("other", recorder.url + "/b"),
    }
    report = deliver_due(store, hooks, NOW)
    assert (report.sent, report.retried, report.dead) == (2, 0, 0)
    assert sorted(r.path for r in recorder.requests) == ["/a", "/b"]
    assert deliver_due(store, hooks, NOW + 3600).attempted == 0
    assert len(recorder.requests) == 2
    assert {(r.status, r.sent_at) for r in _rows(store)} == {("sent", NOW)}


def test_firing_and_resolving_are_two_notifications(
    store: StateStore, recorder: RecordingServer
) -> None:
    with store.transaction() as session:
        enqueue(Outbox(session), firing(), ["hook"], NOW)
        enqueue(Outbox(session), resolved(), ["hook"], NOW)
    report = deliver_due(store, {"hook": WebhookNotifier("hook", recorder.url)}, NOW)
    assert report.sent == 2


def test_a_failing_endpoint_is_retried_with_exponential_backoff_until_it_answers(
    store: StateStore, recorder: RecordingServer
) -> None:
    recorder.answers = [Answer(503, b"down"), Answer(503, b"still down")]
    hooks = {"hook": WebhookNotifier("hook", recorder.url)}
    policy = RetryPolicy(max_attempts=5, backoff=30, max_backoff=3600)
    _enqueue(store)
    assert deliver_due(store, hooks, NOW, policy=policy).retried == 1
    [row] = _rows(store)
    assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == (
        "pending",
        1,
        NOW + 30,
        "HTTP 503: down",
    )
    assert deliver_due(store, hooks, NOW + 29, policy=policy).attempted == 0
    assert deliver_due(store, hooks, NOW + 30, policy=policy).retried == 1
    [row] = _rows(store)
    assert row.next_attempt_at == NOW + 30 + 60
    assert deliver_due(store, hooks, NOW + 90, policy=policy).sent == 1
    [row] = _rows(store)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, NOW + 90)
    assert len(recorder.requests) == 3


def test_after_the_last_attempt_the_notification_is_kept_as_a_dead_letter(
    store: StateStore, recorder: RecordingServer
) -> None:
    recorder.default = Answer(500, b"boom")
    hooks = {"hook": WebhookNotifier("hook", recorder.url)}
    policy = RetryPolicy(max_attempts=2, backoff=10)
    _enqueue(store)
    deliver_due(store, hooks, NOW, policy=policy)
    report = deliver_due(store, hooks, NOW + 10, policy=policy)
    assert report.dead == 1
    assert report.failures == ["notification 1 to 'hook': dead after 2 attempt(s): HTTP 500: boom"]
    [row] = _rows(store)
    assert (row.status, row.attempts, row.last_error) == ("dead", 2, "HTTP 500: boom")
    assert deliver_due(store, hooks, NOW + 10_000, policy=policy).attempted == 0


def test_a_request_the_endpoint_rejects_is_dead_at_once(
    store: StateStore, recorder: RecordingServer
) -> None:
    recorder.default = Answer(400, b"invalid payload")
    _enqueue(store)
    assert deliver_due(store, {"hook": WebhookNotifier("hook", recorder.url)}, NOW).dead == 1
    [row] = _rows(store)
    assert (row.status, row.attempts) == ("dead", 1)


def test_a_receiver_missing_from_the_config_is_retried_then_dead_lettered(
    store: StateStore,
) -> None:
    _enqueue(store, ("gone",))
    policy = RetryPolicy(max_attempts=2, backoff=5)
    assert deliver_due(store, {}, NOW, policy=policy).retried == 1
    assert deliver_due(store, {}, NOW + 5, policy=policy).dead == 1
    [row] = _rows(store)
    assert row.last_error == "no notifier named 'gone' in sloscope.yaml (notifiers:)"


def test_a_secret_echoed_by_the_endpoint_is_not_stored(
    store: StateStore, recorder: RecordingServer
) -> None:
    recorder.default = Answer(401, b"routing key SUPERSECRETKEY rejected")
    _enqueue(store, ("pager",))
    pager = PagerDutyNotifier("pager", "SUPERSECRETKEY", url=recorder.url)
    deliver_due(store, {"pager": pager}, NOW)
    [row] = _rows(store)
    assert row.last_error == "HTTP 401: routing key *** rejected"


def test_a_worker_killed_mid_send_loses_nothing_and_the_row_is_sent_after_its_lease(
    target: Target, recorder: RecordingServer
) -> None:
    recorder.answers = [Answer(200, b"too late", delay=10)]
    with target.open() as store:
        _enqueue(store)
    worker = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("delivery_worker.py")),
            target.url,
            target.schema or "-",
            recorder.url,
            str(NOW),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while not recorder.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert recorder.requests, "the worker never sent its request"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    hooks = {"hook": WebhookNotifier("hook", recorder.url)}
    with target.open() as store:
        [row] = _rows(store)
        assert (row.status, row.attempts) == ("pending", 1)  # claimed, never settled
        assert deliver_due(store, hooks, NOW + 1).attempted == 0  # still under its lease
        assert deliver_due(store, hooks, NOW + 600).sent == 1
        [row] = _rows(store)
    assert (row.status, row.attempts) == ("sent", 2)
    with target.open() as store:  # a restart sends nothing already delivered
        assert deliver_due(store, hooks, NOW + 10_000).attempted == 0
    assert len(recorder.requests) == 2


def test_capturing_notifier_sees_the_outbox_retry_and_then_the_delivery(
    store: StateStore,
) -> None:
    from sloscope.testing import CapturingNotifier

    pager = CapturingNotifier("pager")
    pager.fail_next(1)
    policy = RetryPolicy(max_attempts=3, backoff=30, max_backoff=3600)
    _enqueue(store, ("pager",))
    assert deliver_due(store, {"pager": pager}, NOW, policy=policy).retried == 1
    assert (len(pager.attempts), pager.messages) == (1, [])
    assert deliver_due(store, {"pager": pager}, NOW + 30, policy=policy).sent == 1
    assert [m.slo for m in pager.messages] == ["orders-availability"]
    assert len(pager.attempts) == 2


def test_capturing_notifier_failing_for_good_sends_the_row_to_the_dead_letters(
    store: StateStore,
) -> None:
    from sloscope.testing import CapturingNotifier

    pager = CapturingNotifier("pager")
    pager.fail_next(1, retryable=False)
    _enqueue(store, ("pager",))
    assert deliver_due(store, {"pager": pager}, NOW).dead == 1
    [row] = _rows(store)
    assert (row.status, row.last_error) == ("dead", "pager: HTTP 400 (asked for by fail_next)")
