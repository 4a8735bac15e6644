"""A separate process that writes to a state store, for the two-writer tests.

``python store_worker.py URL SCHEMA|- JOB GO_FILE OUT_FILE``: waits for ``GO_FILE`` (so
two workers start together), runs ``JOB`` and writes what it did to ``OUT_FILE`` as JSON.
Every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sloscope.store.alerts import AlertIdentity, AlertStates
from sloscope.store.database import StateStore
from sloscope.store.migrate import current_revision
from sloscope.store.outbox import Outbox

EVENTS = 60
ALERTS = 20
DEADLINE_SECONDS = 60.0


def enqueue(store: StateStore) -> list[bool]:
    """Enqueue the same EVENTS events for two receivers, one transaction each."""
    added = []
    for n in range(EVENTS):
        for receiver in ("pager", "slack"):
            with store.transaction() as session:
                added.append(
                    Outbox(session).enqueue(
                        event_key=f"event-{n}",
                        alert_key=f"{n:064d}",
                        transition="firing",
                        receiver=receiver,
                        payload={"n": n},
                        now=1000,
                    )
                )
    return added


def claim(store: StateStore) -> list[int]:
    """Claim due rows a few at a time and mark them sent, until none is left."""
    claimed: list[int] = []
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_SECONDS:
        with store.transaction() as session:
            items = Outbox(session).claim_due(2000, limit=3, lease_seconds=3600)
        if not items:
            break
        for item in items:
            claimed.append(item.id)
            with store.transaction() as session:
                if not Outbox(session).mark_sent(item, 2001):
                    raise RuntimeError(f"lost the claim of row {item.id}")
    return claimed


def apply(store: StateStore) -> list[str]:
    """Drive ALERTS alerts through pending → firing → resolved; report the transitions made."""
    made = []
    for n in range(ALERTS):
        identity = AlertIdentity("svc", f"slo-{n}", "page")
        for at, state in ((100, "pending"), (160, "firing"), (400, "resolved")):
            with store.transaction() as session:
                change = AlertStates(session).apply(identity, state, at=at, burn_rate=14.4)
            if change.transition is not None:
                made.append(f"{n}:{state}")
    return made


def migrate(store: StateStore) -> str | None:
    """Nothing beyond opening (which migrated); report the revision."""
    return current_revision(store.engine)


def main() -> None:
    """Run one job after the go file appears."""
    url, schema, job, go, out = sys.argv[1:6]
    started = time.monotonic()
    while not Path(go).exists():
        if time.monotonic() - started > DEADLINE_SECONDS:
            raise SystemExit("the go file never appeared")
        time.sleep(0.01)
    # Opening migrates: for the "migrate" job the two processes race on an empty database.
    store = StateStore(url, schema=None if schema == "-" else schema)
    jobs = {"enqueue": enqueue, "claim": claim, "apply": apply, "migrate": migrate}
    result = jobs[job](store)
    store.close()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
