"""One ``le`` rule everywhere: the sources and the generated rules count the same buckets.

Three pods spell the 0.3s boundary ``0.3``, ``0.30`` and ``3e-1``, and the ``+Inf``
boundary ``+Inf``, ``Inf`` and ``inf``. The embedded store and a real Prometheus (the
same OpenMetrics file in both) count every one of them, and promtool evaluates the
generated recording rules over the same counters to the same error rate.

Per minute, the 0.3s buckets of pods p1, p2 and p3 rise by 60, 120 and 180 (360 fast
requests) and their totals by 120, 240 and 360 (720 requests), so each 60s step has
360 good of 720 and the rules' error rate is (720 - 360) / 60 = 6 per second. A rule
that matched ``le="0.3"`` only would see 60 good and say 11.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import prometheus_server as harness
import pytest
import yaml
from prometheus_server import HarnessError

from conftest import StartPrometheus
from sloscope.engine.windows import bundled_policies
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.sources.embedded import EmbeddedSource
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.load import load_paths
from sloscope.spec.model import LatencySLI, Service
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

B = 1_763_100_000  # a whole minute: the grid starts here
STEP = 60
MINUTES = 60
#: Per pod: (spelling of 0.3, spelling of +Inf, fast requests/min, all requests/min).
PODS = {
    "p1": ("0.3", "+Inf", 60, 120),
    "p2": ("0.30", "Inf", 120, 240),
    "p3": ("3e-1", "inf", 180, 360),
}
SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata: {name: shop, owner: team-shop}
spec:
  slos:
    - name: fast
      objective: 99
      window: 28d
      sli:
        latency:
          metric: lat_seconds
          threshold: 300ms
"""


def _series(metric: str, with_count: bool) -> list[tuple[str, int]]:
    """(series, increase per minute) of every pod's histogram."""
    out = []
    for pod, (fast, inf, good, total) in PODS.items():
        out.append((f'{metric}_bucket{{pod="{pod}",le="0.1"}}', good // 2))
        out.append((f'{metric}_bucket{{pod="{pod}",le="{fast}"}}', good))
        out.append((f'{metric}_bucket{{pod="{pod}",le="{inf}"}}', total))
        if with_count:
            out.append((f'{metric}_count{{pod="{pod}"}}', total))
    return out


def _openmetrics() -> str:
    every = _series("lat_seconds", with_count=True) + _series("nocount_seconds", False)
    lines = [
        f"{series} {minute * inc} {B + minute * STEP}"
        for minute in range(MINUTES + 1)
        for series, inc in every
    ]
    return "\n".join([*lines, "# EOF"]) + "\n"


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    load_openmetrics: Callable[[Path, Path], None],
) -> Iterator[tuple[EmbeddedSource, PrometheusSource]]:
    root = tmp_path_factory.mktemp("le-spellings")
    path = root / "spellings.om"
    path.write_text(_openmetrics(), encoding="ascii")
    store = TelemetryStore(root / "t.duckdb")
    ingest_file(store, path)
    load_openmetrics(path, root / "data")
    prometheus = PrometheusSource(prometheus_factory(root / "data").url)
    yield EmbeddedSource(store), prometheus
    prometheus.close()
    store.close()


def _service(tmp_path: Path) -> Service:
    (tmp_path / "shop.yaml").write_text(SPEC, encoding="utf-8")
    loaded = load_paths([tmp_path / "shop.yaml"])
    loaded.raise_for_errors()
    [service] = loaded.services
    return service


@pytest.mark.parametrize("metric", ["lat_seconds", "nocount_seconds"])
def test_both_sources_count_every_spelling_of_the_threshold_and_of_inf(
    sources: tuple[EmbeddedSource, PrometheusSource], metric: str
) -> None:
    """Without ``_count``, the total is the +Inf buckets, spelled three ways."""
    sli = LatencySLI(metric=parse_selector(metric), threshold=0.3)
    counts = [s.fetch([sli], B, B + MINUTES * STEP, STEP)[0] for s in sources]
    for found in counts:
        assert found.good.tolist() == [360.0] * MINUTES
        assert found.total.tolist() == [720.0] * MINUTES
        assert found.series == 6  # three 0.3s buckets, three totals


def test_the_generated_rules_count_every_spelling_in_a_real_prometheus(tmp_path: Path) -> None:
    """promtool evaluates the generated rules over the same counters: 6 errors/s."""
    try:
        promtool = harness.binary("promtool")
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)
    service = _service(tmp_path)
    rules = generate_rules([service], bundled_policies())
    (tmp_path / "rules.yaml").write_text(render_rules(rules), encoding="utf-8")
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series, "values": f"0+{inc}x{MINUTES}"}
                    for series, inc in _series("lat_seconds", with_count=True)
                ],
                "promql_expr_test": [
                    {
                        "expr": "sum(slo:sli_error:rate5m)",
                        "eval_time": "30m",
                        "exp_samples": [{"labels": "{}", "value": 6}],
                    },
                    {
                        "expr": "sum(slo:sli_total:rate5m)",
                        "eval_time": "30m",
                        "exp_samples": [{"labels": "{}", "value": 12}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = subprocess.run(
        [promtool, "test", "rules", "tests.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "SUCCESS" in result.stdout
