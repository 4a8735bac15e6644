"""Start benchmark: ``sloscope --version`` and ``sloscope validate`` on 10 SLOs.

Both are timed in fresh processes (wall, median of 7, and CPU), beside ``python -c pass``
(the interpreter alone). ``validate`` is timed twice: on the specs alone, as a CI job's
checkout has them, and in the report benchmark's workspace, whose store holds 30 days of
telemetry: there it also checks each SLO's last 7 days of traffic against its alert
windows, which loads numpy and DuckDB. Then ``python -X importtime`` of each command: the 10 imports
that cost most (cumulative, top-level imports only, so nothing is counted twice), which
shows what a command pays for before it works.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_report import prepare, workspace
from sloscope.demo.scale import store_many
from sloscope.telemetry.store import TelemetryStore

OUT = Path(__file__).parent / ".out" / "start"
RUNS = 7
Row = tuple[str, Any, str]


def _specs() -> Path:
    """A workspace with the specs of 10 SLOs (no telemetry: validate reads none)."""
    if not (OUT / "slos").exists():
        OUT.mkdir(parents=True, exist_ok=True)
        source = workspace(10) / "slos"
        if source.exists():
            shutil.copytree(source, OUT / "slos")
        else:
            with TelemetryStore(OUT / "scratch.duckdb") as store:
                store_many(OUT / "slos", store, end=1_795_176_000, n_slos=10, days=4)
            (OUT / "scratch.duckdb").unlink()
    return OUT


def cpu_times(args: list[str], runs: int = RUNS) -> tuple[list[float], list[float]]:
    """(wall s, CPU s) of each of ``runs`` runs of ``args`` in fresh processes, any exit code."""
    walls, cpus = [], []
    for _ in range(runs):
        began = time.perf_counter()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - began)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return walls, cpus


def _times(args: list[str]) -> tuple[float, float]:
    """(median wall s, median CPU s) of ``args`` in fresh processes."""
    walls, cpus = cpu_times(args)
    return statistics.median(walls), statistics.median(cpus)


def import_top(args: list[str], count: int = 10) -> list[tuple[str, float]]:
    """The ``count`` costliest top-level imports of ``args`` (module, ms cumulative)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    found = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # nested: counted in its top-level import
        found.append((name.strip(), int(cumulative) / 1000))
    return sorted(found, key=lambda item: -item[1])[:count]


def run() -> dict[str, Any]:
    """Start times and import costs; rows for run.py."""
    root = _specs()
    cli = [sys.executable, "-m", "sloscope.cli"]
    commands = {
        "sloscope --version": [*cli, "--version"],
        "sloscope validate (10 SLOs)": [*cli, "validate", "-w", str(root)],
    }
    rows: list[Row] = []
    wall, cpu = _times([sys.executable, "-c", "pass"])
    rows.append(("python -c pass (the interpreter alone), wall", wall, "s"))
    for label, args in commands.items():
        wall, cpu = _times(args)
        rows.append((f"{label}, wall, median of {RUNS}", wall, "s (target <= 0.25)"))
        rows.append((f"{label}, CPU", cpu, "s"))
    prepare(10)
    stored = [*cli, "validate", "-w", str(workspace(10))]
    wall, cpu = _times(stored)
    label = "sloscope validate (10 SLOs, stored telemetry)"
    rows.append((f"{label}, wall, median of {RUNS}", wall, "s"))
    rows.append((f"{label}, CPU", cpu, "s"))
    for label, args in commands.items():
        for module, ms in import_top(args[1:]):
            rows.append((f"importtime {label}: {module}", ms, "ms"))
    return {
        "name": "start: --version and validate",
        "rows": rows,
        "notes": [f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"],
    }


if __name__ == "__main__":
    from run import show

    show(run())
