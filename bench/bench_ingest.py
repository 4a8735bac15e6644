"""Ingest speed: OpenMetrics file into the embedded store, beside promtool's backfill.

Generates an OpenMetrics file of about 1,000,000 samples (a counter family and a
histogram family, 30 series, one sample a minute), then times, on the same file in the
same run:

- ``ingest_file`` into a fresh DuckDB store (parse + store, one transaction);
- the parse alone (``parse_stream``), to show how the time splits;
- ``promtool tsdb create-blocks-from openmetrics FILE OUTDIR`` when promtool is on PATH.

Run ``python bench/bench_ingest.py`` (or ``make bench``). It measures; it asserts nothing.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.openmetrics import parse_stream
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

    The default file spans 25 days: promtool cuts blocks of 2 hours and reads the whole
    file once per block, so its time grows with the span; ``--day`` on the command line
    writes the same number of samples over one day (25 instances) for a fairer contest.
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
                [
                    promtool,
                    "tsdb",
                    "create-blocks-from",
                    "openmetrics",
                    str(data),
                    str(root / "tsdb"),
                ],
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
    return {"name": "ingest: OpenMetrics into the embedded store", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import sys

    figures = run(minutes=1440, instances=25) if "--day" in sys.argv[1:] else run()
    print(figures["name"])
    for label, value, unit in figures["rows"]:
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        print(f"  {label:<50} {shown:>14} {unit}")
    for note in figures["notes"]:
        print(f"  note: {note}")
