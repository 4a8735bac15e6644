"""A small workspace with hand-computable telemetry, and two ways to run the CLI.

``sloscope`` runs a command in this process with typer's ``CliRunner`` (fast: no
interpreter start, no re-import); ``sloscope_process`` runs the installed entry point in
a subprocess, as a user would, for the few end-to-end tests of the exit codes and the
README tour.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner as TyperRunner

from sloscope.cli import app

#: The evaluation time of the hand-computed figures: 2026-11-20T12:00:00Z.
AT = 1_795_176_000
DAY = 86_400

SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: checkout
  owner: team-payments
spec:
  journeys:
    - name: place-order
      description: Customer submits an order
  slos:
    - name: orders-availability
      journey: place-order
      objective: 99.9
      window: 7d
      sli:
        ratio:
          bad: http_requests_total{service="checkout", code=~"5.."}
          total: http_requests_total{service="checkout"}
      alerting:
        runbook: https://runbooks.example.com/checkout
    - name: orders-nodata
      journey: place-order
      objective: 99
      window: 7d
      sli:
        ratio:
          good: nothing_total{service="checkout"}
          total: nothing_total{service="checkout"}
"""


def run_probe(probe: str, out: Path, *args: str) -> dict[str, object]:
    """Run ``probe`` (a script that runs ``sloscope ARGS`` and writes a JSON document to
    the file named by its first argument) in a fresh interpreter; the document."""
    subprocess.run(
        [sys.executable, "-c", probe, str(out), json.dumps(args)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    doc: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def telemetry(at: int = AT) -> str:
    """8 days of one-minute samples: 1000 requests/min, errors only at the end.

    ``code="200"`` grows 1000 per minute; ``code="500"`` grows 100 per minute during the
    last 30 minutes before ``at`` (10% errors), 0 before. Both start at 0, 8 days back.
    """
    start = at - 8 * DAY
    lines = ["# TYPE http_requests counter"]
    ok_value = 0
    for t in range(start, at + 1, 60):
        lines.append(f'http_requests_total{{service="checkout",code="200"}} {ok_value} {t}')
        ok_value += 1000
    bad_value = 0
    for t in range(start, at + 1, 60):
        if t > at - 1800:
            bad_value += 100
        lines.append(f'http_requests_total{{service="checkout",code="500"}} {bad_value} {t}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    """What one CLI run printed and returned."""

    code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., Run]


@pytest.fixture
def outside_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GitHub Actions variables (no annotations, no step summary), and USER=ana."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_ACTOR", raising=False)
    monkeypatch.setenv("USER", "ana")


@pytest.fixture
def sloscope(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Run a ``sloscope`` command in this process; ``cwd`` is where it runs."""
    runner = TyperRunner()

    def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> Run:
        with monkeypatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            # An unexpected exception fails the test with its traceback, not as exit 2.
            patch.setenv("SLOSCOPE_DEBUG", "1")
            result = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def sloscope_process() -> CliRunner:
    """Run the real ``sloscope`` entry point in a subprocess, as a user would."""

    def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> Run:
        proc = subprocess.run(
            [sys.executable, "-m", "sloscope.cli", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            input=stdin,
            timeout=120,
            check=False,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with the checkout spec and its telemetry file (not yet ingested)."""
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "metrics.om").write_text(telemetry(), encoding="utf-8")
    return tmp_path


@pytest.fixture
def ingested(workspace: Path, sloscope: CliRunner) -> Path:
    """The workspace with its telemetry ingested."""
    result = sloscope("ingest", str(workspace / "metrics.om"), "-w", str(workspace))
    assert result.code == 0, result.stderr
    return workspace
