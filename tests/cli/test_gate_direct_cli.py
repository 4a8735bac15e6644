"""``sloscope gate`` on a SQLite store at the newest schema writes its common rows with the
stdlib sqlite3, and hands anything else to the repositories: the same rows either way."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import AT, CliRunner
from tests.cli.test_records_cli import FREEZE_AT_25

# Outside GitHub Actions, as user "ana": the gate's plain output and its "asked by".
pytestmark = pytest.mark.usefixtures("outside_github")


def _rows(ws: Path, query: str) -> list[tuple]:
    with sqlite3.connect(ws / ".sloscope" / "state.db") as db:
        return db.execute(query).fetchall()


def test_a_step_crossed_on_a_store_at_head_is_notified_once_and_recorded_once(
    sloscope: CliRunner, ingested: Path
) -> None:
    gate = ("gate", "checkout", "-w", str(ingested), "--at", str(AT), "--json")
    # The default policy (notify at 50%) holds no step at 29.8%; this creates the store.
    assert sloscope(*gate).code == 0
    assert _rows(ingested, "SELECT steps FROM budget_step_states ORDER BY slo_id") == [
        ("[]",),
        ("[]",),
    ]
    # Now notify at 10% and freeze at 25%: this gate crosses both steps.
    (ingested / "sloscope.yaml").write_text(FREEZE_AT_25, encoding="utf-8")
    crossing = sloscope(*gate)
    assert crossing.code == 1
    again = sloscope(*gate)
    assert again.code == 1
    assert json.loads(again.stdout) == json.loads(crossing.stdout)
    outbox = _rows(ingested, "SELECT payload FROM notification_outbox ORDER BY id")
    assert [json.loads(r[0])["severity"] for r in outbox] == ["notify", "freeze"]
    decisions = _rows(ingested, "SELECT decision, asked_by FROM gate_decisions ORDER BY id")
    assert decisions == [("warn", "ana"), ("freeze", "ana"), ("freeze", "ana")]
    assert _rows(ingested, "SELECT steps FROM budget_step_states ORDER BY slo_id") == [
        ("[0, 1]",),
        ("[]",),
    ]


def test_an_override_in_force_is_read_directly_and_named_in_the_record(
    sloscope: CliRunner, ingested: Path
) -> None:
    from sloscope.records.gating import grant_override
    from sloscope.workspace import Workspace

    (ingested / "sloscope.yaml").write_text(FREEZE_AT_25, encoding="utf-8")
    gate = ("gate", "checkout", "-w", str(ingested), "--at", str(AT))
    assert sloscope(*gate).code == 1
    ws = Workspace.open(ingested, env={})
    grant_override(ws, "checkout", by="cto", reason="launch", since=AT - 60, until=AT + 60, now=AT)
    assert sloscope(*gate).code == 0
    assert sloscope(*gate[:-1], str(AT + 60)).code == 1  # expired by then
    assert _rows(ingested, "SELECT decision, override_id FROM gate_decisions ORDER BY id") == [
        ("freeze", None),
        ("warn", 1),
        ("freeze", None),
    ]
