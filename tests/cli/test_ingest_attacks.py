"""Attacks on ingest and the telemetry store, each kept fixed by a test (issue 7).

Values that break evaluation, seconds given as milliseconds, oversized labels and
series counts, a damaged store: each is refused with a message naming what is wrong
and what to do, and the store is left exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sloscope.telemetry.store import TelemetryStore
from tests.cli.conftest import AT, CliRunner

SERIES = 'http_requests_total{code="500",service="checkout"}'


def _stored(workspace: Path) -> list[tuple[object, ...]]:
    with TelemetryStore(workspace / ".sloscope" / "telemetry.duckdb", read_only=True) as store:
        return store.query("SELECT series_id, ts, value, delta FROM samples ORDER BY ALL")


def _file(workspace: Path, name: str, lines: list[str]) -> str:
    path = workspace / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("+Inf", "has the infinite value +Inf"),
        ("-Inf", "has the infinite value -Inf"),
        ("NaN", "is NaN"),
        ("-7", "is negative (-7)"),
    ],
)
def test_a_counter_sample_that_would_break_evaluation_is_refused_and_its_fix_then_loads(
    sloscope: CliRunner, ingested: Path, value: str, says: str
) -> None:
    before = _stored(ingested)
    head = ["# TYPE http_requests counter"]
    bad = _file(
        ingested, "bad.om", [*head, f"{SERIES} 3000 {AT + 60}", f"{SERIES} {value} {AT + 120}"]
    )
    result = sloscope("ingest", bad, "-w", str(ingested))
    assert result.code == 2
    assert "bad.om:3: " in result.stderr
    assert says in result.stderr
    assert "nothing was stored" in result.stderr
    assert _stored(ingested) == before

    fixed = _file(
        ingested, "fixed.om", [*head, f"{SERIES} 3000 {AT + 60}", f"{SERIES} 3100 {AT + 120}"]
    )
    result = sloscope("ingest", fixed, "-w", str(ingested), "--json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["new_samples"], doc["conflicts"]) == (2, 0)
    # The 500s counter stood at 3000 at AT (100 a minute for 30 minutes): the fixed
    # samples add 0, then 100. The 500s series is the catalog's second, so sorts last.
    assert [row[2:] for row in _stored(ingested)[-2:]] == [(3000.0, 0.0), (3100.0, 100.0)]


def test_seconds_given_to_the_prometheus_format_are_refused_naming_the_line(
    sloscope: CliRunner, workspace: Path
) -> None:
    path = _file(workspace, "m.prom", [f"{SERIES} 1 {AT * 1000}", f"{SERIES} 2 {AT + 60}"])
    result = sloscope("ingest", path, "--format", "prometheus", "-w", str(workspace))
    assert result.code == 2
    assert f"m.prom:2: timestamp {AT + 60} would be in 1970 as milliseconds" in result.stderr
    assert "use --format openmetrics for seconds" in result.stderr
    assert not (workspace / ".sloscope" / "telemetry.duckdb").exists()


@pytest.mark.parametrize(
    ("setting", "line", "says"),
    [
        (
            "max_label_value_bytes: 10",
            f'm_total{{path="{"x" * 11}"}} 1 {AT}',
            "the value of label 'path' is 11 bytes, over the limit of 10 "
            "(raise ingest.max_label_value_bytes in sloscope.yaml if this is meant)",
        ),
        (
            "max_labels_per_series: 2",
            f'm_total{{a="1",b="2",c="3"}} 1 {AT}',
            "more labels than one series may have: over the limit of 2 "
            "(raise ingest.max_labels_per_series in sloscope.yaml",
        ),
        (
            "max_series_per_ingest: 2",
            "\n".join(f'm_total{{i="{i}"}} 1 {AT}' for i in range(3)),
            'm_total{i="2"} is one series more than one ingest may bring: over the limit '
            "of 2 (raise ingest.max_series_per_ingest in sloscope.yaml",
        ),
    ],
)
def test_each_limit_is_set_in_sloscope_yaml_and_named_when_a_file_goes_over_it(
    sloscope: CliRunner, workspace: Path, setting: str, line: str, says: str
) -> None:
    (workspace / "sloscope.yaml").write_text(f"ingest:\n  {setting}\n", encoding="utf-8")
    path = _file(workspace, "big.om", [line, "# EOF"])
    result = sloscope("ingest", path, "-w", str(workspace))
    assert result.code == 2
    assert says in result.stderr.replace("\n", " ")
    (workspace / "sloscope.yaml").unlink()
    assert sloscope("ingest", path, "-w", str(workspace)).code == 0


def test_a_zero_limit_in_sloscope_yaml_is_a_config_error(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "sloscope.yaml").write_text("ingest:\n  max_series_per_ingest: 0\n")
    result = sloscope("ingest", str(workspace / "metrics.om"), "-w", str(workspace))
    assert result.code == 2
    assert "max_series_per_ingest" in result.stderr


def test_a_damaged_store_is_named_as_damaged_by_report_ingest_and_info(
    sloscope: CliRunner, ingested: Path
) -> None:
    store = ingested / ".sloscope" / "telemetry.duckdb"
    size = store.stat().st_size
    with store.open("r+b") as file:
        # Past DuckDB's headers (the first 12 KiB), over half of the data blocks.
        file.seek(size // 4)
        file.write(os.urandom(size // 2))
    for args in (
        ("report", "--at", str(AT)),
        ("ingest", str(ingested / "metrics.om")),
    ):
        result = sloscope(*args, "-w", str(ingested))
        assert result.code == 2, args
        assert f"the telemetry store {store} is damaged" in result.stderr
        assert "restore it from a backup, or move it aside" in result.stderr
        assert "another" not in result.stderr
        assert "bug" not in result.stderr


def test_a_truncated_store_does_not_blame_another_process(
    sloscope: CliRunner, ingested: Path
) -> None:
    store = ingested / ".sloscope" / "telemetry.duckdb"
    os.truncate(store, store.stat().st_size // 3)
    for args in (("report", "--at", str(AT)), ("store", "info")):
        result = sloscope(*args, "-w", str(ingested))
        assert result.code == 2, args
        assert "is damaged or not a sloscope store" in result.stderr
        assert "another sloscope process" not in result.stderr


def test_store_info_says_what_the_store_holds(sloscope: CliRunner, ingested: Path) -> None:
    doc = json.loads(sloscope("store", "info", "-w", str(ingested), "--json").stdout)
    # 8 days of one-minute samples, both ends included, for two series.
    assert (doc["series"], doc["samples"]) == (2, 2 * (8 * 24 * 60 + 1))
    assert doc["time_range"] == [(AT - 8 * 86_400) * 1000, AT * 1000]
    # Hourly roll-ups: the first sample ends an hour of its own (AT is on the hour).
    assert doc["rollups"] == 2 * (8 * 24 + 1)
    text = " ".join(sloscope("store", "info", "-w", str(ingested)).stdout.split())  # wrapped
    assert f"{2 * (8 * 24 + 1):,} hourly roll-up rows" in text


def test_delete_series_is_a_dry_run_without_yes_and_keeps_the_counts_exact(
    sloscope: CliRunner, ingested: Path
) -> None:
    before = json.loads(sloscope("report", "--at", str(AT), "-w", str(ingested), "--json").stdout)
    args = ("store", "delete-series", SERIES.replace(",", ", "), "--from", str(AT - 600))
    dry = sloscope(*args, "--to", str(AT - 540), "-w", str(ingested))
    assert dry.code == 0
    assert "would delete 2 sample(s) of 1 series; nothing was deleted: add --yes" in dry.stdout
    assert len(_stored(ingested)) == 2 * (8 * 24 * 60 + 1)
    done = sloscope(*args, "--to", str(AT - 540), "--yes", "-w", str(ingested))
    assert "deleted 2 sample(s) of 1 series" in done.stdout
    after = json.loads(sloscope("report", "--at", str(AT), "-w", str(ingested), "--json").stdout)
    # The 500s grew 100 a minute; the sample after the gap counts the three minutes since
    # the last one before it, so the window's 3000 errors stay 3000.
    assert after["slos"][0]["total"] - after["slos"][0]["good"] == 3000
    assert after["slos"][0]["good"] == before["slos"][0]["good"]


def test_delete_series_without_a_span_removes_the_series(
    sloscope: CliRunner, ingested: Path
) -> None:
    done = sloscope("store", "delete-series", SERIES, "--yes", "-w", str(ingested))
    assert "(1 series left with none)" in done.stdout
    doc = json.loads(sloscope("store", "info", "-w", str(ingested), "--json").stdout)
    assert doc["series"] == 1


def test_delete_series_names_a_bad_selector_and_a_reversed_span(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope("store", "delete-series", "m{a=", "-w", str(ingested))
    assert result.code == 2
    assert "selector 'm{a=': expected a quoted label value" in result.stderr
    result = sloscope(
        "store", "delete-series", "m", "--from", str(AT), "--to", str(AT - 60), "-w", str(ingested)
    )
    assert result.code == 2
    assert "--from is after --to" in result.stderr


def test_a_bad_sample_in_an_old_store_is_named_by_series_and_time(
    sloscope: CliRunner, ingested: Path
) -> None:
    """A store written before ingest refused such values still reports clearly."""
    path = ingested / ".sloscope" / "telemetry.duckdb"
    with TelemetryStore(path) as store:
        store.con.execute(
            "UPDATE samples SET value = 'inf'::DOUBLE, delta = 'inf'::DOUBLE "
            "WHERE ts = ? AND series_id = (SELECT id FROM series WHERE key = ?)",
            [(AT - 600) * 1000, SERIES],
        )
    result = sloscope("report", "--at", str(AT), "-w", str(ingested))
    assert result.code == 2
    assert f"{SERIES} at 2026-11-20T11:50:00Z (value +Inf, increase +Inf)" in result.stderr
    assert "sloscope store delete-series" in result.stderr
    assert "NaN or infinite values" not in result.stderr
    delete = ("store", "delete-series", SERIES, "--from", "2026-11-20T11:50:00Z")
    assert sloscope(*delete, "--to", "2026-11-20T11:50:00Z", "--yes", "-w", str(ingested)).code == 0
    assert sloscope("report", "--at", str(AT), "-w", str(ingested)).code == 0


@pytest.fixture
def read_only_folder(workspace: Path) -> Iterator[Path]:
    """A workspace on a file system mounted read-only (root ignores file modes)."""
    folder = workspace / "ro"
    folder.mkdir()
    _mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)])
    try:
        shutil.copytree(workspace / "slos", folder / "slos")
        _mount(["-o", "remount,ro", str(folder)])
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _mount(args: list[str]) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"this test mounts a tmpfs (as root): {done.stderr}"


def test_ingest_into_a_read_only_folder_says_what_to_do(
    sloscope: CliRunner, workspace: Path, read_only_folder: Path
) -> None:
    result = sloscope("ingest", str(workspace / "metrics.om"), "-w", str(read_only_folder))
    assert result.code == 2
    assert f"cannot write in {read_only_folder / '.sloscope'}" in result.stderr.replace("\n", "")
    assert "make the folder writable" in result.stderr
    assert "bug" not in result.stderr


def test_demo_into_a_read_only_folder_says_what_to_do(
    sloscope: CliRunner, read_only_folder: Path
) -> None:
    result = sloscope("demo", "-w", str(read_only_folder))
    assert result.code == 2
    assert f"the demo cannot write in {read_only_folder / '.sloscope'}" in result.stderr
    assert "sloscope demo --workspace DIR" in result.stderr
    result = sloscope("demo", "-w", str(read_only_folder / "sub"))
    assert result.code == 2
    assert f"the demo cannot make the folder {read_only_folder / 'sub'}" in result.stderr


def test_a_store_path_that_is_a_folder_or_a_pipe_is_named_as_such(
    sloscope: CliRunner, workspace: Path
) -> None:
    folder = workspace / ".sloscope" / "telemetry.duckdb"
    folder.mkdir(parents=True)
    result = sloscope("ingest", str(workspace / "metrics.om"), "-w", str(workspace))
    assert result.code == 2
    assert f"the telemetry store {folder} is a folder; point source.path" in result.stderr
    pipe = workspace / "pipe.duckdb"
    os.mkfifo(pipe)
    (workspace / "sloscope.yaml").write_text(f"source:\n  path: {pipe}\n", encoding="utf-8")
    # Opening a pipe would block for ever: it is refused before DuckDB sees it.
    result = sloscope("report", "--at", str(AT), "-w", str(workspace))
    assert result.code == 2
    assert "is not a regular file (a pipe or a device?)" in result.stderr
