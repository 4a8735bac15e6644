"""The API over the state store's records: alerts, incidents, deployments, gate
decisions, overrides, the audit log and the org report. Each answers what the CLI's
``--json`` prints for the same arguments, refuses what the CLI refuses, and needs a read
token to read and a write token to write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sloscope.cli import app
from sloscope.store.alerts import AlertIdentity, AlertStates
from tests.cli.conftest import AT, DAY
from tests.server.conftest import NOW, Served


def _cli(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--json", "-w", str(root)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _items(served: Served, path: str, **params: str) -> list[dict[str, Any]]:
    answer = served.client.get(path, params=params, headers=served.auth("read"))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _problem(answer: Any, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"]


# --- gate decisions -------------------------------------------------------------------


def test_an_api_gate_decision_is_recorded_as_the_cli_records_one(
    served: Served, served_root: Path
) -> None:
    answer = served.client.post(
        "/api/v1/gate",
        json={"service": "checkout", "version": "1.2.3", "at": str(AT)},
        headers=served.auth("write"),
    )
    assert answer.status_code == 200
    CliRunner().invoke(
        app,
        [
            "gate",
            "checkout",
            "--version",
            "1.2.4",
            "--at",
            str(AT),
            "--by",
            "ana",
            "-w",
            str(served_root),
        ],
    )
    decisions = _items(served, "/api/v1/gate/decisions")
    assert [(d["version"], d["asked_by"]) for d in decisions] == [
        ("1.2.4", "ana"),
        ("1.2.3", "write-bot-0"),
    ]
    api = decisions[1]
    assert api["decision"] == answer.json()["decision"]
    assert api["reasons"] == answer.json()["reasons"]
    assert api["slos"] == answer.json()["slos"]
    assert api["at"] == "2026-11-20T12:00:00Z"
    assert api["deployment"] is None
    assert _items(served, "/api/v1/gate/decisions", service="payments") == []


def test_record_deployment_records_the_deployment_the_gate_allowed(served: Served) -> None:
    answer = served.client.post(
        "/api/v1/gate",
        json={
            "service": "checkout",
            "version": "2.0.0",
            "at": str(AT),
            "record_deployment": True,
            "commit": "3f9c2ab",
        },
        headers=served.auth("write"),
    )
    assert answer.json()["decision"] in ("allow", "warn")
    deployed = _items(served, "/api/v1/deployments")
    assert [(d["service"], d["version"], d["commit"], d["recorded_by"]) for d in deployed] == [
        ("checkout", "2.0.0", "3f9c2ab", "write-bot-0")
    ]
    assert answer.headers["x-sloscope-deployment"] == str(deployed[0]["id"])
    assert _items(served, "/api/v1/gate/decisions")[0]["deployment"] == deployed[0]["id"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"service": "checkout", "record_deployment": True}, "--record needs --version"),
        ({"service": "checkout", "commit": "abc"}, "commit goes with record_deployment"),
    ],
)
def test_a_bad_record_deployment_request_records_nothing(
    served: Served, body: dict[str, Any], words: str
) -> None:
    answer = served.client.post("/api/v1/gate", json=body, headers=served.auth("write"))
    _problem(answer, 400, words)
    assert _items(served, "/api/v1/gate/decisions") == []
    assert _items(served, "/api/v1/deployments") == []


def test_an_exception_used_through_the_api_is_audited_and_status_shows_it_as_the_cli_does(
    served: Served, served_root: Path
) -> None:
    answer = served.client.post(
        "/api/v1/gate",
        json={
            "service": "checkout",
            "exception": "rollback",
            "reason": "back to 1.2.2",
            "at": str(AT),
        },
        headers=served.auth("write"),
    )
    assert answer.status_code == 200
    audit = _items(served, "/api/v1/audit")
    assert [(e["kind"], e["by"], e["reason"]) for e in audit] == [
        ("exception", "write-bot-0", "back to 1.2.2")
    ]
    status = served.client.get(
        "/api/v1/status", params={"at": str(AT + 60)}, headers=served.auth("read")
    )
    cli = CliRunner().invoke(
        app, ["report", "--at", str(AT + 60), "--json", "-w", str(served_root)]
    )
    assert status.text == cli.stdout
    assert status.json()["audit"][0]["reason"] == "back to 1.2.2"


def test_decisions_are_listed_a_page_at_a_time_within_a_range(served: Served) -> None:
    for minutes in range(3):
        served.client.post(
            "/api/v1/gate",
            json={"service": "checkout", "at": str(AT - minutes * 60)},
            headers=served.auth("write"),
        )
    first = served.client.get(
        "/api/v1/gate/decisions", params={"limit": 2}, headers=served.auth("read")
    ).json()
    assert (first["total"], first["next_offset"]) == (3, 2)
    assert [d["at"] for d in first["items"]] == ["2026-11-20T12:00:00Z", "2026-11-20T11:59:00Z"]
    ranged = _items(served, "/api/v1/gate/decisions", **{"from": str(AT - 60), "to": str(AT)})
    assert [d["at"] for d in ranged] == ["2026-11-20T11:59:00Z"]
    bad = served.client.get(
        "/api/v1/gate/decisions",
        params={"from": str(AT), "to": str(AT - 60)},
        headers=served.auth("read"),
    )
    _problem(bad, 400, "to must be after from")


# --- overrides and the audit log --------------------------------------------------------


def test_an_override_is_granted_listed_and_audited_as_the_cli_does(
    served: Served, served_root: Path
) -> None:
    created = served.client.post(
        "/api/v1/overrides",
        json={"service": "checkout", "reason": "fix for INC-42", "until": "4h"},
        headers=served.auth("write"),
    )
    assert created.status_code == 201, created.text
    override = created.json()
    assert (override["by"], override["since"], override["until"]) == (
        "write-bot-0",
        "2026-11-20T12:00:30Z",
        "2026-11-20T16:00:30Z",
    )
    assert _items(served, "/api/v1/overrides") == [override]
    audit = _items(served, "/api/v1/audit")
    assert audit == _cli(served_root, "audit")
    assert audit[0]["kind"] == "override"
    assert audit[0]["detail"]["override"] == override["id"]


def test_overrides_and_audit_entries_are_listed_newest_first(served: Served) -> None:
    for by, until in (("ana", "1h"), ("bo", "2h")):
        served.client.post(
            "/api/v1/overrides",
            json={"service": "checkout", "reason": "r", "until": until, "by": by},
            headers=served.auth("admin"),
        )
    assert [o["by"] for o in _items(served, "/api/v1/overrides")] == ["bo", "ana"]
    assert [e["by"] for e in _items(served, "/api/v1/audit")] == ["bo", "ana"]
    assert _items(served, "/api/v1/audit", service="payments") == []
    page = served.client.get(
        "/api/v1/audit", params={"limit": 1, "offset": 1}, headers=served.auth("read")
    ).json()
    assert ([e["by"] for e in page["items"]], page["total"], page["next_offset"]) == (
        ["ana"],
        2,
        None,
    )


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"service": "checkout", "reason": "r", "until": "31d"}, 400, "at most 30 days"),
        ({"service": "checkout", "reason": "r", "until": "soon"}, 400, "until: 'soon'"),
        ({"service": "checkout", "reason": "r", "until": str(AT - DAY)}, 400, "give --until"),
        ({"service": "checkout", "reason": " ", "until": "1h"}, 400, "--reason TEXT"),
        ({"service": "checkout", "reason": "r", "until": "1h", "by": " "}, 400, "--by NAME"),
        ({"service": "nope", "reason": "r", "until": "1h"}, 404, "no service 'nope'"),
        ({"service": "checkout", "reason": "r"}, 422, "until"),
        ({"service": "checkout", "until": "1h"}, 422, "reason"),
    ],
)
def test_a_bad_override_is_refused_as_the_cli_refuses_it_and_nothing_is_stored(
    served: Served, body: dict[str, str], status: int, words: str
) -> None:
    answer = served.client.post("/api/v1/overrides", json=body, headers=served.auth("write"))
    _problem(answer, status, words)
    assert _items(served, "/api/v1/overrides") == []
    assert _items(served, "/api/v1/audit") == []


# --- deployments -------------------------------------------------------------------------


def test_deployments_are_recorded_and_listed_as_the_cli_lists_them(
    served: Served, served_root: Path
) -> None:
    for version, at in (("1.0", AT - DAY), ("1.1", AT - 3600)):
        answer = served.client.post(
            "/api/v1/deployments",
            json={"service": "checkout", "version": version, "commit": "abc123", "at": str(at)},
            headers=served.auth("write"),
        )
        assert answer.status_code == 201, answer.text
    now = served.client.post(
        "/api/v1/deployments",
        json={"service": "payments", "version": "7"},
        headers=served.auth("write"),
    ).json()
    assert (now["at"], now["recorded_by"], now["commit"]) == (
        "2026-11-20T12:00:30Z",
        "write-bot-0",
        None,
    )
    listed = _items(served, "/api/v1/deployments")
    assert listed == _cli(served_root, "deploy", "list")[::-1]
    assert [d["version"] for d in _items(served, "/api/v1/deployments", service="checkout")] == [
        "1.1",
        "1.0",
    ]
    ranged = _items(served, "/api/v1/deployments", **{"from": str(AT - 7200), "to": str(AT)})
    assert [d["version"] for d in ranged] == ["1.1"]


def test_the_same_deployment_recorded_twice_is_kept_once(served: Served) -> None:
    body = {"service": "checkout", "version": "1.0", "at": str(AT)}
    first = served.client.post("/api/v1/deployments", json=body, headers=served.auth("write"))
    again = served.client.post("/api/v1/deployments", json=body, headers=served.auth("write"))
    assert first.json()["id"] == again.json()["id"]
    assert len(_items(served, "/api/v1/deployments")) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"service": "nope", "version": "1"}, 404, "no service 'nope'"),
        ({"service": "checkout", "version": " "}, 400, "--version: must not be empty"),
        ({"service": "checkout", "version": "1", "commit": "not a sha!"}, 400, "--commit"),
        ({"service": "checkout", "version": "1", "at": "yesterday"}, 400, "at: 'yesterday'"),
        ({"service": "checkout"}, 422, "version"),
    ],
)
def test_a_bad_deployment_is_refused_and_nothing_is_stored(
    served: Served, body: dict[str, str], status: int, words: str
) -> None:
    answer = served.client.post("/api/v1/deployments", json=body, headers=served.auth("write"))
    _problem(answer, status, words)
    assert _items(served, "/api/v1/deployments") == []


def test_the_change_failure_rate_is_what_the_cli_prints(served: Served, served_root: Path) -> None:
    for version, at in (("1.0", AT - 2 * DAY), ("1.1", AT - 3600)):
        served.client.post(
            "/api/v1/deployments",
            json={"service": "checkout", "version": version, "at": str(at)},
            headers=served.auth("write"),
        )
    served.client.post(
        "/api/v1/incidents",
        json={
            "service": "checkout",
            "title": "errors after 1.1",
            "slos": ["orders-availability"],
            "at": str(AT - 1800),
        },
        headers=served.auth("write"),
    )
    span = {"from": str(AT - 3 * DAY), "to": str(AT)}
    answer = served.client.get(
        "/api/v1/deployments/failure-rate", params=span, headers=served.auth("read")
    )
    assert answer.status_code == 200
    doc = answer.json()
    assert doc == _cli(
        served_root, "deploy", "failure-rate", "--from", span["from"], "--to", span["to"]
    )
    assert doc["overall"] == {"deployments": 2, "failed": 1, "rate": 0.5}
    everything = served.client.get(
        "/api/v1/deployments/failure-rate", headers=served.auth("read")
    ).json()
    assert (everything["from"], everything["to"]) == (
        "1970-01-01T00:00:00Z",
        "2026-11-20T12:00:30Z",
    )


# --- incidents ----------------------------------------------------------------------------


def _open(served: Served, **extra: Any) -> dict[str, Any]:
    body = {
        "service": "checkout",
        "title": "checkout errors",
        "slos": ["orders-availability"],
        "severity": "critical",
        "cause_tags": ["deploy"],
        "links": ["https://chat.example.com/inc"],
        "at": str(AT - 1800),
    } | extra
    answer = served.client.post("/api/v1/incidents", json=body, headers=served.auth("write"))
    assert answer.status_code == 201, answer.text
    opened: dict[str, Any] = answer.json()
    return opened


def _step(served: Served, number: int, verb: str, **body: str) -> Any:
    return served.client.post(
        f"/api/v1/incidents/{number}/{verb}", json=body or None, headers=served.auth("write")
    )


def test_an_incident_is_opened_stepped_through_and_shown_as_the_cli_shows_it(
    served: Served, served_root: Path
) -> None:
    opened = _open(served)
    assert (opened["state"], opened["timeline"][0]["by"]) == ("open", "write-bot-0")
    number = opened["id"]
    assert _step(served, number, "ack", at=str(AT - 1500), note="looking").status_code == 200
    mitigated = _step(served, number, "mitigate", at=str(AT - 600))
    assert mitigated.json()["state"] == "mitigated"
    resolved = _step(served, number, "resolve")
    assert resolved.json()["resolved_at"] == "2026-11-20T12:00:30Z"
    shown = served.client.get(f"/api/v1/incidents/{number}", headers=served.auth("read"))
    assert shown.status_code == 200
    doc = shown.json()
    assert doc == _cli(served_root, "incident", "show", str(number))
    assert [(e["state"], e["note"]) for e in doc["timeline"]] == [
        ("open", ""),
        ("acknowledged", "looking"),
        ("mitigated", ""),
        ("resolved", ""),
    ]
    # 20 of the 30 error minutes fell between opening and mitigation.
    assert doc["impact"][0]["slo"] == "orders-availability"
    assert doc["impact"][0]["bad_events"] == pytest.approx(20 * 100)


def test_incidents_are_listed_newest_first_with_repeats_flagged_and_filtered(
    served: Served, served_root: Path
) -> None:
    first = _open(served, at=str(AT - 2 * DAY))
    second = _open(served, at=str(AT - DAY))
    _step(served, first["id"], "resolve", at=str(AT - 2 * DAY + 600))
    listed = _items(served, "/api/v1/incidents")
    assert listed == _cli(served_root, "incident", "list")[::-1]
    assert [(i["id"], i["repeat_of"]) for i in listed] == [
        (second["id"], first["id"]),
        (first["id"], None),
    ]
    assert [i["id"] for i in _items(served, "/api/v1/incidents", state="resolved")] == [first["id"]]
    assert _items(served, "/api/v1/incidents", service="payments") == []
    opened_since = _items(served, "/api/v1/incidents", **{"from": str(AT - DAY - 1800)})
    assert [i["id"] for i in opened_since] == [second["id"]]


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ([("resolve", str(AT - 3600))], "it opened later, at 2026-11-20T11:30:00Z"),
        ([("ack", str(AT)), ("ack", str(AT))], "is already acknowledged; nothing to"),
        ([("resolve", str(AT)), ("mitigate", str(AT))], "was resolved at"),
        ([("mitigate", str(AT)), ("resolve", str(AT - 60))], "before its mitigation"),
    ],
)
def test_a_step_that_cannot_follow_is_refused_with_the_clis_words(
    served: Served, steps: list[tuple[str, str]], words: str
) -> None:
    number = _open(served)["id"]
    *before, (verb, at) = steps
    for done, when in before:
        assert _step(served, number, done, at=when).status_code == 200
    _problem(_step(served, number, verb, at=at), 400, words)
    shown = served.client.get(f"/api/v1/incidents/{number}", headers=served.auth("read")).json()
    assert len(shown["timeline"]) == 1 + len(before)


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ({"service": "nope"}, 404, "no service 'nope'"),
        ({"slos": ["nope"]}, 404, "has no SLO 'nope'"),
        ({"links": ["javascript:alert(1)"]}, 400, "give an http(s) URL"),
        ({"title": " "}, 400, "--title: must not be empty"),
        ({"severity": "huge"}, 422, "severity"),
        ({"at": "soon"}, 400, "at: 'soon'"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_a_bad_incident_is_refused_and_nothing_is_stored(
    served: Served, extra: dict[str, Any], status: int, words: str
) -> None:
    body = {"service": "checkout", "title": "t", "at": str(AT)} | extra
    answer = served.client.post("/api/v1/incidents", json=body, headers=served.auth("write"))
    _problem(answer, status, words)
    assert _items(served, "/api/v1/incidents") == []


def test_an_unknown_incident_or_step_is_a_problem(served: Served) -> None:
    _problem(
        served.client.get("/api/v1/incidents/99", headers=served.auth("read")),
        404,
        "no incident 99",
    )
    _problem(_step(served, 99, "ack"), 404, "no incident 99")
    number = _open(served)["id"]
    _problem(_step(served, number, "reopen"), 422, "step")
    _problem(_step(served, number, "ack", note="x" * 2001), 422, "note")


# --- alerts -------------------------------------------------------------------------------


def _record_alerts(served: Served) -> dict[str, str]:
    """A firing page, a pending ticket of checkout, and a resolved page of payments."""
    keys = {}
    with served.ctx.store.transaction() as session:
        states = AlertStates(session)
        for name, identity, moves in (
            (
                "page",
                AlertIdentity("checkout", "orders-availability", "page"),
                [("pending", AT - 600), ("firing", AT - 300)],
            ),
            (
                "ticket",
                AlertIdentity("checkout", "orders-availability", "ticket"),
                [("pending", AT - 120)],
            ),
            (
                "payments",
                AlertIdentity("payments", "charge-availability", "page"),
                [("firing", AT - 900), ("resolved", AT - 200)],
            ),
        ):
            for state, at in moves:
                states.apply(
                    identity,
                    state,
                    at=at,
                    burn_rate=14.4,
                    labels={
                        "service": identity.service,
                        "slo": identity.slo,
                        "team": "shop",
                    },
                )
            keys[name] = identity.key
    return keys


def test_alerts_are_listed_by_latest_change_and_filtered_by_state_service_and_slo(
    served: Served,
) -> None:
    keys = _record_alerts(served)
    listed = _items(served, "/api/v1/alerts")
    assert [a["key"] for a in listed] == [keys["ticket"], keys["payments"], keys["page"]]
    page = listed[2]
    assert (page["state"], page["silenced"], page["fired_at"], page["peak_burn_rate"]) == (
        "firing",
        False,
        "2026-11-20T11:55:00Z",
        14.4,
    )
    assert page["labels"] == {
        "service": "checkout",
        "slo": "orders-availability",
        "team": "shop",
        "severity": "page",
    }
    assert [a["key"] for a in _items(served, "/api/v1/alerts", state="firing")] == [keys["page"]]
    assert [a["key"] for a in _items(served, "/api/v1/alerts", state="resolved")] == [
        keys["payments"]
    ]
    assert [a["key"] for a in _items(served, "/api/v1/alerts", service="payments")] == [
        keys["payments"]
    ]
    assert len(_items(served, "/api/v1/alerts", slo="orders-availability")) == 2
    _problem(
        served.client.get("/api/v1/alerts", params={"state": "on"}, headers=served.auth("read")),
        422,
        "state",
    )


def test_a_silenced_alert_is_listed_as_silenced_and_no_longer_as_firing(served: Served) -> None:
    keys = _record_alerts(served)
    served.client.post(
        "/api/v1/silences",
        json={"matchers": ["team=shop", "severity=page"], "duration": "1h", "comment": "fix"},
        headers=served.auth("write"),
    )
    silenced = _items(served, "/api/v1/alerts", state="silenced")
    assert [a["key"] for a in silenced] == [keys["page"]]
    assert silenced[0]["silenced"] is True
    assert _items(served, "/api/v1/alerts", state="firing") == []
    # A resolved alert is not silenced, whatever matches it.
    resolved = _items(served, "/api/v1/alerts", state="resolved")
    assert resolved[0]["silenced"] is False


def test_one_alert_is_shown_with_its_transitions(served: Served) -> None:
    keys = _record_alerts(served)
    answer = served.client.get(f"/api/v1/alerts/{keys['payments']}", headers=served.auth("read"))
    assert answer.status_code == 200
    alert = answer.json()
    assert (alert["state"], alert["resolved_at"]) == ("resolved", "2026-11-20T11:56:40Z")
    assert [(t["from"], t["to"], t["at"]) for t in alert["transitions"]] == [
        (None, "firing", "2026-11-20T11:45:00Z"),
        ("firing", "resolved", "2026-11-20T11:56:40Z"),
    ]
    _problem(
        served.client.get("/api/v1/alerts/" + "0" * 64, headers=served.auth("read")),
        404,
        "no alert with key",
    )


def _ack(served: Served, key: str, scope: str = "write", **body: object) -> Any:
    return served.client.post(f"/api/v1/alerts/{key}/ack", json=body, headers=served.auth(scope))


def test_an_alert_is_acknowledged_by_the_token_once_and_shown_so(served: Served) -> None:
    recorded: list[dict[str, object]] = []

    class Recorder:
        def record(self, **entry: object) -> None:
            recorded.append(entry)

    served.ctx.audit = Recorder()
    keys = _record_alerts(served)
    first = _ack(served, keys["page"], comment="looking")
    assert first.status_code == 200, first.text
    assert (first.json()["acknowledged"], first.json()["acked_by"]) == (True, "write-bot-0")
    assert first.json()["acked_at"] == "2026-11-20T12:00:30Z"  # NOW
    again = _ack(served, keys["page"], "admin", by="someone else")
    assert again.status_code == 200
    assert (again.json()["acknowledged"], again.json()["acked_by"]) == (False, "write-bot-0")
    named = served.client.post(
        f"/api/v1/alerts/{keys['ticket']}/ack",
        json={"by": "ana"},
        headers=served.auth("admin"),
    )
    assert named.json()["acked_by"] == "ana"  # a pending alert can be acknowledged too
    listed = {a["key"]: a for a in _items(served, "/api/v1/alerts")}
    assert listed[keys["page"]]["acked_by"] == "write-bot-0"
    assert listed[keys["payments"]]["acked_at"] is None
    shown = served.client.get(f"/api/v1/alerts/{keys['page']}", headers=served.auth("read"))
    assert shown.json()["acked_at"] == "2026-11-20T12:00:30Z"  # NOW
    audit = _items(served, "/api/v1/audit")  # newest first
    assert [(e["kind"], e["by"], e["reason"]) for e in audit] == [
        ("ack", "ana", ""),
        ("ack", "write-bot-0", "looking"),
    ]
    assert [(e["actor"], e["action"], e["target"]) for e in recorded] == [
        ("write-bot-0", "alert.ack", f"alert/{keys['page']}"),
        ("admin-bot-0", "alert.ack", f"alert/{keys['ticket']}"),
    ]


def test_acking_an_unknown_or_resolved_alert_or_with_a_bad_body_is_a_problem(
    served: Served,
) -> None:
    keys = _record_alerts(served)
    _problem(_ack(served, "0" * 64), 404, "no alert with key")
    _problem(_ack(served, keys["payments"]), 400, "only a firing or pending alert")
    _problem(_ack(served, keys["page"], by=""), 422, "by")
    _problem(_ack(served, keys["page"], comment="x" * 2001), 422, "comment")
    _problem(_ack(served, keys["page"], who="ana"), 422, "who")
    assert _items(served, "/api/v1/audit") == []


# --- the org report -----------------------------------------------------------------------


def test_the_org_report_is_what_report_org_prints_for_the_same_range(
    served: Served, served_root: Path
) -> None:
    _open(served)
    served.client.post(
        "/api/v1/deployments",
        json={"service": "checkout", "version": "1.0", "at": str(AT - DAY)},
        headers=served.auth("write"),
    )
    span = {"from": str(AT - 7 * DAY), "to": str(AT)}
    answer = served.client.get("/api/v1/report/org", params=span, headers=served.auth("read"))
    assert answer.status_code == 200
    cli = CliRunner().invoke(
        app,
        [
            "report",
            "--org",
            "--format",
            "json",
            "--from",
            span["from"],
            "--to",
            span["to"],
            "-w",
            str(served_root),
        ],
    )
    assert answer.text == cli.stdout
    week = served.client.get(
        "/api/v1/report/org", params={"to": str(AT)}, headers=served.auth("read")
    )
    assert week.text == answer.text


def test_an_org_report_over_too_long_a_range_is_refused(served: Served) -> None:
    answer = served.client.get(
        "/api/v1/report/org",
        params={"from": str(AT - 200 * DAY), "to": str(AT)},
        headers=served.auth("read"),
    )
    _problem(answer, 400, "at most 100 days")


# --- auth ---------------------------------------------------------------------------------

READS = [
    "/api/v1/alerts",
    "/api/v1/alerts/abc",
    "/api/v1/incidents",
    "/api/v1/incidents/1",
    "/api/v1/deployments",
    "/api/v1/deployments/failure-rate",
    "/api/v1/gate/decisions",
    "/api/v1/overrides",
    "/api/v1/audit",
    "/api/v1/report/org",
]
WRITES = [
    ("/api/v1/incidents", {"service": "checkout", "title": "t"}),
    ("/api/v1/incidents/1/ack", {}),
    ("/api/v1/deployments", {"service": "checkout", "version": "1"}),
    ("/api/v1/overrides", {"service": "checkout", "reason": "r", "until": "1h"}),
    ("/api/v1/alerts/abc/ack", {}),
]


@pytest.mark.parametrize("path", READS)
def test_every_record_read_needs_a_read_token(served: Served, path: str) -> None:
    _problem(served.client.get(path), 401, "read scope")


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_every_record_write_needs_a_write_token_and_reads_stay_empty(
    served: Served, path: str, body: dict[str, str]
) -> None:
    _problem(served.client.post(path, json=body), 401, "write scope")
    _problem(served.client.post(path, json=body, headers=served.auth("read")), 403, "read scope")
    for listing in ("/api/v1/incidents", "/api/v1/deployments", "/api/v1/overrides"):
        assert _items(served, listing) == []


def test_every_record_write_is_attributed_to_its_token(served: Served) -> None:
    recorded: list[dict[str, object]] = []

    class Recorder:
        def record(self, **entry: object) -> None:
            recorded.append(entry)

    served.ctx.audit = Recorder()
    number = _open(served)["id"]
    _step(served, number, "ack")
    served.client.post(
        "/api/v1/deployments",
        json={"service": "checkout", "version": "1"},
        headers=served.auth("admin"),
    )
    served.client.post(
        "/api/v1/overrides",
        json={"service": "checkout", "reason": "r", "until": "1h"},
        headers=served.auth("admin"),
    )
    assert [(e["actor"], e["action"], e["target"], e["at"]) for e in recorded] == [
        ("write-bot-0", "incident.open", f"incident/{number}", NOW),
        ("write-bot-0", "incident.ack", f"incident/{number}", NOW),
        ("admin-bot-0", "deployment.record", "deployment/1", NOW),
        ("admin-bot-0", "override.create", "override/1", NOW),
    ]
