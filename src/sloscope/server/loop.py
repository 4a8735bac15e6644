"""The evaluation loop inside ``serve``: every interval, one replica runs ``evaluate_once``.

With PostgreSQL several replicas share one state store; a session-level advisory lock
(``pg_try_advisory_lock``) held on a dedicated connection makes exactly one of them the
leader. The others try again every interval, so when the leader dies (its connection
closes and PostgreSQL frees the lock) another one takes over within one or two
intervals. With SQLite the store is one file on one machine: the single process leads.

``evaluate_once(workspace, store, at)`` is pluggable: by default it evaluates every SLO's
alerts, records their state and delivers the notifications due in the outbox
(:func:`evaluate_alerts`); :func:`deliver_notifications` only delivers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Connection, text

from sloscope.server.metrics import ServerMetrics
from sloscope.store.database import StateStore
from sloscope.workspace import Workspace

#: What one run does; returns outcomes to count (e.g. ``{"sent": 2}``).
EvaluateOnce = Callable[[Workspace, StateStore, int], dict[str, int]]

#: First key of the evaluation lock (ASCII "slev"); the second is the schema's hash, so
#: stores in different schemas of one database do not share a leader.
_LOCK_CLASS = 0x736C6576

log = structlog.get_logger("sloscope.loop")


def deliver_notifications(workspace: Workspace, store: StateStore, at: int) -> dict[str, int]:
    """The default run: send the notifications due at ``at`` from the outbox."""
    from sloscope.alerting.notify.delivery import deliver_due

    report = deliver_due(store, workspace.notifiers(), at)
    return {
        "sent": report.sent,
        "retried": report.retried,
        "dead": report.dead,
        "lost": report.lost,
    }


def evaluate_alerts(workspace: Workspace, store: StateStore, at: int) -> dict[str, int]:
    """The default run: evaluate every SLO's alerts at ``at``, then deliver what is due."""
    from sloscope.alerting.evaluate import evaluate_once

    outcome = evaluate_once(workspace, store, at)
    log.info("alerts evaluated", at=at, firing=outcome.firing, queued=outcome.enqueued)
    return outcome.counts()


class Leadership:
    """Whether this process may evaluate: the PostgreSQL advisory lock, or SQLite's file."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """True while this process holds the lock (tries to take it when it does not)."""
        if self.store.dialect != "postgresql":
            return True
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                return True
            connection = self.store.engine.connect()
            held = connection.execute(
                text("SELECT pg_try_advisory_lock(:cls, hashtext(current_schema()))"),
                {"cls": _LOCK_CLASS},
            ).scalar()
            connection.commit()
            if held:
                self._connection = connection
                return True
            connection.close()
        except Exception as exc:
            log.warning("evaluation lock lost", error=type(exc).__name__)
            self.release()
        return False

    def release(self) -> None:
        """Give the lock up: unlocked at once, then the connection closed."""
        if self._connection is not None:
            # Unlocked explicitly first: a closed connection frees the lock only when its
            # server process has exited, a moment later, and another replica asking in
            # that moment would be refused.
            with contextlib.suppress(Exception):  # the connection may already be gone
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:cls, hashtext(current_schema()))"),
                    {"cls": _LOCK_CLASS},
                )
                self._connection.commit()
            # Invalidated, not returned to the pool: a pooled connection would keep the
            # session's lock, and no other replica could lead.
            with contextlib.suppress(Exception):
                self._connection.invalidate()
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


class EvaluationLoop:
    """Runs ``evaluate_once`` every ``interval`` seconds on a daemon thread, when leader."""

    def __init__(
        self,
        workspace: Workspace,
        store: StateStore,
        metrics: ServerMetrics,
        *,
        interval: float,
        evaluate_once: EvaluateOnce = evaluate_alerts,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.workspace = workspace
        self.store = store
        self.metrics = metrics
        self.interval = interval
        self.evaluate_once = evaluate_once
        self.clock = clock
        self.leadership = Leadership(store)
        self.last_success: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sloscope-evaluation", daemon=True)

    def start(self) -> None:
        """Start the loop thread."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current run and give the lock up."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.leadership.release()
        self.metrics.leader.set(0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval)

    def tick(self) -> bool:
        """One round: take or keep the lock, then evaluate. True when it evaluated."""
        leader = self.leadership.acquire()
        self.metrics.leader.set(1 if leader else 0)
        if not leader:
            return False
        now = self.clock()
        started = time.perf_counter()
        try:
            outcomes = self.evaluate_once(self.workspace, self.store, int(now))
        except Exception as exc:
            self.metrics.evaluations.labels("error").inc()
            log.error("evaluation failed", error=type(exc).__name__, detail=str(exc)[:300])
            self._lag(now)
            return False
        self.metrics.evaluation_seconds.observe(time.perf_counter() - started)
        self.metrics.evaluations.labels("ok").inc()
        for outcome, count in outcomes.items():
            if count:
                self.metrics.notifications.labels(outcome).inc(count)
        self.last_success = now
        self._lag(now)
        log.info("evaluated", at=int(now), **_nonzero(outcomes))
        return True

    def _lag(self, now: float) -> None:
        lag = 0.0 if self.last_success is None else max(0.0, now - self.last_success)
        self.metrics.evaluation_lag.set(lag)


def _nonzero(outcomes: dict[str, int]) -> dict[str, Any]:
    return {k: v for k, v in outcomes.items() if v}
