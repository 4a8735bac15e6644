"""``sloscope alert list|show|ack`` as a user runs them, and acknowledged alerts counted
as actionable by ``report`` and ``report --org``."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sloscope.store.alerts import AlertIdentity, AlertStates
from sloscope.workspace import Workspace
from tests.cli.conftest import AT, CliRunner

FIRING = AlertIdentity("checkout", "orders-availability", "page")
RESOLVED = AlertIdentity("checkout", "orders-availability", "ticket")
OTHER = AlertIdentity("search", "query-latency", "page")


def record_alert(ws: Path, identity: AlertIdentity, at: int, *, resolve: bool = False) -> str:
    """Record ``identity`` pending a minute before ``at``, firing at ``at`` (resolved 10
    minutes later when ``resolve``); its key."""
    with Workspace.open(ws).open_state() as store, store.transaction() as session:
        states = AlertStates(session)
        states.apply(identity, "pending", at=at - 60)
        states.apply(identity, "firing", at=at, burn_rate=20.0)
        if resolve:
            states.apply(identity, "resolved", at=at + 600)
    return identity.key


def test_alerts_are_listed_shown_and_acknowledged_once(sloscope: CliRunner, tmp_path: Path) -> None:
    ws = ("-w", str(tmp_path))
    now = int(time.time())
    key = record_alert(tmp_path, FIRING, now - 600)
    record_alert(tmp_path, RESOLVED, now - 3600, resolve=True)
    record_alert(tmp_path, OTHER, now - 300)

    listed = json.loads(sloscope("alert", "list", "--json", *ws).stdout)
    assert {a["key"] for a in listed} == {FIRING.key, RESOLVED.key, OTHER.key}
    assert all(a["acked_at"] is None and a["acked_by"] is None for a in listed)
    firing = sloscope("alert", "list", "--state", "firing", "--service", "checkout", "--json", *ws)
    assert [a["key"] for a in json.loads(firing.stdout)] == [key]
    resolved = json.loads(sloscope("alert", "list", "--state", "resolved", "--json", *ws).stdout)
    assert [a["key"] for a in resolved] == [RESOLVED.key]
    assert "orders-availability" in sloscope("alert", "list", *ws).stdout

    acked = sloscope("alert", "ack", key[:12], "--by", "ana", "--comment", "on it", *ws)
    assert acked.code == 0, acked.stderr
    assert "acknowledged by ana" in acked.stdout
    again = sloscope("alert", "ack", key, "--by", "bo", *ws)
    assert again.code == 0, again.stderr
    assert "already acknowledged by ana" in again.stdout
    assert "the first acknowledgement is kept" in again.stdout

    shown = json.loads(sloscope("alert", "show", key, "--json", *ws).stdout)
    assert shown["acked_by"] == "ana"
    assert shown["acked_at"] is not None
    assert [(t["from"], t["to"]) for t in shown["transitions"]] == [
        (None, "pending"),
        ("pending", "firing"),
    ]
    text = sloscope("alert", "show", key, *ws).stdout
    assert "acknowledged by ana at" in text
    audit = json.loads(sloscope("audit", "--json", *ws).stdout)
    assert [(e["kind"], e["by"], e["reason"]) for e in audit] == [("ack", "ana", "on it")]
    assert "orders-availability page alert" in sloscope("audit", *ws).stdout


def test_acking_an_unknown_or_resolved_alert_is_a_clear_error_and_writes_nothing(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    ws = ("-w", str(tmp_path))
    resolved = record_alert(tmp_path, RESOLVED, int(time.time()) - 3600, resolve=True)
    unknown = sloscope("alert", "ack", "f" * 64, "--by", "ana", *ws)
    assert unknown.code == 2
    assert "no alert with key" in unknown.stderr
    assert sloscope("alert", "show", "f" * 64, *ws).code == 2
    refused = sloscope("alert", "ack", resolved, "--by", "ana", *ws)
    assert refused.code == 2
    assert "is resolved: only a firing or pending alert can be acknowledged" in refused.stderr
    blank = sloscope("alert", "ack", resolved, "--by", " ", *ws)
    assert blank.code == 2
    assert "by: give a name" in blank.stderr
    assert sloscope("alert", "list", "--state", "nosuch", *ws).code == 2
    assert json.loads(sloscope("audit", "--json", *ws).stdout) == []


def test_an_acknowledged_alert_is_actionable_in_report_and_the_org_report(
    sloscope: CliRunner, ingested: Path
) -> None:
    ws = ("-w", str(ingested))
    record_alert(ingested, RESOLVED, AT - 3 * 86_400, resolve=True)  # never acknowledged
    key = record_alert(ingested, FIRING, AT - 1800)
    assert sloscope("alert", "ack", key, "--by", "ana", *ws).code == 0
    doc = json.loads(sloscope("report", "--at", str(AT), "--json", *ws).stdout)
    assert (doc["alerts"]["alerts"], doc["alerts"]["actionable"]) == (2, 1)
    assert "audit" not in doc  # acknowledgements are counted, not listed as overrides
    org = ("report", "--org", "--from", "2026-11-14", "--to", "2026-11-21", "--format", "json")
    alerts = json.loads(sloscope(*org, *ws).stdout)["alerts"]
    assert (alerts["count"], alerts["actionable"]) == (2, 1)


def test_an_acknowledgement_stays_with_its_firing_when_the_alert_fires_again(
    sloscope: CliRunner, ingested: Path
) -> None:
    ws = ("-w", str(ingested))
    key = record_alert(ingested, FIRING, AT - 3 * 86_400)
    assert sloscope("alert", "ack", key, "--by", "ana", *ws).code == 0
    with Workspace.open(ingested).open_state() as store, store.transaction() as session:
        states = AlertStates(session)
        states.apply(FIRING, "resolved", at=AT - 3 * 86_400 + 600)
        states.apply(FIRING, "pending", at=AT - 1860)
        again = states.apply(FIRING, "firing", at=AT - 1800, burn_rate=20.0)
    assert again.state.acked_at is None  # the new episode is not acknowledged
    doc = json.loads(sloscope("report", "--at", str(AT), "--json", *ws).stdout)
    assert (doc["alerts"]["alerts"], doc["alerts"]["actionable"]) == (2, 1)
