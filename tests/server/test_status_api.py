"""GET /api/v1/status, services, SLOs and history: the report --json document and charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sloscope.cli import app
from tests.cli.conftest import AT
from tests.server.conftest import Serve, Served

#: Over the 7-day window at AT: 1000 good requests a minute, and 100 errors a minute in the
#: last 30 minutes. total = 10080 * 1000 + 30 * 100 = 10,083,000; bad = 3,000.
SLI = 1 - 3000 / 10_083_000
CONSUMED = 3000 / (10_083_000 * 0.001)
#: The last 5 minutes: 500 errors of 5,500 requests, against a 0.1% budget.
BURN_5M = (500 / 5500) / 0.001


def _cli_json(root: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--json", "-w", str(root)], catch_exceptions=False)
    return result.stdout


def test_status_answers_exactly_what_report_json_prints_for_the_same_arguments(
    served: Served, served_root: Path
) -> None:
    for service in (None, "checkout"):
        query = {"at": str(AT)} | ({"service": service} if service else {})
        answer = served.client.get("/api/v1/status", params=query, headers=served.auth("read"))
        args = ["report", "--at", str(AT)] + (["--service", service] if service else [])
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.text == _cli_json(served_root, *args)


def test_a_worker_process_evaluates_the_same_status_as_the_cli(
    serve: Serve, served_root: Path
) -> None:
    served = serve(evaluation_worker=True)
    answer = served.client.get(
        "/api/v1/status", params={"at": str(AT)}, headers=served.auth("read")
    )
    assert served.ctx.worker is not None
    assert answer.text == _cli_json(served_root, "report", "--at", str(AT))


def test_status_without_at_is_evaluated_at_the_start_of_the_current_minute(
    served: Served,
) -> None:
    body = served.client.get("/api/v1/status", headers=served.auth("read")).json()
    assert body["at"] == "2026-11-20T12:00:00Z"
    checkout = next(s for s in body["slos"] if s["slo"] == "orders-availability")
    assert checkout["sli"] == pytest.approx(SLI, abs=1e-8)
    assert checkout["error_budget"]["consumed"] == pytest.approx(CONSUMED, abs=1e-6)
    assert checkout["burn_rates"]["5m"] == pytest.approx(BURN_5M, abs=1e-3)


def test_status_sends_an_etag_and_answers_304_when_it_is_sent_back(served: Served) -> None:
    first = served.client.get("/api/v1/status", headers=served.auth("read"))
    etag = first.headers["etag"]
    again = served.client.get(
        "/api/v1/status", headers=served.auth("read") | {"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    other = served.client.get(
        "/api/v1/status",
        params={"service": "payments"},
        headers=served.auth("read") | {"If-None-Match": etag},
    )
    assert other.status_code == 200
    assert other.headers["etag"] != etag


def test_an_unreadable_time_or_unknown_service_is_a_problem_naming_it(served: Served) -> None:
    bad_time = served.client.get(
        "/api/v1/status", params={"at": "yesterday-ish"}, headers=served.auth("read")
    )
    assert bad_time.status_code == 400
    assert bad_time.headers["content-type"] == "application/problem+json"
    problem = bad_time.json()
    assert problem["status"] == 400
    assert problem["title"] == "Bad Request"
    assert problem["detail"].startswith("at: ")
    assert problem["instance"] == "/api/v1/status"
    assert problem["request_id"] == bad_time.headers["x-request-id"]
    unknown = served.client.get(
        "/api/v1/status", params={"service": "nope"}, headers=served.auth("read")
    )
    assert unknown.status_code == 404
    assert "known services: checkout, payments" in unknown.json()["detail"]


def test_services_are_listed_a_page_at_a_time(served: Served) -> None:
    first = served.client.get(
        "/api/v1/services", params={"limit": 1}, headers=served.auth("read")
    ).json()
    assert [s["name"] for s in first["items"]] == ["checkout"]
    assert first["items"][0]["slos"] == ["orders-availability", "orders-nodata"]
    assert (first["total"], first["next_offset"]) == (2, 1)
    second = served.client.get(
        "/api/v1/services", params={"limit": 1, "offset": 1}, headers=served.auth("read")
    ).json()
    assert [s["name"] for s in second["items"]] == ["payments"]
    assert second["next_offset"] is None
    too_many = served.client.get(
        "/api/v1/services", params={"limit": 501}, headers=served.auth("read")
    )
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"


def test_slos_are_listed_with_their_status_and_one_can_be_read_alone(served: Served) -> None:
    listed = served.client.get(
        "/api/v1/slos", params={"service": "checkout", "at": str(AT)}, headers=served.auth("read")
    ).json()
    assert [s["slo"] for s in listed["items"]] == ["orders-availability", "orders-nodata"]
    one = served.client.get(
        "/api/v1/services/checkout/slos/orders-availability",
        params={"at": str(AT)},
        headers=served.auth("read"),
    ).json()
    assert one == listed["items"][0]
    nodata = listed["items"][1]
    assert nodata["sli"] is None
    missing = served.client.get("/api/v1/services/checkout/slos/nope", headers=served.auth("read"))
    assert missing.status_code == 404
    assert "its SLOs: orders-availability, orders-nodata" in missing.json()["detail"]


def test_history_is_downsampled_to_the_width_and_ends_at_the_status_figures(
    served: Served,
) -> None:
    answer = served.client.get(
        "/api/v1/services/checkout/slos/orders-availability/history",
        params={"at": str(AT), "width": 10},
        headers=served.auth("read"),
    )
    assert answer.status_code == 200
    history = answer.json()
    assert len(history["timestamps"]) == 10
    assert history["timestamps"][-1] == AT
    assert history["window_start"] == AT - 7 * 86_400
    assert history["sli"][-1] == pytest.approx(SLI, abs=1e-8)
    assert history["budget_consumed"][-1] == pytest.approx(CONSUMED, abs=1e-6)
    assert history["budget_remaining"][-1] == pytest.approx(1 - CONSUMED, abs=1e-6)
    # Before the errors the SLI was 1 and nothing of the budget was spent.
    assert history["sli"][0] == 1.0
    assert history["budget_consumed"][0] == 0.0
    # Each point of a burn rate is the highest of its span: the last holds the 5m spike.
    assert history["burn_rates"]["5m"][-1] == pytest.approx(BURN_5M, abs=1e-3)
    assert history["burn_rates"]["5m"][0] == 0.0
    assert {t["severity"] for t in history["alert_thresholds"]} == {"page", "ticket"}
    assert history["has_data"] is True


def test_history_refuses_a_width_out_of_range(served: Served) -> None:
    answer = served.client.get(
        "/api/v1/services/checkout/slos/orders-availability/history",
        params={"width": 1},
        headers=served.auth("read"),
    )
    assert answer.status_code == 422
