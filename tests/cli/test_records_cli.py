"""Recorded gate decisions, overrides, the audit log, deployments and the change failure
rate, on the hand-computed checkout workspace (state in its SQLite store).

orders-availability (99.9%, 7d) has consumed 3000 / 10,083 = 29.75% of its budget at AT;
with a freeze at 25% the gate freezes it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import AT, CliRunner

FREEZE_AT_25 = """\
budget_policies:
  - name: default
    steps: [{consumed: 10, action: notify}, {consumed: 25, action: freeze}]
    exceptions: [hotfix, rollback]
notifiers:
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
routes:
  - {notifiers: [hook]}
"""


# Outside GitHub Actions, as user "ana": the gate's plain output and its "asked by".
pytestmark = pytest.mark.usefixtures("outside_github")


@pytest.fixture
def frozen(ingested: Path) -> Path:
    """The workspace with a policy that freezes at 25% and notifies a webhook."""
    (ingested / "sloscope.yaml").write_text(FREEZE_AT_25, encoding="utf-8")
    return ingested


def _rows(ws: Path, query: str) -> list[tuple]:
    path = ws / ".sloscope" / "state.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


def test_every_decision_is_recorded_with_who_asked_and_the_figures(
    sloscope: CliRunner, frozen: Path
) -> None:
    result = sloscope("gate", "checkout", "-w", str(frozen), "--at", str(AT), "--version", "2.0")
    assert result.code == 1
    sloscope("gate", "checkout", "-w", str(frozen), "--at", str(AT), "--by", "release-bot")
    rows = _rows(frozen, "SELECT asked_by, version, decision, reasons, figures FROM gate_decisions")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("ana", "2.0", "freeze"),
        ("release-bot", None, "freeze"),
    ]
    reasons = json.loads(rows[0][3])
    assert "checkout/orders-availability: 29.8% of the 7d budget consumed, freeze at 25%" in reasons
    figures = {f["slo"]: f for f in json.loads(rows[0][4])}
    assert figures["orders-availability"]["error_budget"]["consumed"] == pytest.approx(
        3000 / 10_083, abs=1e-6
    )


def test_the_ci_actor_is_who_asked_in_github_actions(
    sloscope: CliRunner, frozen: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    sloscope("gate", "checkout", "-w", str(frozen), "--at", str(AT))
    assert _rows(frozen, "SELECT asked_by FROM gate_decisions") == [("octocat",)]


def test_crossing_a_step_notifies_once_however_often_the_gate_asks(
    sloscope: CliRunner, frozen: Path
) -> None:
    for _ in range(3):
        sloscope("gate", "checkout", "-w", str(frozen), "--at", str(AT))
    rows = _rows(frozen, "SELECT receiver, payload FROM notification_outbox ORDER BY id")
    # orders-availability crossed notify (10%) and freeze (25%); orders-nodata has no data.
    assert [(r[0], json.loads(r[1])["severity"]) for r in rows] == [
        ("hook", "notify"),
        ("hook", "freeze"),
    ]
    assert (
        "29.8% of the 7d error budget consumed" in json.loads(rows[1][1])["annotations"]["summary"]
    )


def test_gate_record_records_the_deployment_it_allowed_and_not_one_it_froze(
    sloscope: CliRunner, ingested: Path, frozen: Path
) -> None:
    args = ("-w", str(frozen), "--at", str(AT), "--version", "2.0", "--record")
    assert sloscope("gate", "checkout", *args).code == 1
    assert _rows(frozen, "SELECT * FROM deployments") == []
    (frozen / "sloscope.yaml").unlink()  # the default policy allows (29.8% < 50%)
    result = sloscope("gate", "checkout", *args, "--commit", "abc123")
    assert result.code == 0
    assert _rows(frozen, 'SELECT service, version, "commit", at, recorded_by FROM deployments') == [
        ("checkout", "2.0", "abc123", AT, "ana")
    ]
    assert _rows(frozen, "SELECT deployment_id FROM gate_decisions ORDER BY id") == [(None,), (1,)]


def test_an_override_lifts_the_freeze_until_it_expires_and_is_audited(
    sloscope: CliRunner, frozen: Path
) -> None:
    result = sloscope(
        "override",
        "checkout",
        "-w",
        str(frozen),
        "--by",
        "cto",
        "--reason",
        "launch",
        "--until",
        "2h",
    )
    assert result.code == 0, result.stderr
    # The override starts now, so the gate is asked now: no telemetry then (fails open),
    # and at AT (before the override) it still freezes.
    assert sloscope("gate", "checkout", "-w", str(frozen), "--at", str(AT)).code == 1
    audit = json.loads(sloscope("audit", "-w", str(frozen), "--json").stdout)
    assert [(e["kind"], e["by"], e["reason"]) for e in audit] == [("override", "cto", "launch")]
    assert _rows(frozen, "SELECT by, reason FROM gate_overrides") == [("cto", "launch")]


def test_an_exception_is_audited_with_the_decision_it_made(
    sloscope: CliRunner, frozen: Path
) -> None:
    result = sloscope(
        "gate",
        "checkout",
        "-w",
        str(frozen),
        "--at",
        str(AT),
        "--version",
        "2.0.1",
        "--exception",
        "hotfix",
        "--reason",
        "fix the 500s",
        "--by",
        "bob",
    )
    # orders-availability's freeze is lifted; orders-nodata warns (no data, fails open).
    assert result.code == 0
    (entry,) = json.loads(sloscope("audit", "-w", str(frozen), "--json").stdout)
    assert (entry["kind"], entry["by"], entry["reason"]) == ("exception", "bob", "fix the 500s")
    assert entry["detail"]["exception"] == "hotfix"
    assert entry["detail"]["lifted_freeze"] is True
    assert entry["at"] == "2026-11-20T12:00:00Z"
    report = sloscope("report", "-w", str(frozen), "--at", str(AT), "--format", "md").stdout
    assert "## Audit (overrides and exceptions, last 28 days)" in report
    assert "checkout  hotfix exception by bob: fix the 500s" in report
    doc = json.loads(sloscope("report", "-w", str(frozen), "--at", str(AT), "--json").stdout)
    assert [(e["kind"], e["by"]) for e in doc["audit"]] == [("exception", "bob")]
    assert len(doc["slos"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gate", "payments"), "no service 'payments'"),
        (("gate", "checkout", "--exception", "hotfix"), "needs a reason"),
        (("gate", "checkout", "--exception", "yolo", "--reason", "x"), "not allowed by the budget"),
        (("gate", "checkout", "--at", "yesterday-ish"), "is not a time"),
        (("override", "checkout", "--by", "a", "--reason", "b"), "--until T is required"),
        (("override", "checkout", "--by", "a", "--until", "2h"), "--reason TEXT"),
        (
            ("override", "checkout", "--by", "a", "--reason", "b", "--until", "60d"),
            "at most 30 days",
        ),
        (("override", "payments", "--by", "a", "--reason", "b", "--until", "2h"), "no service"),
        (("deploy", "record", "payments", "--version", "1"), "no service 'payments'"),
        (("deploy", "record", "checkout", "--version", "1", "--at", "soon"), "is not a time"),
        (("incident", "open", "checkout", "--title", "x", "--slo", "nope"), "has no SLO 'nope'"),
        (("incident", "open", "checkout", "--title", "x", "--severity", "huge"), "--severity"),
        (("incident", "open", "checkout", "--title", "x", "--link", "ftp://x"), "http"),
    ],
)
def test_bad_input_is_a_clear_error_exit_2_and_nothing_is_written(
    sloscope: CliRunner, frozen: Path, args: tuple[str, ...], message: str
) -> None:
    result = sloscope(*args, "-w", str(frozen))
    assert result.code == 2
    assert message in result.stderr
    for table in ("gate_decisions", "gate_overrides", "audit_log", "deployments", "incidents"):
        assert _rows(frozen, f"SELECT * FROM {table}") == []


def test_deployments_are_listed_and_their_failure_rate_counts_incidents_within_an_hour(
    sloscope: CliRunner, ingested: Path
) -> None:
    ws = ("-w", str(ingested))
    for version, at in (("1.0", "2026-11-20T10:00:00Z"), ("1.1", "2026-11-20T11:00:00Z")):
        assert (
            sloscope("deploy", "record", "checkout", "--version", version, "--at", at, *ws).code
            == 0
        )
    sloscope(
        "deploy", "record", "checkout", "--version", "1.1", "--at", "2026-11-20T11:00:00Z", *ws
    )
    listed = json.loads(sloscope("deploy", "list", "--json", *ws).stdout)
    assert [(d["version"], d["at"]) for d in listed] == [
        ("1.0", "2026-11-20T10:00:00Z"),
        ("1.1", "2026-11-20T11:00:00Z"),
    ]
    # 1.1 at 11:00 is followed by an SLO-impacting incident at 11:30: 1 of 2 failed.
    sloscope(
        "incident",
        "open",
        "checkout",
        "--title",
        "500s",
        "--slo",
        "orders-availability",
        "--at",
        "2026-11-20T11:30:00Z",
        *ws,
    )
    doc = json.loads(
        sloscope(
            "deploy", "failure-rate", "--from", "2026-11-20", "--to", "2026-11-21", "--json", *ws
        ).stdout
    )
    assert doc["overall"] == {"deployments": 2, "failed": 1, "rate": 0.5}
    assert [d["failed_by"] for d in doc["deployments"]] == [None, "incident 1"]


def test_an_active_override_lifts_the_freeze_and_the_decision_names_it(frozen: Path) -> None:
    from sloscope.records.gating import gate_and_record, grant_override
    from sloscope.workspace import Workspace

    ws = Workspace.open(frozen, env={})
    kept = grant_override(
        ws, "checkout", by="cto", reason="launch day", since=AT - 60, until=AT + 3600, now=AT
    )
    outcome = gate_and_record(ws, "checkout", AT, asked_by="ci", now=AT, version="2.0")
    assert outcome.decision.decision == "warn"
    assert outcome.record.override_id == kept.id
    assert (
        "freeze lifted by cto's override until 2026-11-20T13:00:00Z: launch day"
        in outcome.decision.reasons
    )
    expired = gate_and_record(ws, "checkout", AT + 3600, asked_by="ci", now=AT)
    assert expired.record.override_id is None
