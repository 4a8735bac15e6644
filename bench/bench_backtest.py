"""Backtest benchmark: 100 SLOs x 30 days at 1 minute, with the whole pipeline.

Reads the data ``bench_report`` prepares (``sloscope.demo.generate_many``: 100 ratio
SLOs, 10M samples, one SLO in ten with a fast burn and one in ten with a slow burn,
the incidents written as a truth file), and times, best of ``RUNS``:

- the fetch of every SLO's 1-minute counts over the 30 days (and the 3 days before,
  which the longest alert window reads and which hold no data here), from the embedded
  store;
- the replay alone (:func:`sloscope.alerting.backtest.backtest`: adjustments, engine
  burn matrix and guard, alert lifetimes, the noise pipeline, the static policy, the
  quality against the truth) on those counts;
- ``Workspace.backtest`` (both), and the real ``sloscope backtest --json`` command.

The same replay done by evaluating the generated Prometheus alert rules in a real
Prometheus (``query_range`` over the alert expressions) is ``bench_backtest_prometheus``,
printed next by ``make bench``. Run ``python bench/bench_backtest.py`` or ``make bench``.
It asserts nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_report
from sloscope.workspace import Workspace

RUNS = 3
SLOS = 100
END = bench_report.END
START = END - bench_report.DAYS * 86400  # the whole stored range


def _best(fn: Callable[[], Any]) -> tuple[Any, float]:
    best, value = float("inf"), None
    for _ in range(RUNS):
        began = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - began)
    return value, best


def run() -> dict[str, Any]:
    """Time the backtest on the prepared workspace; return rows for run.py."""
    bench_report.prepare(SLOS)
    out = bench_report.workspace(SLOS)
    truth = out / "truth.json"
    ws = Workspace.open(out)

    inputs, fetch_s = _best(lambda: ws.replay_inputs(START, END))
    result, replay_s = _best(lambda: ws.replay(inputs, truth=truth, compare_static=True))
    _, whole_s = _best(lambda: ws.backtest(START, END, truth=truth, compare_static=True))
    cli = [sys.executable, "-m", "sloscope.cli", "backtest", "-w", str(out), "--json"]
    cli += ["--from", str(START), "--to", str(END), "--truth", str(truth), "--compare", "static"]
    began = time.perf_counter()
    doc = json.loads(subprocess.run(cli, check=True, capture_output=True, text=True).stdout)
    cli_s = time.perf_counter() - began
    main = result.replays[0]
    quality = main.quality
    steps = sum(len(t.counts.total) for t in inputs.targets)
    return {
        "name": f"backtest of {len(inputs.targets)} SLOs over 30 days of 1-minute data",
        "rows": [
            (
                "SLOs x evaluations replayed",
                len(inputs.targets) * (inputs.end - inputs.start) // 60,
                "",
            ),
            ("steps fetched (history included)", steps, ""),
            ("fetch from the embedded store, best of 3", fetch_s, "s"),
            ("replay: engine + lifetimes + pipeline + static + quality", replay_s, "s"),
            ("Workspace.backtest (fetch + replay), best of 3", whole_s, "s"),
            ("sloscope backtest --json, wall (process start incl.)", cli_s, "s"),
            ("alert spans before the noise pipeline", main.spans, ""),
            ("alerts notified (started in the range)", main.started, ""),
            ("alerts/week", main.alerts_per_week, ""),
            ("static policy alerts/week", doc["compare"]["static"]["alerts_per_week"], ""),
            (
                "incidents detected",
                f"{quality.detected} of {quality.incidents}" if quality else "-",
                "",
            ),
            ("precision", quality.precision if quality and quality.precision else 0.0, ""),
        ],
        "notes": [
            f"data cached in {out} (shared with bench_report; delete it to regenerate)",
            "the same replay by a real Prometheus over the generated rules: "
            "bench_backtest_prometheus",
        ],
    }


if __name__ == "__main__":
    from run import show

    show(run())
