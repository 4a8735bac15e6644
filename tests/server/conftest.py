"""A served workspace: the checkout spec with hand-computable telemetry, API tokens of
each scope, and a FastAPI test client (no evaluation loop, a fixed clock).

The telemetry is ingested once per session into a template folder; each test copies it,
so each has its own state store (tokens, silences) and its own telemetry store.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sloscope.server.app import create_app
from sloscope.server.context import ServerContext
from sloscope.server.metrics import ServerMetrics
from sloscope.server.settings import ServerSettings
from sloscope.store.tokens import Tokens
from sloscope.workspace import Workspace
from tests.cli.conftest import (
    AT,
    SPEC,
    sloscope,  # noqa: F401  (a fixture of the browser tests)
    telemetry,
)
from tests.store.conftest import postgres_url  # noqa: F401  (a fixture of the loop tests)

#: A second service, so lists have more than one page; its owner is markup.
PAYMENTS = """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: payments
  owner: <script>alert(1)</script>
spec:
  slos:
    - name: charge-availability
      objective: 99.5
      window: 7d
      sli:
        ratio:
          bad: http_requests_total{service="payments", code=~"5.."}
          total: http_requests_total{service="payments"}
"""

#: A grouped SLO over the checkout telemetry: code="200" never fails, code="500" always.
GROUPED = """\
apiVersion: sloscope/v1
kind: Service
metadata: {name: edge}
spec:
  slos:
    - name: by-code
      objective: 99
      window: 7d
      group_by: [code]
      sli:
        ratio:
          bad: http_requests_total{service="checkout", code=~"5.."}
          total: http_requests_total{service="checkout"}
"""

#: The clock of every test server: 30 s into the evaluation minute AT.
NOW = AT + 30


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace with its telemetry ingested, made once."""
    root = tmp_path_factory.mktemp("served")
    (root / "slos").mkdir()
    (root / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    (root / "slos" / "payments.yaml").write_text(PAYMENTS, encoding="utf-8")
    (root / "metrics.om").write_text(telemetry(), encoding="utf-8")
    Workspace.open(root).ingest(root / "metrics.om")
    return root


@pytest.fixture
def served_root(template_workspace: Path, tmp_path: Path) -> Path:
    """A copy of the template workspace for one test."""
    root = tmp_path / "ws"
    shutil.copytree(template_workspace, root)
    return root


@dataclass
class Served:
    """A test server: its client, context and a token of each scope."""

    client: TestClient
    ctx: ServerContext
    tokens: dict[str, str]

    def auth(self, scope: str) -> dict[str, str]:
        """The Authorization header of the token of ``scope``."""
        return {"Authorization": f"Bearer {self.tokens[scope]}"}


Serve = Callable[..., Served]


@pytest.fixture
def serve(served_root: Path) -> Iterator[Serve]:
    """Start test servers on the workspace copy (closed after the test)."""
    opened: list[tuple[TestClient, ServerContext]] = []

    def start(**options: object) -> Served:
        ws = Workspace.open(served_root)
        settings = replace(ServerSettings(eval_interval=0), **options)  # type: ignore[arg-type]
        store = ws.open_state()
        ctx = ServerContext(ws, store, settings, ServerMetrics(), clock=lambda: float(NOW))
        tokens = {}
        with store.transaction() as session:
            for scope in ("read", "write", "admin"):
                name = f"{scope}-bot-{len(opened)}"
                tokens[scope] = Tokens(session).create(scope, name, NOW)[1]
        client = TestClient(create_app(ctx), base_url="http://testserver")
        client.__enter__()
        opened.append((client, ctx))
        return Served(client, ctx, tokens)

    yield start
    for client, ctx in opened:
        client.__exit__(None, None, None)
        ctx.close()
        ctx.store.close()


@pytest.fixture
def served(serve: Serve) -> Served:
    """A test server with the default settings (tokens needed to read)."""
    return serve()


#: Markup where the records hold free text or a service name: every page shows it as text.
SCRIPT = "<script>alert(1)</script>"
#: When the recorded deployment of checkout happened (in the SLO's chart range).
DEPLOYED_AT = AT - 3 * 3600


def record_history(root: Path) -> None:
    """Fill the workspace's state store as an evaluation loop, the CLI and the gate would:
    checkout's page and ticket alerts firing at AT, a deployment and an incident of
    checkout, a gate decision with an exception; and records of a service named
    ``<script>alert(1)</script>`` (no longer in the specs), which only the store holds."""
    from sloscope.alerting.evaluate import evaluate_once
    from sloscope.events.model import Deployment
    from sloscope.policy.gate import GateException
    from sloscope.records.gating import gate_and_record
    from sloscope.records.incidents import advance_incident, open_incident, record_deployment
    from sloscope.store.alerts import AlertIdentity, AlertStates
    from sloscope.store.audit import AuditLog
    from sloscope.store.events import Deployments, Incidents
    from sloscope.store.gates import GateRecords

    (root / "sloscope.yaml").write_text(
        f'catalog: ["checkout", "payments", "{SCRIPT}"]\n', encoding="utf-8"
    )
    ws = Workspace.open(root)
    with ws.open_state() as store:
        evaluate_once(ws, store, AT)
        with store.transaction() as session:
            AlertStates(session).apply(
                AlertIdentity(SCRIPT, SCRIPT, "page"),
                "firing",
                at=AT - 60,
                burn_rate=20.0,
                labels={"service": SCRIPT, "slo": SCRIPT},
            )
            Deployments(session).add(
                Deployment(SCRIPT, SCRIPT, AT - 600), recorded_by=SCRIPT, now=NOW
            )
            Incidents(session).open(service=SCRIPT, at=AT - 900, title=SCRIPT, by=SCRIPT, now=NOW)
            GateRecords(session).add(
                {
                    "request_id": "script-1",
                    "service": SCRIPT,
                    "journey": None,
                    "version": SCRIPT,
                    "asked_by": SCRIPT,
                    "at": AT - 120,
                    "decision": "freeze",
                    "reasons": [SCRIPT],
                    "figures": [],
                    "exception_kind": None,
                    "exception_reason": None,
                    "override_id": None,
                    "deployment_id": None,
                    "created_at": NOW,
                }
            )
            AuditLog(session).append(
                at=AT - 100, kind="override", service=SCRIPT, by=SCRIPT, reason=SCRIPT
            )
    record_deployment(ws, "checkout", version="v1.4.0", at=DEPLOYED_AT, by="ci", now=NOW)
    opened, _ = open_incident(
        ws,
        "checkout",
        at=AT - 1800,
        title=f"orders fail {SCRIPT}",
        by="ana",
        now=NOW,
        slos=("orders-availability",),
    )
    advance_incident(ws, opened.id, "acknowledged", at=AT - 1500, by="ana", note=SCRIPT)
    gate_and_record(
        ws,
        "checkout",
        AT,
        asked_by="release-bot",
        now=NOW,
        version="v1.5.0",
        exception=GateException("rollback", f"roll back {SCRIPT}"),
    )


@pytest.fixture
def recorded_root(served_root: Path) -> Path:
    """The workspace copy with alerts, deployments, incidents, gate decisions and audit
    entries on record (:func:`record_history`)."""
    record_history(served_root)
    return served_root
