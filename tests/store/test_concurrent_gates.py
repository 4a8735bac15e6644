"""Twenty ``gate`` calls at once on PostgreSQL: every one gets an answer and is recorded
exactly once; a budget step crossed by all of them is notified once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sloscope.records.gating import GateOutcome, gate_and_record
from sloscope.store.database import StateStore
from sloscope.store.gates import GateRecords
from sloscope.store.outbox import Outbox
from sloscope.workspace import Workspace
from tests.cli.conftest import AT, SPEC, telemetry
from tests.store import postgres

CALLS = 20
# Freeze at 20%: the hand-computed workspace has 29.8% of its budget consumed at AT.
CONFIG = """\
state:
  url: "{url}?options=-csearch_path%3D{schema}"
budget_policies:
  - name: default
    steps: [{{consumed: 10, action: notify}}, {{consumed: 20, action: freeze}}]
notifiers:
  - {{name: hook, type: webhook, url: "http://127.0.0.1:9/hook"}}
routes:
  - {{notifiers: [hook]}}
"""


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped after the test."""
    name = postgres.create_schema(postgres_url)
    try:
        yield name
    finally:
        postgres.drop_schema(postgres_url, name)


@pytest.fixture
def ws(tmp_path: Path, postgres_url: str, schema: str) -> Workspace:
    """The hand-computed checkout workspace, its state in the PostgreSQL schema."""
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "sloscope.yaml").write_text(
        CONFIG.format(url=postgres_url, schema=schema), encoding="utf-8"
    )
    (tmp_path / "metrics.om").write_text(telemetry(), encoding="utf-8")
    workspace = Workspace.open(tmp_path, env={})
    workspace.ingest(tmp_path / "metrics.om")
    workspace.open_state().close()  # migrate once, as the first command would
    return workspace


def test_twenty_concurrent_gates_all_answer_and_are_recorded_once(
    ws: Workspace, postgres_url: str, schema: str
) -> None:
    def ask(index: int) -> GateOutcome:
        return gate_and_record(
            ws, "checkout", AT, asked_by=f"ci-{index}", now=AT, version=f"2.{index}"
        )

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        outcomes = list(pool.map(ask, range(CALLS), timeout=240))
    unexpected = [o.decision.reasons for o in outcomes if o.decision.decision != "freeze"]
    assert unexpected == []
    with StateStore(postgres_url, schema=schema) as store, store.transaction() as session:
        records = GateRecords(session).find()
        outbox = Outbox(session).find()
    assert sorted(r.asked_by for r in records) == sorted(f"ci-{i}" for i in range(CALLS))
    assert len({r.request_id for r in records}) == CALLS
    assert {o.record.id for o in outcomes} == {r.id for r in records}
    # orders-availability crossed both steps (notify, freeze): two messages for the one
    # receiver, not forty.
    assert sorted(item.payload["severity"] for item in outbox) == ["freeze", "notify"]
    assert sum(o.notified for o in outcomes) == 2
