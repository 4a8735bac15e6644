"""``sloscope validate`` and ``sloscope ingest`` as a user runs them: exit codes and messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import CliRunner, telemetry

SPECS = Path(__file__).parent.parent / "specs"


def test_validate_good_specs_exits_0_with_a_summary(sloscope: CliRunner, tmp_path: Path) -> None:
    # The good specs name a budget policy 'strict', which this project config defines.
    (tmp_path / "sloscope.yaml").write_text(
        "budget_policies:\n  - name: strict\n    steps: [{consumed: 25, action: freeze}]\n",
        encoding="utf-8",
    )
    result = sloscope("validate", str(SPECS / "good"), "-w", str(tmp_path))
    assert result.code == 0, result.stderr
    assert "0 error(s)" in result.stderr


def test_an_unknown_budget_policy_is_an_error_naming_the_known_ones(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    result = sloscope("validate", str(SPECS / "good" / "native-checkout.yaml"), "-w", str(tmp_path))
    assert result.code == 1
    assert "names unknown budget policy 'strict' (hint: known: default;" in result.stderr


def test_validate_lists_every_problem_of_every_bad_file_and_exits_1(
    sloscope_process: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(SPECS / "bad", bad)
    result = sloscope_process("validate", str(bad))
    assert result.code == 1
    assert "Traceback" not in result.stderr + result.stdout
    # Every bad file is named with its own problem (each starts with '# expect L:C ...').
    for path in sorted(bad.rglob("*.yaml")):
        if path.name == "a.yaml":  # the duplicate-service pair reports on b.yaml
            continue
        assert str(path) in result.stderr, path.name
    assert "error(s)" in result.stderr


def test_validate_json_lists_problems_with_positions(sloscope: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    shutil.copy(SPECS / "bad" / "objective-100.yaml", spec)
    result = sloscope("validate", str(spec), "--json")
    assert result.code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    (problem,) = doc["problems"]
    assert problem["file"] == str(spec)
    assert problem["line"] > 0
    assert problem["column"] > 0
    assert problem["severity"] == "error"
    assert "objective" in problem["message"]


def test_validate_warnings_pass_unless_strict(sloscope: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "low.yaml"
    spec.write_text(
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: batch}\nspec:\n"
        "  slos:\n    - name: jobs\n      objective: 90\n      window: 28d\n"
        "      sli: {ratio: {good: jobs_ok_total, total: jobs_total}}\n",
        encoding="utf-8",
    )
    relaxed = sloscope("validate", str(spec))
    assert relaxed.code == 0
    assert "can never fire" in relaxed.stderr
    strict = sloscope("validate", str(spec), "--strict")
    assert strict.code == 1


def test_validate_in_an_empty_workspace_says_where_specs_go(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    result = sloscope("validate", "-w", str(tmp_path))
    assert result.code == 2
    assert "no specs at" in result.stderr
    assert "slos" in result.stderr


def test_ingest_twice_stores_nothing_new(sloscope: CliRunner, workspace: Path) -> None:
    file = str(workspace / "metrics.om")
    first = sloscope("ingest", file, "-w", str(workspace), "--json")
    assert first.code == 0, first.stderr
    again = sloscope("ingest", file, "-w", str(workspace), "--json")
    assert again.code == 0, again.stderr
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert one["new_samples"] == one["samples_read"] == 2 * (8 * 1440 + 1)
    assert two["new_samples"] == 0
    assert two["duplicates"] == one["samples_read"]


def test_ingest_from_stdin(sloscope: CliRunner, workspace: Path) -> None:
    result = sloscope("ingest", "-", "-w", str(workspace), stdin=telemetry())
    assert result.code == 0, result.stderr
    assert "23042 stored" in result.stdout


def test_a_malformed_line_names_the_line_and_stores_nothing(
    sloscope: CliRunner, workspace: Path
) -> None:
    lines = telemetry().splitlines()
    lines[5] = 'http_requests_total{service="checkout",code="200"} abc 1794484800'
    bad = workspace / "bad.om"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = sloscope("ingest", str(bad), "-w", str(workspace))
    assert result.code == 2
    assert "bad.om:6" in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing was stored: the report has no telemetry store to read yet, or no samples.
    report = sloscope("report", "-w", str(workspace), "--json")
    if report.code == 0:
        assert all(s["total"] is None for s in json.loads(report.stdout)["slos"])
    else:
        assert "sloscope ingest" in report.stderr


def test_ingest_of_a_missing_file_is_exit_2(sloscope_process: CliRunner, workspace: Path) -> None:
    result = sloscope_process("ingest", str(workspace / "nope.om"), "-w", str(workspace))
    assert result.code == 2
    assert "no such file" in result.stderr


def test_version_and_help(sloscope_process: CliRunner) -> None:
    """End to end: the installed entry point, in a process of its own."""
    assert sloscope_process("--version").stdout.startswith("sloscope ")
    help_text = sloscope_process("--help").stdout
    for command in ("validate", "ingest", "report", "demo"):
        assert command in help_text


def test_ingest_prometheus_text_with_millisecond_timestamps(
    sloscope: CliRunner, workspace: Path
) -> None:
    series = 'http_requests_total{service="checkout",code="200"}'
    text = "\n".join(f"{series} {i * 10} {(1794484800 + i * 60) * 1000}" for i in range(3))
    path = workspace / "metrics.prom"
    path.write_text(text + "\n", encoding="utf-8")
    result = sloscope("ingest", str(path), "--format", "prometheus", "-w", str(workspace), "--json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["new_samples"] == 3
    assert doc["time_range"] == [1794484800000, 1794484920000]


def test_ingest_of_a_folder_says_it_is_not_a_file(sloscope: CliRunner, workspace: Path) -> None:
    result = sloscope("ingest", str(workspace / "slos"), "-w", str(workspace))
    assert result.code == 2
    assert "slos: a folder, not a file; pass a telemetry file or - for stdin" in result.stderr


def test_a_step_that_does_not_divide_the_alert_windows_is_a_validate_error(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "sloscope.yaml").write_text("step: 7m\n", encoding="utf-8")
    result = sloscope("validate", "-w", str(workspace))
    assert result.code == 1
    assert "step 7m does not divide the 5m window of alert policy 'google'" in result.stderr


def test_the_ingest_progress_bar_draws_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The consoles are made on first use; rich's bar needs the console itself (it enters
    # it with `with`), which a terminal shows and a pipe never does.
    from sloscope.cli import console

    file = (tmp_path / "stderr.txt").open("w", encoding="utf-8")
    terminal = console._LazyConsole(file=file, force_terminal=True, markup=False, emoji=False)
    monkeypatch.setattr(console, "err", terminal)
    with console.progress() as advance:
        advance(512, 1024)
        advance(1024, 1024)
    file.close()
    assert "ingesting" in (tmp_path / "stderr.txt").read_text(encoding="utf-8")
