"""``sloscope generate``: files a user deploys, checked with the real promtool."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import CliRunner


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: run 'make services' (Debian package prometheus)")
    return path


@pytest.mark.integration
def test_generated_rules_pass_promtool_check(sloscope: CliRunner, workspace: Path) -> None:
    out = workspace / "out" / "slo-rules.yaml"
    result = sloscope("generate", "prometheus", "-o", str(out), "-w", str(workspace))
    assert result.code == 0, result.stderr
    rules = yaml.safe_load(out.read_text())
    names = [g["name"] for g in rules["groups"]]
    assert "sloscope-checkout-orders-availability-alerts" in names
    check = subprocess.run(
        [_promtool(), "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.integration
def test_generated_rule_tests_pass_promtool_test(sloscope: CliRunner, workspace: Path) -> None:
    out = workspace / "tests"
    result = sloscope("generate", "prometheus-tests", "-o", str(out), "-w", str(workspace))
    assert result.code == 0, result.stderr
    tests = sorted(out.glob("*.test.yaml"))
    assert [t.name for t in tests] == [
        "checkout-orders-availability.test.yaml",
        "checkout-orders-nodata.test.yaml",
    ]
    run = subprocess.run(
        [_promtool(), "test", "rules", *map(str, tests)],
        capture_output=True,
        text=True,
        check=False,
        cwd=out,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_operator_format_is_a_prometheus_rule_object(sloscope: CliRunner, workspace: Path) -> None:
    result = sloscope("generate", "prometheus", "--format", "operator", "-w", str(workspace))
    assert result.code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["apiVersion"] == "monitoring.coreos.com/v1"
    assert doc["kind"] == "PrometheusRule"
    assert doc["spec"]["groups"]


def test_grafana_writes_one_dashboard_per_service(sloscope: CliRunner, workspace: Path) -> None:
    out = workspace / "dashboards"
    result = sloscope("generate", "grafana", "-o", str(out), "-w", str(workspace))
    assert result.code == 0, result.stderr
    (path,) = out.glob("*.json")
    dashboard = json.loads(path.read_text())
    assert path.name == "checkout.json"
    assert dashboard["uid"] == "sloscope-checkout"
    assert dashboard["schemaVersion"] >= 36


def test_labels_must_be_name_value(sloscope: CliRunner, workspace: Path) -> None:
    result = sloscope("generate", "prometheus", "--label", "team", "-w", str(workspace))
    assert result.code == 2
    assert "write NAME=VALUE" in result.stderr


def test_alertmanager_snippet_inhibits_tickets_by_pages(sloscope: CliRunner) -> None:
    result = sloscope("generate", "alertmanager", "--pager-receiver", "oncall")
    assert result.code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["inhibit_rules"][0]["equal"] == ["sloscope_id"]
    assert "oncall" in result.stdout


def test_openslo_export_validates_back(sloscope: CliRunner, workspace: Path) -> None:
    out = workspace / "export" / "slos.openslo.yaml"
    result = sloscope("generate", "openslo", "-o", str(out), "-w", str(workspace))
    assert result.code == 0, result.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(out.read_text())]
    assert kinds == ["Service", "SLO", "SLO"]
    back = sloscope("validate", str(out), "--json")
    assert back.code == 0, back.stderr
    assert json.loads(back.stdout)["slos"] == 2


def test_output_folder_that_is_a_file_is_bad_input(sloscope: CliRunner, workspace: Path) -> None:
    taken = workspace / "dashboards"
    taken.write_text("not a folder\n", encoding="utf-8")
    result = sloscope("generate", "grafana", "-o", str(taken), "-w", str(workspace))
    assert result.code == 2
    assert f"cannot write {taken}" in result.stderr
    assert "unexpected" not in result.stderr


def test_output_under_a_file_is_bad_input(sloscope: CliRunner, workspace: Path) -> None:
    blocker = workspace / "rules"
    blocker.write_text("a file\n", encoding="utf-8")
    target = blocker / "slo-rules.yaml"
    result = sloscope("generate", "prometheus", "-o", str(target), "-w", str(workspace))
    assert result.code == 2
    assert f"cannot write {target}" in result.stderr
    assert "unexpected" not in result.stderr
