"""Tokens (stored hashed, revocable), public read, ops endpoints and the OpenAPI schema."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from sloscope.cli import app
from sloscope.store.rows import ApiTokenRow
from sloscope.store.tokens import Tokens
from sloscope.workspace import Workspace
from tests.server.conftest import NOW, Serve, Served


def test_reads_need_a_read_token_unless_the_server_is_public_read(serve: Serve) -> None:
    private = serve()
    refused = private.client.get("/api/v1/services")
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("this needs a token with read scope")
    for scope in ("read", "write", "admin"):
        assert private.client.get("/api/v1/services", headers=private.auth(scope)).is_success
    public = serve(public_read=True)
    assert public.client.get("/api/v1/services").status_code == 200
    # Public read opens reads only.
    assert public.client.post("/api/v1/gate", json={"service": "checkout"}).status_code == 401


def test_an_unknown_malformed_or_revoked_token_is_refused(served: Served) -> None:
    for header in ("Bearer slo_not-a-token", "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer"):
        answer = served.client.get("/api/v1/services", headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert answer.headers["content-type"] == "application/problem+json"
    with served.ctx.store.transaction() as session:
        Tokens(session).revoke("read-bot-0", NOW)
    assert served.client.get("/api/v1/services", headers=served.auth("read")).status_code == 401


def test_token_create_prints_the_token_once_and_stores_only_its_hash(served_root: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["token", "create", "--scope", "write", "--name", "ci", "-w", str(served_root)]
    )
    assert created.exit_code == 0
    secret = created.stdout.strip()
    assert secret.startswith("slo_")
    assert len(secret) == 4 + 43
    ws = Workspace.open(served_root)
    with ws.open_state() as store, store.transaction() as session:
        stored = session.scalars(select(ApiTokenRow).where(ApiTokenRow.name == "ci")).one()
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.encode() not in (served_root / ".sloscope" / "state.db").read_bytes()
    listed = runner.invoke(app, ["token", "list", "-w", str(served_root)])
    assert "ci\twrite\tcreated" in listed.stdout
    assert secret not in listed.stdout
    revoked = runner.invoke(app, ["token", "revoke", "ci", "-w", str(served_root)])
    assert revoked.exit_code == 0
    assert "ci" not in runner.invoke(app, ["token", "list", "-w", str(served_root)]).stdout
    every = runner.invoke(app, ["token", "list", "--all", "-w", str(served_root)]).stdout
    assert "revoked" in every


def test_token_commands_refuse_a_bad_scope_a_taken_name_and_an_unknown_token(
    served_root: Path,
) -> None:
    runner = CliRunner()
    root = ["-w", str(served_root)]
    bad = runner.invoke(app, ["token", "create", "--scope", "root", *root])
    assert (bad.exit_code, "choose read, write or admin" in bad.stderr) == (2, True)
    runner.invoke(app, ["token", "create", "--scope", "read", "--name", "x", *root])
    taken = runner.invoke(app, ["token", "create", "--scope", "read", "--name", "x", *root])
    assert (taken.exit_code, "exists" in taken.stderr) == (2, True)
    unknown = runner.invoke(app, ["token", "revoke", "nope", *root])
    assert (unknown.exit_code, "no token named 'nope'" in unknown.stderr) == (2, True)


def test_healthz_and_readyz_answer_and_readyz_names_a_missing_source(
    serve: Serve, served_root: Path
) -> None:
    served = serve()
    assert served.client.get("/healthz").json() == {"status": "ok"}
    ready = served.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"state_store": "ok", "source": "ok"}
    (served_root / ".sloscope" / "telemetry.duckdb").unlink()
    not_ready = served.client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["state_store"] == "ok"
    assert "no telemetry store" in not_ready.json()["checks"]["source"]


def test_metrics_count_requests_by_route_template(served: Served) -> None:
    served.client.get(
        "/api/v1/services/checkout/slos/orders-availability", headers=served.auth("read")
    )
    text = served.client.get("/metrics").text
    assert (
        'sloscope_http_request_duration_seconds_count{method="GET",'
        'route="/api/v1/services/{service}/slos/{slo}",status="200"} 1.0'
    ) in text
    assert "sloscope_evaluation_lag_seconds" in text
    assert "sloscope_notifications_total" in text or "sloscope_notifications" in text


def test_the_openapi_schema_is_published_with_every_api_path(served: Served) -> None:
    schema = served.client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) >= {
        "/api/v1/status",
        "/api/v1/services",
        "/api/v1/slos",
        "/api/v1/services/{service}/slos/{slo}",
        "/api/v1/services/{service}/slos/{slo}/history",
        "/api/v1/silences",
        "/api/v1/silences/{silence_id}/expire",
        "/api/v1/gate",
        "/api/v1/gate/decisions",
        "/api/v1/ingest",
        "/api/v1/alerts",
        "/api/v1/alerts/{key}",
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/incidents/{incident_id}/{step}",
        "/api/v1/deployments",
        "/api/v1/deployments/failure-rate",
        "/api/v1/overrides",
        "/api/v1/audit",
        "/api/v1/report/org",
        "/api/v1/adjustments",
        "/api/v1/adjustments/{adjustment_id}",
    }


def test_every_answer_has_a_request_id_and_the_security_headers(served: Served) -> None:
    for path in ("/", "/login", "/api/v1/services", "/healthz"):
        answer = served.client.get(path, follow_redirects=False)
        assert len(answer.headers["x-request-id"]) == 16
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp


def test_cors_is_off_unless_origins_are_configured(serve: Serve) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    closed = serve()
    assert (
        "access-control-allow-origin" not in closed.client.get("/healthz", headers=origin).headers
    )
    opened = serve(cors_origins=("https://elsewhere.example",))
    allowed = opened.client.get("/healthz", headers=origin)
    assert allowed.headers["access-control-allow-origin"] == "https://elsewhere.example"


def test_the_cli_starts_without_the_web_stack() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, sloscope.cli; "
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'structlog') "
        "if m in sys.modules))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert answer.stdout.strip() == "[]"
