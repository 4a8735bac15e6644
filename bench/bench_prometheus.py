"""Prometheus source benchmark: 100 SLOs over 30 days, raw series vs recording rules,
beside the embedded store on the same data.

The data (``sloscope.demo.scale.generate_many``: 100 ratio SLOs, 234 series, 10M samples at
60s, 870 MB of OpenMetrics) is built once under ``bench/.out/prometheus/`` and reused:

1. the specs and the OpenMetrics file (deleted once loaded);
2. the embedded store (``ingest_file``);
3. TSDB blocks (``promtool tsdb create-blocks-from openmetrics``, 744h blocks: promtool
   reads the whole file once per block, and 24h blocks take 8 minutes here);
4. the generated rules' 5m rates over the whole range
   (``promtool tsdb create-blocks-from rules`` against a Prometheus over those blocks,
   168h blocks: one block per rule and week, each one range query under 11,000 points),
   then one start of Prometheus that is left to compact the overlapping blocks, so runs
   are not timed while it compacts.

Each run starts the real Prometheus (``/usr/bin/prometheus``, 2.42) over the prepared
folder on a free 127.0.0.1 port and times, best of ``RUNS``:

- ``fetch`` of the 100 SLIs over the last 29 days at 60s from the embedded store, from
  Prometheus' raw series, and from the recorded rates (29 days: the recorded rates
  begin a few minutes after the data, and ``auto`` reads rules only where they cover
  the whole range);
- the full ``Workspace.report`` (28- and 30-day windows) from the embedded store and from
  Prometheus' raw series: the status alone (``report --json``: window sums between the
  windows' edges) and with the charts' trends (every step), each with the Prometheus
  CPU time it cost (``/proc/<pid>/stat`` of the server, best run) and whether it equals
  the embedded store's report;

and how far the rule-read counts are from the raw ones. Run ``python
bench/bench_prometheus.py`` or ``make bench``. It measures; it asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import prometheus_server as harness

from sloscope import conventions
from sloscope.demo.scale import generate_many
from sloscope.generate.prometheus.rules import generate_rules
from sloscope.report.json import report_to_dict
from sloscope.sources.base import CountSeries
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore
from sloscope.workspace import Workspace

OUT = Path(__file__).parent / ".out" / "prometheus"
END = 1_795_176_000  # 2026-11-20T12:00:00Z
SLOS = 100
DAYS = 30
STEP = 60
FETCH_DAYS = 29
RUNS = 3
_COMPACTION_METRICS = ("prometheus_tsdb_compactions_total", "prometheus_tsdb_reloads_total")


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - began


def _settle(server: harness.PrometheusServer, quiet: float = 20.0, limit: float = 900.0) -> None:
    """Wait past the TSDB's first compaction cycle (a minute after start) until no
    compaction has run for ``quiet`` seconds.
    """

    def compactions() -> float:
        try:
            text = httpx.get(f"{server.url}/metrics", timeout=60).text
        except httpx.TimeoutException:
            # A loaded machine while the TSDB compacts: count it as still compacting.
            return -time.monotonic()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(
                ("prometheus_tsdb_compactions_total", "prometheus_tsdb_reloads_total")
            ):
                total += float(line.split()[-1])
        return total

    deadline = time.monotonic() + limit
    time.sleep(65)
    last, since = compactions(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(2)
        now = compactions()
        if now != last:
            last, since = now, time.monotonic()


def prepare(out: Path = OUT) -> dict[str, Any]:
    """Build the data once (see the module docstring); return how long each part took."""
    marker = out / "ready.json"
    if marker.exists():
        return dict(json.loads(marker.read_text()), reused=True)
    if out.exists():
        shutil.rmtree(out)
    (out / ".sloscope").mkdir(parents=True)
    metrics = out / "metrics.om"
    info: dict[str, Any] = {}
    generated, info["generate_s"] = _timed(
        lambda: generate_many(out / "slos", metrics, end=END, n_slos=SLOS, days=DAYS, step=STEP)
    )
    info.update(samples=generated.samples, series=generated.series, bytes=generated.bytes)

    def ingest() -> int:
        with TelemetryStore(out / ".sloscope" / "telemetry.duckdb") as store:
            return ingest_file(store, metrics).new_samples

    info["stored"], info["ingest_s"] = _timed(ingest)
    data = out / "prometheus-data"
    _, info["promtool_blocks_s"] = _timed(
        lambda: harness.create_blocks_from_openmetrics(metrics, data, block_duration="744h")
    )
    metrics.unlink()
    workspace = Workspace.open(out, env={})
    document = generate_rules(workspace.services(), workspace.alert_policies)
    rates = {conventions.error_rate(300), conventions.total_rate(300)}
    groups = [
        {"name": g["name"], "rules": [r for r in g["rules"] if r.get("record") in rates]}
        for g in document["groups"]
    ]
    rule_file = out / "rates.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [g for g in groups if g["rules"]]}))
    info["rules"] = sum(len(g["rules"]) for g in groups)
    server = harness.start_prometheus(data)
    try:
        start = generated.start
        info["rule_blocks"], info["promtool_rules_s"] = _timed(
            lambda: harness.backfill_rules(
                server.url, rule_file, start, END, data, block_duration="168h"
            )
        )
    finally:
        server.stop()
    server = harness.start_prometheus(data)
    try:
        _, info["compaction_s"] = _timed(lambda: _settle(server))
    finally:
        server.stop()
    marker.write_text(json.dumps(info))
    return dict(info, reused=False)


def _best(fn: Callable[[], Any]) -> tuple[Any, float]:
    results = [_timed(fn) for _ in range(RUNS)]
    return results[-1][0], min(t for _, t in results)


def _best_with_cpu(
    fn: Callable[[], Any], server: harness.PrometheusServer
) -> tuple[Any, float, float]:
    """Best wall time of ``RUNS`` runs and the least Prometheus CPU time one run cost."""
    walls, cpus = [], []
    result = None
    for _ in range(RUNS):
        before = server.cpu_seconds()
        result, wall = _timed(fn)
        cpus.append(server.cpu_seconds() - before)
        walls.append(wall)
    return result, min(walls), min(cpus)


def _same_report(a: Any, b: Any) -> int:
    """1 when two reports are equal but for the source and how it was read."""
    shown = []
    for report in (a, b):
        data = report_to_dict(report)
        data.pop("source")
        for slo in data["slos"]:
            slo.pop("read_from")
        shown.append(json.dumps(data, sort_keys=True))
    return int(shown[0] == shown[1])


def _window_error(a: list[CountSeries], b: list[CountSeries], steps: int) -> tuple[float, float]:
    """Largest relative difference of total and of bad events over the last ``steps``."""
    worst_total = worst_bad = 0.0
    for x, y in zip(a, b, strict=True):
        tx, ty = x.total[-steps:].sum(), y.total[-steps:].sum()
        bx = (x.total - x.good)[-steps:].sum()
        by = (y.total - y.good)[-steps:].sum()
        worst_total = max(worst_total, abs(ty - tx) / tx)
        worst_bad = max(worst_bad, abs(by - bx) / max(bx, 1.0))
    return worst_total, worst_bad


def run() -> dict[str, Any]:
    """Time the three ways to read the same counts; rows for ``bench/run.py``."""
    info = prepare()
    workspace = Workspace.open(OUT, env={})
    pairs = [(s, o) for s in workspace.services() for o in s.slos]
    slis = [o.sli for _, o in pairs]
    ids = [conventions.slo_id(s.name, o.name) for s, o in pairs]
    start = END - FETCH_DAYS * 86400
    server, started_s = _timed(lambda: harness.start_prometheus(OUT / "prometheus-data"))
    try:
        embedded = workspace.source()
        try:
            from_store, store_s = _best(lambda: embedded.fetch(slis, start, END, STEP))
        finally:
            embedded.close()
        with PrometheusSource(server.url, use_recording_rules="never") as source:
            from_raw, raw_s, raw_cpu = _best_with_cpu(
                lambda: source.fetch(slis, start, END, STEP), server
            )
            status, status_s, status_cpu = _best_with_cpu(
                lambda: workspace.report(at=END, source=source, trends=False), server
            )
            full, raw_report_s, report_cpu = _best_with_cpu(
                lambda: workspace.report(at=END, source=source), server
            )
        with PrometheusSource(server.url) as source:
            from_rules, rules_s = _best(lambda: source.fetch(slis, start, END, STEP, ids=ids))
        store_status, store_status_s = _best(lambda: workspace.report(at=END, trends=False))
        store_full, store_report_s = _best(lambda: workspace.report(at=END))
    finally:
        server.stop()
    read_rules = sum(1 for c in from_rules if c.note.startswith("recording rules"))
    exact = all(
        np.array_equal(a.total, b.total) and np.array_equal(a.good, b.good)
        for a, b in zip(from_store, from_raw, strict=True)
    )
    total_1h, bad_1h = _window_error(from_raw, from_rules, 60)
    total_1d, bad_1d = _window_error(from_raw, from_rules, 1440)
    total_28d, bad_28d = _window_error(from_raw, from_rules, 28 * 1440)
    steps = FETCH_DAYS * 1440
    prepare_s = sum(v for k, v in info.items() if k.endswith("_s"))
    built = "reused" if info.get("reused") else f"in {prepare_s:.0f} s this run"
    rows: list[tuple[str, Any, str]] = [
        ("SLOs / series / samples", SLOS, f"/ {info['series']} / {info['samples']:,}"),
        (f"fetch {SLOS} SLIs x {FETCH_DAYS}d at 60s: embedded store", store_s, "s"),
        (f"fetch {SLOS} SLIs x {FETCH_DAYS}d at 60s: Prometheus raw series", raw_s, "s"),
        ("  Prometheus CPU of it", raw_cpu, "s"),
        (f"fetch {SLOS} SLIs x {FETCH_DAYS}d at 60s: Prometheus recording rules", rules_s, "s"),
        ("  SLIs read from recording rules", read_rules, f"of {SLOS}"),
        ("report --json (status, 30d windows): embedded store", store_status_s, "s"),
        ("report --json (status, 30d windows): Prometheus raw series", status_s, "s"),
        ("  Prometheus CPU of it", status_cpu, "s"),
        ("  equal to the embedded store's report", _same_report(status, store_status), "(1 = yes)"),
        ("report with trends (30d windows): embedded store", store_report_s, "s"),
        ("report with trends (30d windows): Prometheus raw series", raw_report_s, "s"),
        ("  Prometheus CPU of it", report_cpu, "s"),
        ("  equal to the embedded store's report", _same_report(full, store_full), "(1 = yes)"),
        ("raw series counts equal the embedded store's", int(exact), "(1 = bitwise)"),
        ("rules vs raw, worst 1h window: total / bad events", total_1h, f"/ {bad_1h:.4f}"),
        ("rules vs raw, worst 1d window: total / bad events", total_1d, f"/ {bad_1d:.4f}"),
        ("rules vs raw, 28d window: total / bad events", total_28d, f"/ {bad_28d:.5f}"),
        ("Prometheus start over the blocks", started_s, "s"),
        ("prepare: generate_many (once, cached)", info["generate_s"], "s"),
        ("prepare: ingest into the embedded store", info["ingest_s"], "s"),
        ("prepare: promtool create-blocks-from openmetrics", info["promtool_blocks_s"], "s"),
        (
            f"prepare: promtool create-blocks-from rules ({info['rules']} rules)",
            info["promtool_rules_s"],
            "s",
        ),
    ]
    return {
        "name": f"Prometheus source: {SLOS} SLOs x {DAYS} days (best of {RUNS})",
        "rows": rows,
        "notes": [
            f"{steps:,} steps per SLI; raw series are read as one plain-selector range query "
            "per metric (a union of the SLIs' selectors) in chunks of at most 11,000 points; "
            "a status reads the last 3 days as window sums (subqueries and instant queries), "
            "once for the 28- and 30-day windows alike, and the older hours of both in one "
            "range query",
            f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
            "(wall times on a shared machine; Prometheus CPU is the steadier figure)",
            "rules are read as rate5m x 60s per step: windows agree to the events of the 5 "
            "minutes at each edge (see tests/integration/test_prometheus_rules.py)",
            f"data built once under bench/.out/prometheus/ ({built})",
        ],
    }


if __name__ == "__main__":
    from run import show

    show(run())
