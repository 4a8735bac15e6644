"""Gate benchmark: ``sloscope gate`` for a service of 10 SLOs over 30 days of 1-minute data.

The telemetry (``sloscope.demo.scale.store_many`` with 10 ratio SLOs: one service, 2-3
series per SLO, about a million samples) is stored once in ``bench/.out/report-10/``,
shared with the report benchmark, and reused. The figure is the wall time of the real
command in a fresh process, process start included (the issue's budget: under 0.5 s on
the embedded store), wall and CPU time, printed beside ``sloscope --version`` alone, then
the 10 costliest imports of the command (``python -X importtime``) and the command's
import time summed per package: each module's own time (wall clock, as ``-X importtime``
reports it, so inflated on a loaded machine), a package counted once whichever module
loaded it; the floor the imports set under the gate's time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter
from typing import Any

from bench_report import DAYS, END, prepare, wall, workspace
from bench_start import cpu_times, import_top

SLOS = 10
OUT = workspace(SLOS)
RUNS = 7


def run() -> dict[str, Any]:
    """Time ``sloscope gate svc-000 --json`` on the prepared workspace."""
    info = prepare(SLOS)
    assert info is not None
    cli = [sys.executable, "-m", "sloscope.cli"]
    gate = [*cli, "gate", "svc-000", "-w", str(OUT), "--at", str(END), "--json"]
    answer = subprocess.run(gate, check=False, capture_output=True, text=True)
    doc = json.loads(answer.stdout)
    # The gate exits 1 on a freeze: the time matters here, not the answer.
    wall(gate, check=False)  # warm the page cache once; every run below is a fresh process
    times = cpu_times(gate, RUNS)
    starts = cpu_times([*cli, "--version"], RUNS)
    rows = [
        ("SLOs judged", len(doc["slos"]), f"(decision {doc['decision']})"),
        ("samples in the embedded store", info["samples"], "samples"),
        (f"sloscope gate --json, wall, median of {RUNS}", statistics.median(times[0]), "s"),
        (f"sloscope gate --json, wall, fastest of {RUNS}", min(times[0]), "s"),
        (f"sloscope gate --json, CPU, median of {RUNS}", statistics.median(times[1]), "s"),
        (f"sloscope gate --json, CPU, fastest of {RUNS}", min(times[1]), "s"),
        (f"sloscope --version, wall, median of {RUNS}", statistics.median(starts[0]), "s"),
    ]
    rows += [(f"importtime gate: {name}", ms, "ms") for name, ms in import_top(gate[1:])]
    packages = import_by_package(gate[1:])
    rows.append(("importtime gate: every import, summed", sum(packages.values()), "ms"))
    top = packages.most_common(8)
    rows += [(f"importtime gate, package: {name}", ms, "ms") for name, ms in top]
    return {
        "name": f"gate: one service of {SLOS} SLOs, {DAYS} days of 1-minute data",
        "rows": rows,
        "notes": [f"process start included; data cached in {OUT} (delete it to regenerate)"],
    }


def import_by_package(args: list[str]) -> Counter[str]:
    """Import time of ``args`` per top-level package (ms): each module's own time summed."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    found: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():
            found[name.strip().split(".")[0].lstrip("_")] += int(own) / 1000
    return found
