"""The low-traffic guard in the generated rules, run by the real ``promtool test rules``,
against ``sloscope report`` (the embedded evaluator) on the very same counters.

The example gateway's grouped availability SLO (group_by: [route], 99.9% over 28d, google
policy). Two routes send requests every minute for 65 minutes; in the last minute every
request fails. ``/quiet`` sends 1 a minute, ``/busy`` 1000: the same error ratios (1/60
over 1h, 1/5 over 5m, both above the 1h/5m page factor 13.44 × 0.001). Under the default
guard (100 events and 5 bad ones per window) only ``/busy`` pages; with the guard off
(``alerting.guard: {min_total: 0, min_bad: 0}``) both do, and the rules are the ones
generated without any guard. In each case the alerts promtool must see are the ones the
embedded evaluator raises at the same instant, per route and tier.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sloscope.engine.windows import bundled_policies
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.report.json import report_to_dict
from sloscope.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "grouped" / "gateway.yaml"
T0 = 1_763_000_040  # a whole minute
MINUTES = 65
ROUTES = {"/quiet": 1, "/busy": 1000}
SLO_ID = "gateway-route-availability"


def _promtool() -> str:
    found = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(found).exists():
        pytest.fail("promtool is not installed; run 'make services'", pytrace=False)
    return found


def _counters() -> dict[str, list[int]]:
    """Counter values per series at minutes 0..65: steady 200s, the last minute all 500s."""
    out: dict[str, list[int]] = {}
    for route, per_minute in ROUTES.items():
        ok = [per_minute * min(m, MINUTES - 1) for m in range(MINUTES + 1)]
        bad = [per_minute if m == MINUTES else 0 for m in range(MINUTES + 1)]
        out[f'http_requests_total{{job="gateway", route="{route}", code="200"}}'] = ok
        out[f'http_requests_total{{job="gateway", route="{route}", code="500"}}'] = bad
    return out


def _workspace(root: Path, guard: str | None) -> Workspace:
    (root / "slos").mkdir(parents=True)
    shutil.copy(SPEC, root / "slos" / "gateway.yaml")
    if guard is not None:
        (root / "sloscope.yaml").write_text(f"alerting:\n  guard: {guard}\n", encoding="utf-8")
    lines = ["# TYPE http_requests counter"]
    for series, values in _counters().items():
        lines += [f"{series} {v} {T0 + 60 * m}" for m, v in enumerate(values)]
    lines.append("# EOF")
    data = root / "data.om"
    data.write_text("\n".join(lines) + "\n", encoding="ascii")
    workspace = Workspace.open(root, env={})
    workspace.ingest(data)
    return workspace


def _embedded_alerts(workspace: Workspace) -> set[tuple[str, str]]:
    """(route, tier) of every alert ``report`` raises for the availability SLO at 65m."""
    report = report_to_dict(workspace.report(at=T0 + 60 * MINUTES))
    return {
        (entry["group"]["route"], alert["severity"])
        for entry in report["slos"]
        if entry["slo"] == "route-availability"
        for alert in entry["alerts"]
    }


def _promtool_run(root: Path, rules: str, alerts: set[tuple[str, str]]) -> str:
    """promtool's output for a test expecting exactly ``alerts`` at 65m (fails if not)."""
    (root / "rules.yaml").write_text(rules, encoding="utf-8")
    samples = [
        {"labels": f'{{route="{route}", sloscope_tier="{tier}"}}', "value": 1}
        for route, tier in sorted(alerts)
    ]
    test = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        # promtool otherwise evaluates groups in random order: recordings first, so the
        # alerts read this minute's rates, as the generated rule tests order them.
        "group_eval_order": [g["name"] for g in yaml.safe_load(rules)["groups"]],
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series, "values": " ".join(str(v) for v in values)}
                    for series, values in _counters().items()
                ],
                "promql_expr_test": [
                    {
                        "expr": "count by (route, sloscope_tier) "
                        f'(ALERTS{{alertstate="firing", sloscope_id="{SLO_ID}"}})',
                        "eval_time": f"{MINUTES}m",
                        "exp_samples": samples,
                    }
                ],
            }
        ],
    }
    (root / "test.yaml").write_text(yaml.safe_dump(test), encoding="utf-8")
    result = subprocess.run(
        [_promtool(), "test", "rules", "test.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return f"exit {result.returncode}\n{result.stdout[-4000:]}{result.stderr[-2000:]}"


@pytest.mark.parametrize(
    ("guard", "pages"),
    [
        (None, {"/busy"}),  # the default guard: 100 events, 5 bad ones
        ("{min_total: 0, min_bad: 0}", {"/busy", "/quiet"}),
    ],
)
def test_the_rules_and_the_evaluator_page_on_the_same_routes(
    tmp_path: Path, guard: str | None, pages: set[str]
) -> None:
    workspace = _workspace(tmp_path, guard)
    expected = _embedded_alerts(workspace)
    assert {route for route, tier in expected if tier == "page"} == pages
    rules = workspace.generate("prometheus").files["slo-rules.yaml"]
    out = _promtool_run(tmp_path, rules, expected)
    assert out.startswith("exit 0"), out
    assert "SUCCESS" in out
    if guard is not None:
        # The guard off writes today's rules exactly: those of the bare bundled policy.
        services = workspace.services()
        assert rules == render_rules(generate_rules(services, bundled_policies()))


def test_the_guarded_rules_fail_a_test_expecting_the_quiet_route_to_page(
    tmp_path: Path,
) -> None:
    """The check can fail: the unguarded evaluator's alerts are not the guarded rules'."""
    unguarded = _embedded_alerts(_workspace(tmp_path / "off", "{min_total: 0, min_bad: 0}"))
    assert ("/quiet", "page") in unguarded
    guarded = _workspace(tmp_path / "on", None).generate("prometheus").files["slo-rules.yaml"]
    out = _promtool_run(tmp_path / "on", guarded, unguarded)
    assert out.startswith("exit 1"), out
    assert 'route="/quiet"' in out
