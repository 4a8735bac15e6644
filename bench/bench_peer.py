"""Peer benchmark: sloscope beside slo-generator on the same 10 SLOs x 30 days.

The data (``sloscope.demo.generate_many``, 10 ratio SLOs, one sample a minute) is
written once as OpenMetrics under ``bench/.out/peer/``, ingested into sloscope's
embedded store and written as TSDB blocks for a real Prometheus (``promtool tsdb
create-blocks-from openmetrics``). slo-generator (Google's, from the package registry,
in its own virtualenv ``bench/.out/slo-generator-venv``: ``python -m venv`` there and
``pip install 'slo-generator[prometheus]' 'setuptools<81'``, see :data:`INSTALL`) reads
the same counters from that Prometheus with its Prometheus backend (``good_bad_ratio``:
``sum(increase(...[window]))`` instant queries).

Timed, in fresh processes, process start included (wall, median of 5, and CPU):

- ``sloscope report --json`` on the embedded store (status, 7 burn rates, 4 alert rows
  per SLO);
- ``slo-generator compute`` of the same SLOs with an error-budget policy of 4 windows
  (1h, 12h, 7d, 28d: the SRE workbook's), which is less than sloscope computes.

The Prometheus CPU time spent answering slo-generator (from ``/proc/<pid>/stat``) is
printed too. The virtualenv is created on the first run; when that fails, the note says
why and nothing is timed.

slo-generator's Prometheus backend ignores ``--timestamp`` (its client queries "now"),
so this data ends at the time it is built and is rebuilt when more than
:data:`MAX_AGE` seconds old (about 20 s); sloscope evaluates at the data's end.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import prometheus_server as harness

from sloscope.demo.scale import generate_many
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

OUT = Path(__file__).parent / ".out" / "peer"
VENV = Path(__file__).parent / ".out" / "slo-generator-venv"
GENERATOR = VENV / "bin" / "slo-generator"
#: slo-generator 2.6 imports ``pkg_resources``, which setuptools 81 and later no longer
#: ship, and its Prometheus backend is an extra: without either it runs and reports
#: nothing ("Backend Prometheus not loaded"), which must not be timed as the peer.
PACKAGES = ("slo-generator[prometheus]", "setuptools<81")
INSTALL = f"python -m venv {VENV} && {VENV}/bin/pip install " + " ".join(f"'{p}'" for p in PACKAGES)
SLOS = 10
MAX_AGE = 600
RUNS = 5
POLICY = {
    "steps": [
        {
            "name": name,
            "burn_rate_threshold": threshold,
            "alert": True,
            "message_alert": "burning",
            "message_ok": "ok",
            "window": window,
        }
        for name, threshold, window in (
            ("1 hour", 14.4, 3600),
            ("12 hours", 6, 43200),
            ("7 days", 1, 604800),
            ("28 days", 1, 2419200),
        )
    ]
}


def prepare() -> int:
    """Specs, the embedded store and Prometheus blocks of the same data ending now (or
    less than :data:`MAX_AGE` ago); returns where the data ends."""
    marker = OUT / "ready.json"
    if marker.exists():
        end = int(json.loads(marker.read_text())["end"])
        if time.time() - end < MAX_AGE:
            return end
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / ".sloscope").mkdir(parents=True)
    metrics = OUT / "metrics.om"
    end = int(time.time()) // 60 * 60
    generate_many(OUT / "slos", metrics, end=end, n_slos=SLOS, days=30)
    with TelemetryStore(OUT / ".sloscope" / "telemetry.duckdb") as store:
        ingest_file(store, metrics)
    harness.create_blocks_from_openmetrics(metrics, OUT / "prometheus-data", block_duration="744h")
    metrics.unlink()
    _write_slo_generator_configs()
    marker.write_text(json.dumps({"end": end}))
    return end


def _write_slo_generator_configs() -> None:
    """One slo-generator SLO file per sloscope SLO, from the sloscope specs."""
    target = OUT / "slo-generator"
    target.mkdir()
    for spec in sorted((OUT / "slos").glob("*.yaml")):
        doc = yaml.safe_load(spec.read_text())
        service = doc["metadata"]["name"]
        for slo in doc["spec"]["slos"]:
            ratio = slo["sli"]["ratio"]
            config = {
                "apiVersion": "sre.google.com/v2",
                "kind": "ServiceLevelObjective",
                "metadata": {
                    "name": f"{service}-{slo['name']}",
                    "labels": {
                        "service_name": service,
                        "feature_name": "api",
                        "slo_name": slo["name"],
                    },
                },
                "spec": {
                    "description": slo["name"],
                    "backend": "prometheus",
                    "method": "good_bad_ratio",
                    "exporters": [],
                    "service_level_indicator": {
                        "filter_good": ratio["good"],
                        "filter_valid": ratio["total"],
                    },
                    "goal": slo["objective"] / 100,
                },
            }
            (target / f"{service}-{slo['name']}.yaml").write_text(yaml.safe_dump(config))


def _times(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(median wall s, median CPU s) of ``args`` in fresh processes."""
    walls, cpus = [], []
    for _ in range(RUNS):
        began = time.perf_counter()
        child = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - began)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError(f"{' '.join(args)} failed")
    return statistics.median(walls), statistics.median(cpus)


def _check_peer(done: subprocess.CompletedProcess[str]) -> None:
    """Refuse a slo-generator run that failed or computed nothing: only a peer that
    answers every SLO is worth timing."""
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if "ERROR" in line]
    if done.returncode or errors:
        shown = "\n".join(errors[:3] or output.splitlines()[-3:])
        raise RuntimeError(
            f"slo-generator exit {done.returncode}, {len(errors)} error lines:\n{shown}\n"
            f"(re)install it: {INSTALL}"
        )


def install() -> str | None:
    """Create the peer's virtualenv (:data:`INSTALL`) unless it is there; None when done,
    else why not (pip's last lines)."""
    if GENERATOR.exists():
        return None
    print(f"installing the peer: {INSTALL}", file=sys.stderr, flush=True)
    for command in (
        [sys.executable, "-m", "venv", str(VENV)],
        [str(VENV / "bin" / "pip"), "install", "--quiet", *PACKAGES],
    ):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return "\n".join((done.stderr or done.stdout).strip().splitlines()[-3:])
    return None


def run() -> dict[str, Any]:
    """sloscope and slo-generator on the same data (the peer installed on first use);
    rows for run.py."""
    failed = install()
    if failed is not None:
        return {
            "name": "peer: slo-generator",
            "rows": [],
            "notes": [f"slo-generator not run: installing it failed ({INSTALL}): {failed}"],
        }
    end = prepare()
    sloscope = [sys.executable, "-m", "sloscope.cli", "report", "-w", str(OUT), "--at", str(end)]
    ours_wall, ours_cpu = _times([*sloscope, "--json"])
    server = harness.start_prometheus(OUT / "prometheus-data")
    try:
        config = OUT / "slo-generator-config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "backends": {"prometheus": {"url": server.url}},
                    "error_budget_policies": {"default": POLICY},
                    "exporters": {},
                }
            )
        )
        args = [str(GENERATOR), "compute", "-f", str(OUT / "slo-generator"), "-c", str(config)]
        args += ["-t", str(end)]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        _check_peer(done)
        prom_before = server.cpu_seconds()
        peer_wall, peer_cpu = _times(args)
        prom_cpu = (server.cpu_seconds() - prom_before) / RUNS
    finally:
        server.stop()
    reports = [line for line in done.stdout.splitlines() if "SLO" in line or "|" in line]
    return {
        "name": f"peer: {SLOS} SLOs x 30 days, sloscope beside slo-generator",
        "rows": [
            ("sloscope report --json (embedded store), wall, median of 5", ours_wall, "s"),
            ("sloscope report --json, CPU", ours_cpu, "s"),
            ("slo-generator compute (Prometheus, 4 windows), wall, median of 5", peer_wall, "s"),
            ("slo-generator compute, CPU", peer_cpu, "s"),
            ("Prometheus CPU per slo-generator run", prom_cpu, "s"),
        ],
        "notes": [
            f"slo-generator exit {done.returncode}, {len(reports)} report lines; "
            f"first: {json.dumps(reports[:1])}",
            f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        ],
    }


if __name__ == "__main__":
    from run import show

    show(run())
