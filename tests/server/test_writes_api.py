"""The API's writes: gate, silences and ingest; scopes, attribution and bad bodies."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sloscope.cli import app
from tests.cli.conftest import AT
from tests.server.conftest import NOW, Serve, Served


def test_gate_answers_exactly_what_gate_json_prints(served: Served, served_root: Path) -> None:
    answer = served.client.post(
        "/api/v1/gate",
        json={"service": "checkout", "version": "1.2.3", "at": str(AT)},
        headers=served.auth("write"),
    )
    cli = CliRunner().invoke(
        app,
        [
            "gate",
            "checkout",
            "--version",
            "1.2.3",
            "--at",
            str(AT),
            "--json",
            "-w",
            str(served_root),
        ],
    )
    assert answer.status_code == 200
    assert answer.text == cli.stdout
    assert answer.json()["decision"] in {"allow", "warn", "freeze"}


def test_gate_without_at_is_decided_at_the_current_minute_from_the_cached_status(
    served: Served,
) -> None:
    first = served.client.post(
        "/api/v1/gate", json={"service": "checkout"}, headers=served.auth("admin")
    )
    assert first.status_code == 200
    misses = served.ctx._reports.misses
    again = served.client.post(
        "/api/v1/gate", json={"service": "checkout"}, headers=served.auth("admin")
    )
    assert again.text == first.text
    assert served.ctx._reports.misses == misses


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"service": "nope"}, 404, "no service 'nope'"),
        ({"service": "checkout", "reason": "x"}, 400, "reason goes with exception"),
        ({"service": "checkout", "exception": "whim", "reason": "x"}, 400, "whim"),
        ({"service": "checkout", "journey": "nope"}, 404, "no SLOs of journey 'nope'"),
        ({"service": "checkout", "colour": "red"}, 422, "colour"),
        ({"version": "1"}, 422, "service"),
        ({"service": "x" * 201}, 422, "service"),
    ],
)
def test_a_bad_gate_request_is_a_problem_saying_what_is_wrong(
    served: Served, body: dict[str, str], status: int, words: str
) -> None:
    answer = served.client.post("/api/v1/gate", json=body, headers=served.auth("write"))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"]


def test_a_gate_body_that_is_not_json_is_refused(served: Served) -> None:
    answer = served.client.post(
        "/api/v1/gate",
        content=b"service=checkout",
        headers=served.auth("write") | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["status"] == 422


def test_writes_need_a_write_token_in_the_header(served: Served) -> None:
    body = {"service": "checkout"}
    anonymous = served.client.post("/api/v1/gate", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    reader = served.client.post("/api/v1/gate", json=body, headers=served.auth("read"))
    assert reader.status_code == 403
    assert "read scope" in reader.json()["detail"]


def test_a_silence_is_created_attributed_to_the_token_listed_and_expired(served: Served) -> None:
    created = served.client.post(
        "/api/v1/silences",
        json={
            "matchers": ["service=checkout", "severity=~page|ticket"],
            "duration": "2h",
            "comment": "deploying the fix",
        },
        headers=served.auth("write"),
    )
    assert created.status_code == 201
    silence = created.json()
    assert silence["author"] == "write-bot-0"
    assert silence["matchers"] == ["service=checkout", "severity=~page|ticket"]
    assert (silence["state"], silence["starts_at"], silence["ends_at"]) == (
        "active",
        "2026-11-20T12:00:30Z",
        "2026-11-20T14:00:30Z",
    )
    listed = served.client.get("/api/v1/silences", headers=served.auth("read")).json()
    assert [s["id"] for s in listed["items"]] == [silence["id"]]
    expired = served.client.post(
        f"/api/v1/silences/{silence['id']}/expire", headers=served.auth("admin")
    )
    assert expired.json()["state"] == "expired"
    assert served.client.get("/api/v1/silences", headers=served.auth("read")).json()["total"] == 0
    every = served.client.get(
        "/api/v1/silences", params={"all": "true"}, headers=served.auth("read")
    ).json()
    assert [s["state"] for s in every["items"]] == ["expired"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"matchers": ["service"], "duration": "2h", "comment": "c"}, 400, "matcher 'service'"),
        ({"matchers": ["a=b"], "duration": "2 hours", "comment": "c"}, 400, "duration"),
        ({"matchers": ["a=b"], "duration": "400d", "comment": "c"}, 400, "at most 366d"),
        ({"matchers": [], "duration": "2h", "comment": "c"}, 422, "matchers"),
        ({"matchers": ["a=b"], "duration": "2h", "comment": " "}, 400, "say why"),
        ({"matchers": ["a=b"], "duration": "2h"}, 422, "comment"),
    ],
)
def test_a_bad_silence_is_a_problem_and_nothing_is_stored(
    served: Served, body: dict[str, object], status: int, words: str
) -> None:
    answer = served.client.post("/api/v1/silences", json=body, headers=served.auth("write"))
    assert answer.status_code == status
    assert words in answer.json()["detail"]
    assert served.client.get("/api/v1/silences", headers=served.auth("read")).json()["total"] == 0


def test_expiring_a_silence_that_does_not_exist_is_404(served: Served) -> None:
    answer = served.client.post("/api/v1/silences/999/expire", headers=served.auth("write"))
    assert answer.status_code == 404
    assert "no silence with id 999" in answer.json()["detail"]


INGEST = (
    "# TYPE http_requests counter\n"
    'http_requests_total{service="payments",code="200"} 0 1795175000\n'
    'http_requests_total{service="payments",code="200"} 600 1795175600\n'
    "# EOF\n"
)


def test_ingest_stores_the_body_and_the_next_status_sees_it(
    served: Served, served_root: Path
) -> None:
    before = served.client.get(
        "/api/v1/status", params={"service": "payments"}, headers=served.auth("read")
    ).json()
    assert before["slos"][0]["total"] is None
    answer = served.client.post(
        "/api/v1/ingest",
        content=INGEST.encode(),
        headers=served.auth("write") | {"Content-Type": "text/plain"},
    )
    assert answer.status_code == 200
    assert answer.json()["new_samples"] == 2
    after = served.client.get(
        "/api/v1/status", params={"service": "payments"}, headers=served.auth("read")
    ).json()
    assert after["slos"][0]["total"] == 600.0


def test_ingest_is_all_or_nothing_and_names_the_bad_line(served: Served, served_root: Path) -> None:
    bad = INGEST.replace("600 1795175600", "six-hundred 1795175600")
    answer = served.client.post(
        "/api/v1/ingest", content=bad.encode(), headers=served.auth("write")
    )
    assert answer.status_code == 400
    assert "nothing was stored" in answer.json()["detail"]
    assert 'request body:3: invalid value "six-hundred"' in answer.json()["detail"]
    # The good line before the bad one was not stored either.
    status = served.client.get(
        "/api/v1/status", params={"service": "payments"}, headers=served.auth("read")
    ).json()
    assert status["slos"][0]["total"] is None


def test_a_body_over_the_limit_is_refused_with_413(serve: Serve) -> None:
    served = serve(max_ingest_bytes=100, max_body_bytes=200)
    ingest = served.client.post(
        "/api/v1/ingest", content=INGEST.encode() * 2, headers=served.auth("write")
    )
    assert ingest.status_code == 413
    assert ingest.headers["content-type"] == "application/problem+json"
    assert "over the limit of 100 bytes" in ingest.json()["detail"]
    gate = served.client.post(
        "/api/v1/gate",
        json={"service": "checkout", "reason": "x" * 300},
        headers=served.auth("write"),
    )
    assert gate.status_code == 413


def test_a_streamed_body_without_a_length_is_counted_as_it_arrives(serve: Serve) -> None:
    served = serve(max_ingest_bytes=100)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"#" * 50

    answer = served.client.post("/api/v1/ingest", content=chunks(), headers=served.auth("write"))
    assert answer.status_code == 413


def test_every_write_is_recorded_with_its_author(served: Served) -> None:
    recorded: list[dict[str, object]] = []

    class Recorder:
        def record(self, **entry: object) -> None:
            recorded.append(entry)

    served.ctx.audit = Recorder()
    served.client.post("/api/v1/gate", json={"service": "checkout"}, headers=served.auth("write"))
    served.client.post(
        "/api/v1/silences",
        json={"matchers": ["service=checkout"], "duration": "1h", "comment": "c"},
        headers=served.auth("admin"),
    )
    assert [(e["actor"], e["action"], e["at"]) for e in recorded] == [
        ("write-bot-0", "gate.decide", NOW),
        ("admin-bot-0", "silence.create", NOW),
    ]


def test_without_telemetry_the_gate_answers_as_the_cli_does_not_with_an_error(
    served: Served, served_root: Path
) -> None:
    (served_root / ".sloscope" / "telemetry.duckdb").unlink()
    answer = served.client.post(
        "/api/v1/gate", json={"service": "checkout", "at": str(AT)}, headers=served.auth("write")
    )
    cli = CliRunner().invoke(
        app, ["gate", "checkout", "--at", str(AT), "--json", "-w", str(served_root)]
    )
    assert answer.status_code == 200
    assert answer.text == cli.stdout
    assert "no telemetry store" in answer.text
