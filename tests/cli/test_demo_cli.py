"""``sloscope demo``: a working workspace from nothing, safe to run again."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRunner

END = "2026-11-20T12:00:00Z"


def test_demo_builds_a_workspace_and_reruns_with_the_same_figures(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    ws = tmp_path / "demo"
    first = sloscope("demo", "-w", str(ws), "--days", "5", "--at", END, "--json")
    assert first.code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["at"] == END
    assert {s["service"] for s in doc["slos"]} == {"checkout", "search", "identity"}
    assert len(doc["slos"]) >= 7
    assert all(s["sli"] is not None for s in doc["slos"])
    # The report command reads the same workspace.
    report = sloscope("report", "-w", str(ws), "--at", END, "--json")
    assert json.loads(report.stdout) == doc
    again = sloscope("demo", "-w", str(ws), "--days", "5", "--at", END, "--json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout) == doc
    validate = sloscope("validate", "-w", str(ws))
    assert validate.code == 0, validate.stderr


def test_demo_refuses_a_workspace_with_foreign_telemetry(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope("demo", "-w", str(ingested), "--days", "5")
    assert result.code == 2
    assert "did not write" in result.stderr
