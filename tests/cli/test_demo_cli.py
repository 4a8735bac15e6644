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
    # The alerts its backtest sent are on record, every page acknowledged by the demo's
    # on-call, so the report's alert figures have something true to show.
    alerts = json.loads(sloscope("alert", "list", "-w", str(ws), "--json").stdout)
    pages = [a for a in alerts if a["severity"] == "page"]
    assert pages
    assert all(a["acked_by"] == "demo" for a in pages)
    assert f"and {len(alerts)} alert(s) in the state store" in first.stderr
    assert doc["alerts"]["alerts"] == len(alerts)
    assert doc["alerts"]["actionable"] >= len(pages)
    again = sloscope("demo", "-w", str(ws), "--days", "5", "--at", END, "--json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout) == doc
    assert "0 incident(s) and 0 alert(s)" in again.stderr
    validate = sloscope("validate", "-w", str(ws))
    assert validate.code == 0, validate.stderr


def test_demo_refuses_a_workspace_with_foreign_telemetry(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope("demo", "-w", str(ingested), "--days", "5")
    assert result.code == 2
    assert "did not write" in result.stderr
