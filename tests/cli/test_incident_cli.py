"""Incidents, their impact and priority, postmortems, action items and the org report,
on the hand-computed checkout workspace.

The incident opens at 11:30 (AT − 30 min), when checkout starts failing 100 of 1100
requests a minute, and is mitigated at AT. orders-availability (99.9%, 7d) loses the
3000 bad requests of those 30 minutes: 3000 / 10,083 = 29.75% of its budget (P1, over
20%), or 0.2975 × 7 d × 1440 min × 0.001 = 3.0 minutes of full outage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sloscope.records.alerts import acknowledge_alert
from sloscope.records.gating import grant_override
from sloscope.store.alerts import AlertIdentity
from sloscope.workspace import Workspace
from tests.cli.conftest import AT, CliRunner
from tests.cli.test_alert_cli import record_alert

OPENED = "2026-11-20T11:30:00Z"
PAGE = AlertIdentity("checkout", "orders-availability", "page")


def _open(sloscope: CliRunner, ws: Path, *extra: str, at: str = OPENED) -> dict:
    result = sloscope(
        "incident",
        "open",
        "checkout",
        "--title",
        "orders fail",
        "--slo",
        "orders-availability",
        "--cause",
        "db",
        "--at",
        at,
        "--by",
        "ana",
        "--json",
        "-w",
        str(ws),
        *extra,
    )
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def _step(sloscope: CliRunner, ws: Path, verb: str, at: str, *extra: str) -> int:
    return sloscope("incident", verb, "1", "--at", at, "--by", "bob", "-w", str(ws), *extra).code


@pytest.fixture
def handled(sloscope: CliRunner, ingested: Path) -> Path:
    """One incident, acknowledged after 5 minutes, mitigated at AT, resolved an hour later."""
    _open(sloscope, ingested)
    assert _step(sloscope, ingested, "ack", "2026-11-20T11:35:00Z") == 0
    assert _step(sloscope, ingested, "mitigate", "2026-11-20T12:00:00Z", "--note", "rollback") == 0
    assert _step(sloscope, ingested, "resolve", "2026-11-20T13:00:00Z") == 0
    return ingested


def test_an_incidents_impact_is_the_budget_lost_between_start_and_mitigation(
    sloscope: CliRunner, handled: Path
) -> None:
    doc = json.loads(sloscope("incident", "show", "1", "--json", "-w", str(handled)).stdout)
    (impact,) = doc["impact"]
    assert impact["budget_consumed"] == pytest.approx(3000 / 10_083)
    assert impact["outage_minutes"] == pytest.approx(3000 / 10_083 * 7 * 1440 * 0.001)
    assert impact["bad_events"] == 3000
    assert doc["priority"] == "P1"
    assert (
        doc["priority_reason"] == "orders-availability lost 29.8% of its error budget (P1 from 20%)"
    )
    assert [(e["state"], e["at"]) for e in doc["timeline"]] == [
        ("open", "2026-11-20T11:30:00Z"),
        ("acknowledged", "2026-11-20T11:35:00Z"),
        ("mitigated", "2026-11-20T12:00:00Z"),
        ("resolved", "2026-11-20T13:00:00Z"),
    ]
    assert doc["state"] == "resolved"


def test_an_adjustment_leaves_its_steps_out_of_the_impact_as_out_of_the_report(
    sloscope: CliRunner, handled: Path
) -> None:
    """Bad data declared from 11:30 to 11:45: its 15 minutes (100 bad of 1100 requests a
    minute) count neither as bad events nor in the window's budget."""
    (handled / "sloscope.yaml").write_text(
        "adjustments:\n"
        "  - reason: duplicated requests in the logs\n"
        "    matchers: ['service=\"checkout\"']\n"
        "    start: 2026-11-20T11:30:00Z\n"
        "    duration: 15m\n"
        "    kind: bad-data\n"
    )
    doc = json.loads(sloscope("incident", "show", "1", "--json", "-w", str(handled)).stdout)
    (impact,) = doc["impact"]
    budget = (10_083_000 - 15 * 1100) * 0.001
    assert impact["bad_events"] == 1500
    assert impact["budget_consumed"] == pytest.approx(1500 / budget)
    assert doc["priority"] == "P2"


@pytest.mark.parametrize(
    ("verb", "at", "message"),
    [
        ("resolve", "2026-11-20T11:00:00Z", "it opened later"),
        ("ack", "2026-11-20T11:3", "is not a time"),
    ],
)
def test_a_step_out_of_order_is_refused_with_exit_2(
    sloscope: CliRunner, ingested: Path, verb: str, at: str, message: str
) -> None:
    _open(sloscope, ingested)
    result = sloscope("incident", verb, "1", "--at", at, "-w", str(ingested))
    assert result.code == 2
    assert message in result.stderr
    doc = json.loads(sloscope("incident", "show", "1", "--json", "-w", str(ingested)).stdout)
    assert doc["state"] == "open"


def test_resolving_twice_or_an_unknown_incident_is_refused(
    sloscope: CliRunner, handled: Path
) -> None:
    again = sloscope("incident", "resolve", "1", "-w", str(handled))
    assert again.code == 2
    assert "already resolved" in again.stderr
    missing = sloscope("incident", "ack", "7", "-w", str(handled))
    assert missing.code == 2
    assert "no incident 7" in missing.stderr


def test_a_second_incident_with_the_same_slo_and_cause_is_flagged_a_repeat(
    sloscope: CliRunner, handled: Path
) -> None:
    _open(sloscope, handled, at="2026-11-20T11:50:00Z")
    listed = json.loads(sloscope("incident", "list", "--json", "-w", str(handled)).stdout)
    assert [(i["id"], i["repeat_of"]) for i in listed] == [(1, None), (2, 1)]


def test_the_postmortem_has_the_impact_timeline_chart_and_actions(
    sloscope: CliRunner, handled: Path
) -> None:
    ws = ("-w", str(handled))
    assert sloscope("action", "add", "1", "add a failover test", "--owner", "ana", *ws).code == 0
    assert sloscope("action", "add", "1", "alert on pool exhaustion", *ws).code == 0
    assert sloscope("action", "done", "1", *ws).code == 0
    sloscope(
        "deploy", "record", "checkout", "--version", "2.0", "--at", "2026-11-20T11:20:00Z", *ws
    )
    key = record_alert(handled, PAGE, AT - 1680)  # fires at 11:32
    acknowledge_alert(Workspace.open(handled), key, by="cy", comment="db pool", now=AT - 1620)
    grant_override(
        Workspace.open(handled),
        "checkout",
        by="dee",
        reason="ship the fix",
        until=AT + 3600,
        since=AT - 600,
        now=AT - 600,
    )
    rollback = ("--exception", "rollback", "--reason", "pool size", "--version", "2.1")
    gated = sloscope("gate", "checkout", *rollback, "--at", "2026-11-20T11:55:00Z", *ws)
    assert gated.code == 0, gated.stdout + gated.stderr
    result = sloscope("incident", "postmortem", "1", "-o", "pm", *ws)
    assert result.code == 0, result.stderr
    text = (handled / "pm" / "incident-1.md").read_text()
    png = (handled / "pm" / "incident-1-burndown.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "| orders-availability | 29.8% | 3.0 |" in text
    assert "Priority **P1**" in text
    assert "| 2026-11-20T11:20:00Z | deploy | 2.0 |" in text
    assert "| 2026-11-20T12:00:00Z | incident | mitigated by bob: rollback |" in text
    assert "| 2026-11-20T11:32:00Z | alert | page orders-availability firing |" in text
    acked = "| 2026-11-20T11:33:00Z | alert | page orders-availability acknowledged by cy"
    assert f"{acked}: db pool |" in text
    lifted = "| 2026-11-20T11:50:00Z | override | freeze lifted by dee until 2026-11-20T13:00:00Z"
    assert f"{lifted}: ship the fix |" in text
    assert "| 2026-11-20T11:55:00Z | exception | rollback release of 2.1 by " in text
    assert "![budget burn-down](incident-1-burndown.png)" in text
    assert "- [x] #1 add a failover test (ana)" in text
    assert "- [ ] #2 alert on pool exhaustion" in text
    open_items = json.loads(sloscope("action", "list", "--open", "--json", *ws).stdout)
    assert [a["text"] for a in open_items] == ["alert on pool exhaustion"]


def test_the_org_report_measures_response_times_and_change_failures(
    sloscope: CliRunner, handled: Path
) -> None:
    ws = ("-w", str(handled))
    (handled / "sloscope.yaml").write_text("catalog: [checkout, billing, {name: ledger}]\n")
    sloscope(
        "deploy", "record", "checkout", "--version", "2.0", "--at", "2026-11-20T11:20:00Z", *ws
    )
    sloscope(
        "deploy", "record", "checkout", "--version", "1.9", "--at", "2026-11-19T09:00:00Z", *ws
    )
    args = ("report", "--org", "--from", "2026-11-14", "--to", "2026-11-21", *ws)
    doc = json.loads(sloscope(*args, "--format", "json").stdout)
    assert doc["services"]["total"] == 3
    assert doc["services"]["with_slos"] == 1
    assert doc["services"]["with_slos_share"] == pytest.approx(1 / 3)
    assert doc["services"]["without_slos"] == ["billing", "ledger"]
    assert doc["incidents"]["mtta_seconds"] == 300
    assert doc["incidents"]["mttr_seconds"] == 1800
    # The 11:20 deployment is followed by the 11:30 incident; the one the day before is not.
    assert doc["change_failure_rate"]["overall"] == {"deployments": 2, "failed": 1, "rate": 0.5}
    # Burn over the 7 days to 2026-11-21: the samples end at AT, so the range holds 6.5
    # days of 1000 good a minute (9,360,000) plus the 3000 bad, at a 0.001 budget.
    (burn,) = doc["burn"]
    assert burn["burn_rate"] == pytest.approx(
        3000 / (10_080_000 - 12 * 60_000 + 3000) / 0.001, rel=1e-3
    )
    html = sloscope(*args, "--format", "html").stdout
    assert html.count("<svg") == 3
    assert "<script" not in html
    markdown = sloscope(*args, "--format", "md").stdout
    assert "| services with SLOs | 33% (1 of 3) |" in markdown
    assert "data:image/svg+xml;base64," in markdown


def test_a_page_opens_one_incident_per_burn_when_configured(ingested: Path) -> None:
    from sloscope.records.incidents import incidents, open_incident_for_page
    from sloscope.store.events import StoredIncident
    from sloscope.workspace import Workspace

    def page(ws: Workspace, fired_at: int) -> StoredIncident | None:
        return open_incident_for_page(
            ws,
            service="checkout",
            slo="orders-availability",
            dedup_key="k1",
            fired_at=fired_at,
            now=AT,
        )

    assert page(Workspace.open(ingested, env={}), AT - 600) is None
    (ingested / "sloscope.yaml").write_text("events: {open_on_page: true}\n")
    ws = Workspace.open(ingested, env={})
    first, again, later = page(ws, AT - 600), page(ws, AT - 600), page(ws, AT)
    assert first is not None
    assert again is not None
    assert later is not None
    assert first.id == again.id != later.id
    assert first.incident.slos == ("orders-availability",)
    assert first.incident.start == AT - 600
    assert [i.id for i in incidents(ws)] == [first.id, later.id]
