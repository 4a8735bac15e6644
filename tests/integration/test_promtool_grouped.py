"""A grouped SLO's generated rules, run by the real ``promtool test rules``: each route
is recorded and alerts on its own, so only the route that burns pages.

Two routes of the example gateway (group_by: [route], 99.9% over 28d, google policy: a
page at 13.44x over 1h and 5m). ``/orders`` answers 980 good and 20 bad requests a
minute: an error ratio of 20/1000 = 0.02, a burn of 0.02 / 0.001 = 20x, above 13.44x.
``/search`` answers 1000 good ones: 0x. After 65 minutes the 1h window is full, so the
page alert is firing for ``/orders`` alone, carrying its ``route`` label.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sloscope.engine.windows import bundled_policies
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.spec.load import load_paths

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "grouped" / "gateway.yaml"
IDENTITY = {
    "sloscope_id": "gateway-route-availability",
    "sloscope_service": "gateway",
    "sloscope_slo": "route-availability",
}

RATIO_1H = 'slo:sli_error:ratio_rate1h{sloscope_id="gateway-route-availability"}'


def _promtool() -> str:
    found = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(found).exists():
        pytest.fail("promtool is not installed; run 'make services'", pytrace=False)
    return found


def _rule_test(burning_errors: int, expect_page: bool) -> dict[str, object]:
    series = {
        '{job="gateway", route="/orders", code="200"}': f"0+{1000 - burning_errors}x90",
        '{job="gateway", route="/orders", code="500"}': f"0+{burning_errors}x90",
        '{job="gateway", route="/search", code="200"}': "0+1000x90",
    }
    page = {"alertname": "SLOErrorBudgetBurnPage", "alertstate": "firing"}
    firing = (
        [{**page, **IDENTITY, "route": "/orders", "severity": "page", "sloscope_tier": "page"}]
        if expect_page
        else []
    )
    return {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"http_requests_total{labels}", "values": values}
                    for labels, values in series.items()
                ],
                "promql_expr_test": [
                    {
                        # 20/1000 errors for /orders, none for /search, each its own series.
                        "expr": RATIO_1H,
                        "eval_time": "65m",
                        "exp_samples": [
                            {
                                "labels": _series("slo:sli_error:ratio_rate1h", route, "1h"),
                                "value": value,
                            }
                            for route, value in (
                                ("/orders", burning_errors / 1000),
                                ("/search", 0),
                            )
                        ],
                    },
                    {
                        "expr": 'ALERTS{alertname="SLOErrorBudgetBurnPage"}',
                        "eval_time": "65m",
                        "exp_samples": [
                            {"labels": _labels("ALERTS", alert), "value": 1} for alert in firing
                        ],
                    },
                ],
            }
        ],
    }


def _series(metric: str, route: str, window: str) -> str:
    return _labels(metric, {**IDENTITY, "route": route, "sloscope_window": window})


def _labels(metric: str, labels: dict[str, str]) -> str:
    body = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{body}}}"


def _run(
    tmp_path: Path, burning_errors: int, expect_page: bool
) -> subprocess.CompletedProcess[str]:
    loaded = load_paths([SPEC])
    loaded.raise_for_errors()
    (service,) = loaded.services
    rules = generate_rules([service], bundled_policies())
    (tmp_path / "rules.yaml").write_text(render_rules(rules), encoding="utf-8")
    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump(_rule_test(burning_errors, expect_page)), encoding="utf-8")
    return subprocess.run(
        [_promtool(), "test", "rules", tests.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.integration
def test_only_the_burning_route_of_a_grouped_slo_pages(tmp_path: Path) -> None:
    result = _run(tmp_path, burning_errors=20, expect_page=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "SUCCESS" in result.stdout


@pytest.mark.integration
def test_the_grouped_rule_test_fails_when_the_expected_route_does_not_burn(
    tmp_path: Path,
) -> None:
    """The test can fail: with /orders at 5 errors a minute (5x, under 13.44x), nothing
    pages, and the expected /orders alert is missing."""
    result = _run(tmp_path, burning_errors=5, expect_page=True)
    assert result.returncode == 1
    assert "SLOErrorBudgetBurnPage" in result.stdout + result.stderr
