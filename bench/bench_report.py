"""Report benchmark: ``sloscope report --json`` over 10, 1,000 and 10,000 SLOs x 30 days.

The data (:func:`sloscope.demo.scale.store_many`: ratio SLOs of 2-3 series each, one
sample a minute, about 100,000 samples per SLO) is written straight into a store once
under ``bench/.out/report-N/`` and reused by later runs. 10,000 SLOs (a billion samples,
about 3.5 GB, most of an hour to write on two cores) are built only when
``SLOSCOPE_BENCH_10K=1`` is set, and measured whenever their store is there.

Each figure is the real command in a fresh process, process start included, as a user or
a CI job sees it: wall time (median of a few runs), the CPU time and the peak resident
memory of that process (``os.wait4``). Beside them, the floor on the same store: a bare
DuckDB scan summing every increase in the window, and numpy summing as many float64
numbers as there are samples. The CPU time is printed because the machine may be shared:
on two cores the wall time of an idle machine is about CPU / 1.5.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from sloscope.demo.scale import store_many
from sloscope.telemetry.store import TelemetryStore

OUT = Path(__file__).parent / ".out"
END = 1_795_176_000  # 2026-11-20T12:00:00Z
DAYS = 30
SIZES = (10, 1000, 10_000)
TARGETS = {10: (0.3, None), 1000: (1.5, 300), 10_000: (15.0, 1024)}
RUNS = {10: 5, 1000: 3, 10_000: 1}
Row = tuple[str, Any, str]


def workspace(n_slos: int) -> Path:
    """Where the data of ``n_slos`` SLOs is kept."""
    return OUT / f"report-{n_slos}"


def prepare(n_slos: int) -> dict[str, Any] | None:
    """Build the store of ``n_slos`` SLOs once; None when it is not there and not wanted."""
    root = workspace(n_slos)
    marker = root / "ready.json"
    if marker.exists() and (root / "truth.json").exists():
        # Opened for writing once: a store cached before the hourly roll-ups (schema 1)
        # is migrated here, not read from its samples on every run.
        began = time.perf_counter()
        TelemetryStore(root / ".sloscope" / "telemetry.duckdb").close()
        migrated = time.perf_counter() - began
        return dict(json.loads(marker.read_text()), reused=True, open_s=migrated)
    if n_slos >= 10_000 and os.environ.get("SLOSCOPE_BENCH_10K") != "1":
        return None
    (root / ".sloscope").mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with TelemetryStore(root / ".sloscope" / "telemetry.duckdb") as store:
        samples = store_many(
            root / "slos",
            store,
            end=END,
            n_slos=n_slos,
            days=DAYS,
            truth=root / "truth.json",  # the incidents, for bench_backtest
        )
    info = {"samples": samples, "build_s": time.perf_counter() - began}
    marker.write_text(json.dumps(info))
    return dict(info, reused=False)


def wall(args: list[str], check: bool = True) -> float:
    """Seconds one run of ``args`` takes in a fresh process (``check``: it must exit 0)."""
    began = time.perf_counter()
    subprocess.run(args, check=check, capture_output=True)
    return time.perf_counter() - began


def measure(args: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one run of ``args`` in a fresh process.

    The peak is the child's own high-water mark (``VmHWM``), read every 5 ms until it
    exits: ``ru_maxrss`` would report at least this process's size when it forked,
    which is a gigabyte after building a store here.
    """
    began = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status_file = Path(f"/proc/{child.pid}/status")
    peak_kib = 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        peak_kib = max(peak_kib, _high_water_kib(status_file))
        time.sleep(0.005)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(args)} exited with {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024


def _high_water_kib(status_file: Path) -> int:
    """The process's peak resident size so far (KiB); 0 once it is gone."""
    try:
        for line in status_file.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def report_args(n_slos: int) -> list[str]:
    """The command timed: the JSON report at the data's end."""
    cli = [sys.executable, "-m", "sloscope.cli"]
    return [*cli, "report", "-w", str(workspace(n_slos)), "--at", str(END), "--json"]


def floor(n_slos: int, samples: int) -> tuple[float, float]:
    """(bare DuckDB scan s, numpy sum s) over the window's samples."""
    path = workspace(n_slos) / ".sloscope" / "telemetry.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        began = time.perf_counter()
        con.execute(
            "SELECT sum(delta) FROM samples WHERE ts > ? AND ts <= ?",
            [(END - DAYS * 86400) * 1000, END * 1000],
        ).fetchall()
        scan = time.perf_counter() - began
    chunk = np.ones(min(samples, 10_000_000))
    began = time.perf_counter()
    left = samples
    while left > 0:
        float(chunk[: min(left, len(chunk))].sum())
        left -= len(chunk)
    return scan, time.perf_counter() - began


def size_rows(n_slos: int) -> tuple[list[Row], list[str]]:
    """The rows of one size, or a note saying why it was not run."""
    info = prepare(n_slos)
    if info is None:
        return [], [
            f"{n_slos:,} SLOs not run: set SLOSCOPE_BENCH_10K=1 to build their store "
            "(about 3.5 GB in bench/.out, most of an hour on two cores)"
        ]
    args = report_args(n_slos)
    measure(args)  # warm the page cache once; every run below is a fresh process
    runs = [measure(args) for _ in range(RUNS[n_slos])]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    scan, numpy_sum = floor(n_slos, info["samples"])
    target_s, target_mb = TARGETS[n_slos]
    label = f"{n_slos:,} SLOs x {DAYS} d"
    rows: list[Row] = [
        (f"{label}: samples in the store", info["samples"], "samples"),
        (f"{label}: report --json wall, median of {len(runs)}", wall, f"s (target <= {target_s})"),
        # The machine's speed drifts by a tenth or two within an hour: the fastest run
        # shows what the code costs when nothing else takes the core.
        (f"{label}: report --json wall, fastest of {len(runs)}", min(r[0] for r in runs), "s"),
        (f"{label}: report --json CPU (user+sys)", cpu, "s"),
        (
            f"{label}: report --json peak RSS",
            rss,
            "MiB" + (f" (target <= {target_mb})" if target_mb else ""),
        ),
        (f"{label}: floor, bare DuckDB scan of the window", scan, "s"),
        (f"{label}: floor, numpy sum of as many float64", numpy_sum, "s"),
    ]
    if not info["reused"]:
        rows.append((f"{label}: build the store (one-off)", info["build_s"], "s"))
    return rows, []


def run() -> dict[str, Any]:
    """Every size's figures; return rows for run.py."""
    rows: list[Row] = []
    notes: list[str] = []
    for n_slos in SIZES:
        more, why = size_rows(n_slos)
        rows += more
        notes += why
    load = os.getloadavg()[0]
    notes.append(f"load average at the end: {load:.1f} on {os.cpu_count()} cores")
    notes.append(f"data cached in {OUT}/report-N (delete a folder to rebuild it)")
    return {"name": f"report over {DAYS} days of 1-minute data", "rows": rows, "notes": notes}


if __name__ == "__main__":
    from run import show

    show(run())
