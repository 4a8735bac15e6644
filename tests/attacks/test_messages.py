"""Attacks by ordinary mistakes: each gets a message saying what is wrong and what to
do, printed as written (no rich markup or emoji), never "this is a bug"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.attacks.conftest import AT, CliRunner


def test_a_position_like_a_b_c_prints_as_written_not_as_an_emoji(
    sloscope: CliRunner, workspace: Path
) -> None:
    # Line 100, column 7: rich once printed "a.yaml:100:7" as "a.yaml💯7".
    spec = "#\n" * 98 + "apiVersion: sloscope/v1\nkind: Nope\n"
    (workspace / "slos" / "a.yaml").write_text(spec, encoding="utf-8")
    result = sloscope("validate", cwd=workspace)
    assert result.code == 1
    assert "slos/a.yaml:100:7: error: unknown kind 'Nope'" in result.stderr
    assert "💯" not in result.stderr


def test_a_file_named_like_an_emoji_code_prints_its_name(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "slos" / ":smile:.yaml").write_text("kind: [\n", encoding="utf-8")
    result = sloscope("validate", cwd=workspace)
    assert ":smile:.yaml" in result.stderr
    assert "😄" not in result.stderr


def test_a_bracketed_path_prints_whole_in_an_error(sloscope: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "[bold]x[/bold]"
    result = sloscope("validate", "-w", str(missing))
    assert result.code == 2
    assert "[bold]x[/bold] is not a folder" in result.stderr


@pytest.mark.parametrize(
    ("template", "shown"),
    [
        ("https://g/{nope}", "unknown placeholder {nope}"),
        ("https://g/{0}", "unknown placeholder {0}"),
        ("https://g/{service", "expected '}' before end of string"),
        ("https://g/{service.__class__}", "unknown placeholder {service.__class__}"),
        ("https://g/{service!r}", "unknown placeholder {service!r}"),
    ],
)
def test_a_bad_dashboard_url_template_is_bad_input_and_never_evaluated(
    sloscope: CliRunner, workspace: Path, template: str, shown: str
) -> None:
    # In process with SLOSCOPE_DEBUG=1: an unexpected exception would fail the test.
    result = sloscope("generate", "prometheus", "--dashboard-url", template, cwd=workspace)
    assert result.code == 2
    assert shown in result.stderr
    assert (
        "use {service}, {slo}, {id}, {dashboard_uid}" in result.stderr or "braces" in result.stderr
    )
    assert "bug" not in result.stderr
    assert "<class" not in result.stdout


def test_the_dashboard_url_fills_the_documented_placeholders(
    sloscope: CliRunner, workspace: Path
) -> None:
    template = "https://g/d/{dashboard_uid}?var-slo={slo}&s={service}&id={id}&x={{y}}"
    result = sloscope("generate", "prometheus", "--dashboard-url", template, cwd=workspace)
    assert result.code == 0, result.stderr
    expected = (
        "https://g/d/sloscope-checkout?var-slo=orders-availability&s=checkout"
        "&id=checkout-orders-availability&x={y}"
    )
    assert expected in result.stdout


def test_a_label_name_with_a_space_names_the_option_not_validate(
    sloscope: CliRunner, workspace: Path
) -> None:
    result = sloscope("generate", "prometheus", "--label", "bad key=v", cwd=workspace)
    assert result.code == 2
    assert "--label 'bad key' is not a valid Prometheus label name" in result.stderr
    assert "validate" not in result.stderr


def test_a_control_character_in_the_telemetry_path_is_shown_escaped(
    sloscope: CliRunner, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOSCOPE_TELEMETRY_PATH", "store\x1b[2J\r.duckdb")
    result = sloscope("report", "--at", str(AT), cwd=workspace)
    assert result.code == 2
    assert "\x1b" not in result.stderr
    assert "\r" not in result.stderr
    assert "store\\x1b[2J\\r.duckdb" in result.stderr


def test_output_ending_in_a_slash_writes_into_a_folder(
    sloscope: CliRunner, workspace: Path
) -> None:
    result = sloscope("generate", "prometheus", "-o", "rules/", cwd=workspace)
    assert result.code == 0, result.stderr
    assert (workspace / "rules").is_dir()
    assert (workspace / "rules" / "slo-rules.yaml").is_file()


@pytest.mark.parametrize("at", ["0", "1970-01-01T00:00:00Z"])
def test_the_epoch_is_one_time_however_it_is_written(
    sloscope: CliRunner, ingested: Path, at: str
) -> None:
    result = sloscope("report", "--at", at, "--json", cwd=ingested)
    assert result.code == 0, result.stderr
    assert '"at": "1970-01-01T00:00:00Z"' in result.stdout


def test_milliseconds_given_to_at_get_a_hint(sloscope: CliRunner, ingested: Path) -> None:
    result = sloscope("report", "--at", str(AT * 1000), cwd=ingested)
    assert result.code == 2
    assert f"is it in milliseconds? Divide by 1000 ({AT})" in result.stderr


def test_ingest_of_a_named_pipe_says_what_it_is(sloscope: CliRunner, workspace: Path) -> None:
    os.mkfifo(workspace / "feed")
    result = sloscope("ingest", "feed", cwd=workspace)
    assert result.code == 2
    assert "feed: a named pipe, not a regular file" in result.stderr
    assert "sloscope ingest - < feed" in result.stderr
    assert "folder" not in result.stderr


def test_demo_into_a_file_says_the_workspace_is_a_file(sloscope: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = sloscope("demo", "-w", str(tmp_path / "notes.txt"))
    assert result.code == 2
    assert "notes.txt is a file, not a folder" in result.stderr
    assert "bug" not in result.stderr


def test_eight_digits_that_read_as_a_date_are_refused_as_ambiguous(
    sloscope: CliRunner, ingested: Path
) -> None:
    # Before, "20261120" was the date (ISO 8601's basic form) while "0" was refused.
    result = sloscope("report", "--at", "20261120", cwd=ingested)
    assert result.code == 2
    assert "is ambiguous: write 2026-11-20 for the date, or 20261120.0" in result.stderr


@pytest.mark.parametrize("target", ["docs/", "docs"])
def test_policy_doc_into_a_folder_writes_the_document_inside_it(
    sloscope: CliRunner, workspace: Path, target: str
) -> None:
    if target == "docs":
        (workspace / "docs").mkdir()
    result = sloscope("policy", "doc", "-o", target, cwd=workspace)
    assert result.code == 0, result.stderr
    assert (workspace / "docs" / "error-budget-policy.md").is_file()
