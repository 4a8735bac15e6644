"""Budget adjustments through the API: checked as sloscope.yaml's are, applied to the
status (and so to the CLI's report, the gate and alerting), deleted, attributed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sloscope.cli import app
from tests.cli.conftest import AT
from tests.server.conftest import NOW, Serve, Served

#: The 30 error minutes of the checkout telemetry end at AT; this covers them all.
MAINTENANCE = {
    "reason": "database upgrade",
    "start": "2026-11-20T11:25:00Z",
    "duration": "40m",
    "matchers": ['service="checkout"'],
}


def _status(served: Served) -> dict[str, Any]:
    answer = served.client.get(
        "/api/v1/status", params={"at": str(AT), "service": "checkout"}, headers=served.auth("read")
    )
    assert answer.status_code == 200
    doc: dict[str, Any] = answer.json()
    return next(s for s in doc["slos"] if s["slo"] == "orders-availability")


def _listed(served: Served) -> list[dict[str, Any]]:
    answer = served.client.get("/api/v1/adjustments", headers=served.auth("read"))
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_an_adjustment_made_through_the_api_excludes_its_period_everywhere(
    served: Served, served_root: Path
) -> None:
    before = _status(served)
    assert before["total"] - before["good"] == 3000
    created = served.client.post(
        "/api/v1/adjustments", json=MAINTENANCE, headers=served.auth("write")
    )
    assert created.status_code == 201, created.text
    adjustment = created.json()
    assert (adjustment["source"], adjustment["created_by"], adjustment["rrule"]) == (
        "api",
        "write-bot-0",
        None,
    )
    assert (adjustment["starts_at"], adjustment["duration_seconds"]) == (
        "2026-11-20T11:25:00Z",
        2400,
    )
    after = _status(served)
    assert after["total"] - after["good"] == 0
    assert after["error_budget"]["consumed"] == 0
    assert after["alerts"] == []
    # The CLI reads the same store: its report applies the adjustment too.
    cli = CliRunner().invoke(
        app, ["report", "--at", str(AT), "--service", "checkout", "--json", "-w", str(served_root)]
    )
    assert json.loads(cli.stdout)["slos"][0] == after
    assert _listed(served) == [adjustment]
    deleted = served.client.delete(
        f"/api/v1/adjustments/{adjustment['id']}", headers=served.auth("admin")
    )
    assert deleted.status_code == 200
    assert deleted.json() == adjustment
    assert _listed(served) == []
    assert _status(served) == before


def test_the_adjustments_of_sloscope_yaml_are_listed_first_and_cannot_be_deleted_here(
    serve: Serve, served_root: Path
) -> None:
    (served_root / "sloscope.yaml").write_text(
        "adjustments:\n"
        "  - reason: weekly maintenance\n"
        "    start: 2026-11-01T02:00:00Z\n"
        "    duration: 1h\n"
        "    rrule: FREQ=WEEKLY;BYDAY=SU\n",
        encoding="utf-8",
    )
    served = serve()
    served.client.post("/api/v1/adjustments", json=MAINTENANCE, headers=served.auth("write"))
    listed = _listed(served)
    assert [(a["id"], a["source"], a["reason"]) for a in listed] == [
        (None, "config", "weekly maintenance"),
        (1, "api", "database upgrade"),
    ]
    assert (listed[0]["rrule"], listed[0]["starts_at"]) == (
        "FREQ=WEEKLY;BYDAY=SU",
        "2026-11-01T02:00:00Z",
    )
    answer = served.client.delete("/api/v1/adjustments/2", headers=served.auth("write"))
    assert answer.status_code == 404
    assert "those of sloscope.yaml are changed there" in answer.json()["detail"]
    assert len(_listed(served)) == 2


def test_adjustment_writes_need_a_write_token_and_are_attributed(served: Served) -> None:
    recorded: list[dict[str, object]] = []

    class Recorder:
        def record(self, **entry: object) -> None:
            recorded.append(entry)

    served.ctx.audit = Recorder()
    assert served.client.get("/api/v1/adjustments").status_code == 401
    assert served.client.post("/api/v1/adjustments", json=MAINTENANCE).status_code == 401
    refused = served.client.post(
        "/api/v1/adjustments", json=MAINTENANCE, headers=served.auth("read")
    )
    assert refused.status_code == 403
    assert _listed(served) == []
    served.client.post("/api/v1/adjustments", json=MAINTENANCE, headers=served.auth("write"))
    assert (
        served.client.delete("/api/v1/adjustments/1", headers=served.auth("read")).status_code
        == 403
    )
    assert served.client.delete("/api/v1/adjustments/1").status_code == 401
    served.client.delete("/api/v1/adjustments/1", headers=served.auth("admin"))
    assert [(e["actor"], e["action"], e["target"], e["at"]) for e in recorded] == [
        ("write-bot-0", "adjustment.create", "adjustment/1", NOW),
        ("admin-bot-0", "adjustment.delete", "adjustment/1", NOW),
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "rrule: 'FREQ=SOMETIMES' is not an RFC 5545"),
        ({"duration": "forever"}, "duration: 'forever' is not a duration"),
        ({"duration": None, "end": "2026-11-20T11:00:00Z"}, "end: must be after start"),
        ({"end": "2026-11-20T13:00:00Z"}, "give exactly one of duration and end"),
        ({"start": "now"}, "start: write a time"),
        ({"matchers": ["service"]}, "matchers[0]"),
        ({"reason": " "}, "reason: say why"),
        ({"kind": "holiday"}, "kind"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_adjustment_is_a_422_naming_the_field_and_nothing_is_stored(
    served: Served, change: dict[str, Any], words: str
) -> None:
    body = {k: v for k, v in (MAINTENANCE | change).items() if v is not None}
    answer = served.client.post("/api/v1/adjustments", json=body, headers=served.auth("write"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"]
    assert _listed(served) == []
