"""Ingest speed and memory: OpenMetrics files into the embedded store, beside promtool.

Generates an OpenMetrics file of about 1,000,000 samples (a counter family and a
histogram family, 28 series, one sample a minute), then times, on the same file in the
same run:

- ``ingest_file`` into a fresh DuckDB store (parse + store, one transaction);
- the parse alone (``parse_stream``), to show how the time splits;
- ``promtool tsdb create-blocks-from openmetrics FILE OUTDIR`` when promtool is on PATH,
  at its best settings (``--max-block-duration`` longer than the file's span, so that it
  reads the file once rather than once per 2-hour block).

Then the same on a file of about 1 GB (12 instances, 12 million samples), each tool in a
process of its own so that its peak memory (``ru_maxrss``) is its own: ``sloscope
ingest`` and promtool at the same settings. Set
``SLOSCOPE_BENCH_GB=0`` to skip the large file.

Run ``python bench/bench_ingest.py`` (or ``make bench``). It measures; it asserts nothing.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.openmetrics.stream import parse_stream
from sloscope.telemetry.store import TelemetryStore

START = 1_700_000_000  # Unix seconds of the first sample
STEP = 60
BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")


def write_file(path: Path, minutes: int = 36_000, instances: int = 1, seed: int = 7) -> int:
    """Write the benchmark file; returns the number of samples in it.

    28 series per instance (10 counter series, 2 histograms of 7 buckets + count + sum),
    one sample a minute for ``minutes`` minutes: the default is 1,008,000 samples over
    25 days.
    """
    rng = np.random.default_rng(seed)
    stamps = [str(START + STEP * i) for i in range(minutes)]
    samples = 0

    def write(out: TextIO, series: str, values: list[Any], fmt: str = "") -> None:
        out.writelines(f"{series} {v:{fmt}} {t}\n" for v, t in zip(values, stamps, strict=True))

    with path.open("w", encoding="utf-8") as out:
        out.write("# TYPE http_requests counter\n# HELP http_requests Requests served.\n")
        for instance in range(instances):
            for route in ("/orders", "/cart", "/search", "/login", "/home"):
                for code in ("200", "500"):
                    rate = 50 if code == "200" else 1
                    values = np.cumsum(rng.poisson(rate, minutes)) + 1000
                    labels = f'instance="i-{instance}",route="{route}",code="{code}"'
                    write(out, f"http_requests_total{{{labels}}}", values.tolist())
                    samples += minutes
        out.write("# TYPE http_request_duration_seconds histogram\n")
        for instance in range(instances):
            for route in ("/orders", "/cart"):
                counts = rng.poisson(40, (minutes, len(BUCKETS))).cumsum(axis=1).cumsum(axis=0)
                seconds = np.cumsum(rng.random(minutes) * 10)
                labels = f'instance="i-{instance}",route="{route}"'
                name = "http_request_duration_seconds"
                for b, le in enumerate(BUCKETS):
                    write(out, f'{name}_bucket{{{labels},le="{le}"}}', counts[:, b].tolist())
                write(out, f"{name}_count{{{labels}}}", counts[:, -1].tolist())
                write(out, f"{name}_sum{{{labels}}}", seconds.tolist(), ".3f")
                samples += minutes * (len(BUCKETS) + 2)
        out.write("# EOF\n")
    return samples


def run(minutes: int = 36_000, instances: int = 1) -> dict[str, Any]:
    """Generate the file, time sloscope's ingest (and promtool's), return the figures.

    The default file spans 25 days; ``--day`` on the command line writes the same number
    of samples over one day (25 instances).
    """
    rows: list[tuple[str, Any, str]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sloscope-bench-") as tmp:
        root = Path(tmp)
        data = root / "metrics.om"
        samples = write_file(data, minutes=minutes, instances=instances)
        size = data.stat().st_size
        days = minutes * STEP / 86400
        rows.append(
            (f"samples in the file ({28 * instances} series, {days:g} days)", samples, "samples")
        )
        rows.append(("file size", round(size / 1e6, 1), "MB"))

        with TelemetryStore(root / "telemetry.duckdb") as store:
            started, cpu = time.perf_counter(), time.process_time()
            result = ingest_file(store, data)
            ingest_s = time.perf_counter() - started
            ingest_cpu = time.process_time() - cpu
            stored = store.sample_count()
        rows.append(("sloscope ingest_file (parse + store)", round(ingest_s, 3), "s"))
        # CPU time too: on a busy machine wall time says more about the neighbours.
        rows.append(("  CPU time of it (all threads)", round(ingest_cpu, 3), "s"))
        rows.append(("sloscope ingest rate", round(samples / ingest_s), "samples/s"))
        if result.new_samples != samples or stored != samples:
            notes.append(f"stored {stored} of {samples} samples: check the ingest")

        with data.open("rb") as stream:
            started = time.perf_counter()
            parse_stream(stream, str(data))
            parse_s = time.perf_counter() - started
        rows.append(("  of which parse alone (parse_stream)", round(parse_s, 3), "s"))

        promtool = shutil.which("promtool")
        if promtool:
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                promtool_command(promtool, data, root / "tsdb"),
                capture_output=True,
                text=True,
                check=False,
            )
            promtool_s = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            promtool_cpu = (after.ru_utime + after.ru_stime) - (
                children.ru_utime + children.ru_stime
            )
            if done.returncode:
                notes.append(f"promtool failed ({done.returncode}): {done.stderr.strip()[:300]}")
            else:
                rows.append(
                    ("promtool tsdb create-blocks-from openmetrics", round(promtool_s, 3), "s")
                )
                rows.append(("  CPU time of it (all threads)", round(promtool_cpu, 3), "s"))
                rows.append(("promtool rate", round(samples / promtool_s), "samples/s"))
                rows.append(("sloscope time / promtool time", round(ingest_s / promtool_s, 2), "x"))
        else:
            notes.append("promtool not on PATH: no comparison (make services installs it)")
        if os.environ.get("SLOSCOPE_BENCH_GB", "1") != "0":
            large_file(root, rows, notes)
    return {"name": "ingest: OpenMetrics into the embedded store", "rows": rows, "notes": notes}


def promtool_command(promtool: str, data: Path, out: Path) -> list[str]:
    """promtool's backfill at its best settings: a maximum block duration longer than
    the file's span, so that it reads the file once rather than once per 2-hour block
    (its default)."""
    return [
        promtool,
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--max-block-duration=8760h",
        "-q",
        str(data),
        str(out),
    ]


def _measured(command: list[str]) -> tuple[float, float, int, subprocess.CompletedProcess[str]]:
    """(wall s, CPU s, peak RSS bytes, result) of ``command`` run in a process of its own.

    A small Python parent runs it, so that ``RUSAGE_CHILDREN`` holds that one child.
    """
    probe = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([wall, u.ru_utime + u.ru_stime, u.ru_maxrss * 1024, p.returncode,"
        " p.stderr[-300:]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True
    )
    wall, cpu, rss, code, err = json.loads(done.stdout)
    return wall, cpu, rss, subprocess.CompletedProcess(command, code, "", err)


def large_file(root: Path, rows: list[tuple[str, Any, str]], notes: list[str]) -> None:
    """The 1 GB figures: sloscope ingest and promtool, each in its own process."""
    data = root / "large.om"
    samples = write_file(data, minutes=36_000, instances=12)
    size = data.stat().st_size
    rows.append(("1 GB file: samples (336 series, 25 days)", samples, "samples"))
    rows.append(("1 GB file: size", round(size / 1e6, 1), "MB"))
    workspace = root / "ws"
    workspace.mkdir()
    sloscope = [sys.executable, "-m", "sloscope.cli", "ingest", str(data), "-w", str(workspace)]
    wall, cpu, rss, done = _measured(sloscope)
    if done.returncode:
        notes.append(f"sloscope ingest of the 1 GB file failed: {done.stderr}")
        return
    store = workspace / ".sloscope" / "telemetry.duckdb"
    rows.append(("sloscope ingest, 1 GB: wall time", round(wall, 2), "s"))
    rows.append(("  CPU time of it (all threads)", round(cpu, 2), "s"))
    rows.append(("  rate (wall)", round(samples / wall), "samples/s"))
    rows.append(("  rate (CPU)", round(samples / cpu), "samples/s"))
    rows.append(("  peak RSS", round(rss / 2**20), "MiB"))
    rows.append(("  store file", round(store.stat().st_size / 1e6, 1), "MB"))
    promtool = shutil.which("promtool")
    if not promtool:
        return
    wall, cpu, rss, done = _measured(promtool_command(promtool, data, root / "tsdb-large"))
    if done.returncode:
        notes.append(f"promtool on the 1 GB file failed: {done.stderr}")
        return
    rows.append(("promtool create-blocks-from (max block 8760h), 1 GB: wall", round(wall, 2), "s"))
    rows.append(("  CPU time of it (all threads)", round(cpu, 2), "s"))
    rows.append(("  rate (wall)", round(samples / wall), "samples/s"))
    rows.append(("  peak RSS", round(rss / 2**20), "MiB"))
    blocks = sum(f.stat().st_size for f in (root / "tsdb-large").rglob("*") if f.is_file())
    rows.append(("  blocks on disk", round(blocks / 1e6, 1), "MB"))


if __name__ == "__main__":
    import sys

    from run import show

    show(run(minutes=1440, instances=25) if "--day" in sys.argv[1:] else run())
