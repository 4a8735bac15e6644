"""``sloscope report`` in a terminal, piped, ``--wide`` and ``--slo``: layouts and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.cli.conftest import AT, CliRunner

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_a_terminal_of_80_columns_gets_a_table_that_fits(
    sloscope: CliRunner, ingested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the pipe as a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    result = sloscope("report", "-w", str(ingested), "--at", str(AT))
    assert result.code == 0, result.stderr
    lines = ANSI.sub("", result.stdout).splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert any(line.startswith("  orders-availability ") for line in lines)
    assert not any("Burn" in line and "5m" in line for line in lines)
    assert "? unknown" in result.stdout  # orders-nodata, in words


def test_piped_output_has_every_column_whatever_the_terminal_says(
    sloscope: CliRunner, ingested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = []
    for columns in ("80", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        result = sloscope("report", "-w", str(ingested), "--at", str(AT))
        assert result.code == 0, result.stderr
        outputs.append(result.stdout)
    wide = sloscope("report", "-w", str(ingested), "--at", str(AT), "--wide")
    assert outputs[0] == outputs[1] == wide.stdout
    assert "\x1b[" not in outputs[0]
    text = outputs[0]
    for head in ("Window", "5m", "1h", "6h", "1d", "3d", "Exhausted", "last 1d"):
        assert head in text
    # 10% errors for 30 minutes against a 7d 99.9% budget: every alert row fires, and
    # the full layout spells each one out.
    assert "page 1h/5m, page 6h/30m, ticket 1d/2h, ticket 3d/6h" in text


def test_one_slo_in_detail_with_charts_thresholds_and_runbook(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope(
        "report",
        "-w",
        str(ingested),
        "--at",
        str(AT),
        "-s",
        "checkout",
        "--slo",
        "orders-availability",
    )
    assert result.code == 0, result.stderr
    text = result.stdout
    assert "checkout / orders-availability" in text
    assert "(journey place-order)" in text
    assert "99.9% of events over 7d" in text
    assert "Budget left over the window" in text
    assert "Burn rate over the last day, one bar per 1h" in text
    assert "Burn windows against their alert thresholds" in text
    assert "https://runbooks.example.com/checkout" in text
    assert "orders-nodata" not in text


def test_an_unknown_slo_is_bad_input_naming_the_known_ones(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope("report", "-w", str(ingested), "-s", "checkout", "--slo", "nosuch")
    assert result.code == 2
    assert (
        "no SLO 'nosuch' in service 'checkout'; known SLOs: orders-availability, orders-nodata"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_slo_filters_the_json_contract_without_changing_its_keys(
    sloscope: CliRunner, ingested: Path
) -> None:
    every = sloscope("report", "-w", str(ingested), "--at", str(AT), "--json")
    one = sloscope(
        "report", "-w", str(ingested), "--at", str(AT), "--json", "--slo", "orders-nodata"
    )
    assert one.code == 0, one.stderr
    slos = json.loads(every.stdout)["slos"]
    assert json.loads(one.stdout)["slos"] == [slos[1]]


def test_paths_print_as_written_not_as_markup(sloscope: CliRunner, tmp_path: Path) -> None:
    odd = tmp_path / "[bold]ws:smile:"
    (odd / "slos").mkdir(parents=True)
    result = sloscope("report", "-w", str(odd))
    assert result.code == 2
    assert f"{odd / 'slos'}: error: folder has no spec files" in result.stderr
    assert "😄" not in result.stderr
