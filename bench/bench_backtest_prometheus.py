"""The backtest's alerts beside the same replay by a real Prometheus over the generated rules.

On ``bench_prometheus``'s data (100 SLOs x 30 days of 60s samples in a Prometheus TSDB,
with the generated rules' 5m rates backfilled over the whole range), every SLO's two
generated alert expressions (page and ticket) are evaluated with ``query_range`` at
1 minute over the 27 days after the first 3 (so every window is full), the recording
rules they read inlined (down to the backfilled 5m rates) as the generated rules define
them. sloscope replays the same
range with the same semantics: the generated rules' policy, no low-traffic guard, no
pending time or hysteresis, no noise pipeline. Both are timed, and the minutes at
which each alert fires are compared: Prometheus' recorded rates extrapolate
(``rate()``), sloscope's counts do not, so minutes right at a threshold may differ.
Run ``python bench/bench_backtest_prometheus.py``; ``bench_backtest`` prints it too.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import prometheus_server as harness

import bench_prometheus
from sloscope import conventions
from sloscope.alerting.backtest import PolicySet, backtest
from sloscope.alerting.spans import Lifetime
from sloscope.engine.windows import TrafficGuard
from sloscope.generate.prometheus.rules import generate_rules
from sloscope.sources.prometheus.api import PrometheusAPI
from sloscope.workspace import Workspace

STEP = 60
END = bench_prometheus.END
START = END - (bench_prometheus.DAYS - 3) * 86400
_RECORDED = re.compile(r'(slo:[\w:]+)\{sloscope_id="([^"]+)"\}')


def alert_expressions(ws: Workspace) -> list[tuple[str, str, str]]:
    """``(sloscope_id, severity, expr)`` of every generated alert, recording rules inlined."""
    document = generate_rules(ws.services(), ws.alert_policies)
    records = {
        (r["record"], r["labels"]["sloscope_id"]): r["expr"]
        for g in document["groups"]
        for r in g["rules"]
        if "record" in r
    }
    backfilled = {conventions.error_rate(300), conventions.total_rate(300)}

    def inline(match: re.Match[str]) -> str:
        if match[1] in backfilled or (match[1], match[2]) not in records:
            return match[0]
        return "(" + _RECORDED.sub(inline, records[(match[1], match[2])]) + ")"

    found = []
    for group in document["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in ("SLOErrorBudgetBurnPage", "SLOErrorBudgetBurnTicket"):
                # One SLO's rules are one series each; inlined, some lose the rule's
                # labels, so each side of ``and`` is aggregated to no labels at all.
                expr = _RECORDED.sub(inline, rule["expr"])
                expr = expr.replace("max without (sloscope_window) (", "max(")
                found.append((rule["labels"]["sloscope_id"], rule["labels"]["severity"], expr))
    return found


def prometheus_minutes(url: str, alerts: list[tuple[str, str, str]]) -> dict[Any, set[int]]:
    """The evaluation times at which each alert expression has a value (fires)."""
    api = PrometheusAPI(url, httpx.Client(timeout=600), timeout=600.0, max_retries=1, backoff=1.0)
    firing: dict[Any, set[int]] = {}
    for sloscope_id, severity, expr in alerts:
        series = api.query_range(expr, START + STEP, END, STEP)
        firing[(sloscope_id, severity)] = {int(t) for s in series for t in s.timestamps}
    return firing


def sloscope_minutes(ws: Workspace) -> tuple[dict[Any, set[int]], float, float]:
    """The same replay by sloscope: minutes firing per alert, fetch and replay seconds."""
    began = time.perf_counter()
    inputs = ws.replay_inputs(START, END)
    fetched = time.perf_counter() - began
    bare = [p._replace(guard=TrafficGuard()) for p in inputs.policy_sets[0].policies]
    began = time.perf_counter()
    result = backtest(
        inputs.targets, [PolicySet("rules", bare)], Lifetime(STEP), start=START, end=END
    )
    replayed = time.perf_counter() - began
    firing: dict[Any, set[int]] = {}
    for alert in result.replays[0].alerts:
        key = (f"{alert.service}-{alert.slo}", alert.severity)
        minutes = range(max(alert.start, START + STEP), alert.last + 1, STEP)
        firing.setdefault(key, set()).update(minutes)
    return firing, fetched, replayed


def _runs(minutes: set[int]) -> int:
    ordered = sorted(minutes)
    return sum(1 for i, t in enumerate(ordered) if i == 0 or t - ordered[i - 1] > STEP)


def run(slos: int | None = None) -> dict[str, Any]:
    """Rows for run.py: both replays' times and how far their alerts agree.

    ``slos`` limits Prometheus to the first so many SLOs (each takes minutes on a busy
    two-core machine); sloscope replays them all, and its alerts are compared on those.
    """
    bench_prometheus.prepare()
    ws = Workspace.open(bench_prometheus.OUT, env={})
    alerts = alert_expressions(ws)
    if slos is not None:
        chosen = sorted({a[0] for a in alerts})[:slos]
        alerts = [a for a in alerts if a[0] in chosen]
    ours, fetch_s, replay_s = sloscope_minutes(ws)
    ours = {k: v for k, v in ours.items() if k[0] in {a[0] for a in alerts}}
    server = harness.start_prometheus(bench_prometheus.OUT / "prometheus-data")
    try:
        began = time.perf_counter()
        theirs = prometheus_minutes(server.url, alerts)
        prom_s = time.perf_counter() - began
    finally:
        server.stop()
    keys = set(ours) | set(theirs)
    both = sum(len(ours.get(k, set()) & theirs.get(k, set())) for k in keys)
    either = sum(len(ours.get(k, set()) | theirs.get(k, set())) for k in keys)
    return {
        "name": f"the same replay: sloscope vs Prometheus over the generated alert rules "
        f"({len(alerts)} alert expressions, 27 days at 1 minute)",
        "rows": [
            ("sloscope: fetch from the embedded store", fetch_s, "s"),
            ("sloscope: replay of all 100 SLOs (engine + spans)", replay_s, "s"),
            (f"Prometheus: query_range of {len(alerts)} alert expressions", prom_s, "s"),
            ("alerts (firing spans), sloscope", sum(_runs(m) for m in ours.values()), ""),
            ("alerts (firing spans), Prometheus", sum(_runs(m) for m in theirs.values()), ""),
            ("firing minutes, sloscope", sum(len(m) for m in ours.values()), ""),
            ("firing minutes, Prometheus", sum(len(m) for m in theirs.values()), ""),
            ("firing minutes both agree on / either fires", both / either if either else 1.0, ""),
        ],
        "notes": [
            "same semantics on both sides: no guard, no pending time, no hysteresis, no "
            "noise pipeline (rules generated without a guard have none of these)",
        ],
    }


if __name__ == "__main__":
    from run import show

    show(run(int(sys.argv[1]) if len(sys.argv) > 1 else None))
