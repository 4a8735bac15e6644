"""Report benchmark: ``sloscope report --json`` over 100 SLOs and 30 days of 1-minute data.

The telemetry (``sloscope.demo.scale.generate_many``: 100 ratio SLOs, 2-3 series each, 10M
samples) is generated and ingested once into ``bench/.out/report/`` and reused by later
runs. The figure is the wall time of the real command in a fresh process, process start
included, as a user or a CI job sees it; the median of several runs is printed beside
the time of ``sloscope --version`` (the interpreter and CLI start alone), so the share of
the report's own work is visible.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sloscope.demo.generate import write_truth
from sloscope.demo.scale import generate_many
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

OUT = Path(__file__).parent / ".out" / "report"
END = 1_795_176_000  # 2026-11-20T12:00:00Z
SLOS = 100
DAYS = 30
RUNS = 5


def prepare(out: Path = OUT, n_slos: int = SLOS) -> dict[str, Any]:
    """Generate and ingest the data once (``n_slos`` SLOs, ten to a service, into ``out``);
    return what was built (and how long it took)."""
    marker = out / "ready.json"
    if marker.exists() and (out / "truth.json").exists():
        return dict(json.loads(marker.read_text()), reused=True)
    if out.exists():
        shutil.rmtree(out)
    (out / ".sloscope").mkdir(parents=True)
    metrics = out / "metrics.om"
    began = time.perf_counter()
    generated = generate_many(out / "slos", metrics, end=END, n_slos=n_slos, days=DAYS)
    write_truth(out / "truth.json", generated.incidents)  # for bench_backtest
    generate_s = time.perf_counter() - began
    began = time.perf_counter()
    with TelemetryStore(out / ".sloscope" / "telemetry.duckdb") as store:
        result = ingest_file(store, metrics)
    ingest_s = time.perf_counter() - began
    metrics.unlink()  # 870 MB; the store is what the benchmark reads
    info = {
        "samples": generated.samples,
        "series": generated.series,
        "stored": result.new_samples,
        "generate_s": generate_s,
        "ingest_s": ingest_s,
    }
    marker.write_text(json.dumps(info))
    return dict(info, reused=False)


def wall(args: list[str], check: bool = True) -> float:
    """Seconds one run of ``args`` takes in a fresh process (``check``: it must exit 0)."""
    began = time.perf_counter()
    subprocess.run(args, check=check, capture_output=True)
    return time.perf_counter() - began


def run() -> dict[str, Any]:
    """Time ``sloscope report --json`` on the prepared workspace; return rows for run.py."""
    info = prepare()
    cli = [sys.executable, "-m", "sloscope.cli"]
    report = [*cli, "report", "-w", str(OUT), "--at", str(END), "--json"]
    doc = json.loads(subprocess.run(report, check=True, capture_output=True, text=True).stdout)
    slos = len(doc["slos"])
    with_data = sum(1 for s in doc["slos"] if s["sli"] is not None)
    wall(report)  # warm the page cache once; every run below is a fresh process
    times = [wall(report) for _ in range(RUNS)]
    starts = [wall([*cli, "--version"]) for _ in range(RUNS)]
    rows: list[tuple[str, Any, str]] = [
        ("SLOs in the report (with data)", slos, f"({with_data} with data)"),
        ("samples in the embedded store", info["stored"], "samples"),
        ("report --json, wall, median of 5 (process start incl.)", statistics.median(times), "s"),
        ("report --json, wall, fastest of 5", min(times), "s"),
        ("sloscope --version, wall, median of 5 (start alone)", statistics.median(starts), "s"),
    ]
    if not info["reused"]:
        rows += [
            ("generate 100 SLOs x 30 days (one-off)", info["generate_s"], "s"),
            ("ingest them (one-off)", info["ingest_s"], "s"),
            ("ingest rate", info["stored"] / info["ingest_s"], "samples/s"),
        ]
    return {
        "name": f"report over {SLOS} SLOs and {DAYS} days of 1-minute data",
        "rows": rows,
        "notes": [f"data cached in {OUT} (delete it to regenerate)"],
    }


if __name__ == "__main__":
    for label, value, unit in run()["rows"]:
        print(
            f"{label:<58} {value:>14,.3f} {unit}"
            if isinstance(value, float)
            else f"{label:<58} {value:>14,} {unit}"
        )
