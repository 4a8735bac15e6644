"""promtool rule tests generated for the rules (sloscope.generate.rule_tests).

These check the generated test files' inputs and expectations by hand-computed numbers;
tests/integration/test_promtool_rules.py runs them with the real promtool.
"""

from __future__ import annotations

from typing import Any

import pytest

from sloscope import conventions as conv
from sloscope.engine.windows import TrafficGuard, bundled_policies
from sloscope.generate.rule_tests.document import generate_rule_tests, render_rule_tests
from sloscope.generate.rule_tests.events import _parse_linear, event_model
from sloscope.generate.rule_tests.expected import humanize, humanize_percentage
from sloscope.generate.rule_tests.scenarios import _slice_ratio
from sloscope.generate.rule_tests.series import _encode
from sloscope.spec.model import (
    SLO,
    Alerting,
    LatencySLI,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
    Service,
    TimeslicesSLI,
)
from sloscope.spec.selectors import parse_selector

DAY = 86400
POLICIES = bundled_policies()
TOTAL = parse_selector('http_requests_total{route="/orders"}')
GOOD = parse_selector('http_requests_total{route="/orders", code!~"5.."}')
BAD = parse_selector('http_requests_total{route="/orders", code=~"5.."}')


def _service(sli: Any = None, *, days: int = 28, objective: float = 0.999) -> Service:
    slo = SLO(
        name="orders",
        objective=objective,
        window=RollingWindow(days * DAY),
        sli=sli or RatioSLI(total=TOTAL, good=GOOD),
        alerting=Alerting(runbook="https://runbooks.example.com/orders"),
    )
    return Service(name="shop", slos=(slo,))


def _tests(service: Service, **options: Any) -> dict[str, Any]:
    return generate_rule_tests([service], POLICIES, "rules.yaml", **options)


def _series(test: dict[str, Any]) -> dict[str, str]:
    return {s["series"]: s["values"] for s in test["input_series"]}


def _alerts(test: dict[str, Any], alertname: str) -> list[tuple[str, list[Any]]]:
    return [
        (case["eval_time"], case["exp_alerts"])
        for case in test["alert_rule_test"]
        if case["alertname"] == alertname
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(14.784, "14.78"), (1.0, "1"), (0.5, "500m"), (1234.0, "1.234k"), (0.0, "0")],
)
def test_humanize_formats_as_prometheus_templates_do(value: float, text: str) -> None:
    assert humanize(value) == text


def test_humanize_percentage_of_an_overspent_budget() -> None:
    assert humanize_percentage(1 - 14.784) == "-1378%"


def test_counters_are_written_in_expanding_notation() -> None:
    assert _encode([0, 60, 120, 180]) == "0+60x3"
    assert _encode([0, 60, 120, 120, 120, 180]) == "0+60x2 120+0x1 180"
    assert _encode([5]) == "5"


def test_sloth_style_queries_parse_into_signed_selectors() -> None:
    terms = _parse_linear(
        '(\n sum(increase(h_count{s="a"}[{{window}}]))\n -\n'
        ' sum(increase(h_bucket{s="a",le="0.5"}[{{window}}]))\n)'
    )
    assert [(c, str(s)) for c, s in terms] == [
        (1, 'h_count{s="a"}'),
        (-1, 'h_bucket{s="a", le="0.5"}'),
    ]


def test_latency_events_are_count_minus_threshold_bucket() -> None:
    model = event_model(LatencySLI(metric=parse_selector("lat_seconds"), threshold=1.0))
    assert [(c, str(s)) for c, s in model.bad] == [
        (1, "lat_seconds_count"),
        (-1, 'lat_seconds_bucket{le=~"1|0*1(?:\\\\.0*)?|1(?:\\\\.0*)?[eE][+-]?0+"}'),
    ]


def test_page_test_burns_1_1_times_the_fastest_page_factor_with_exact_counts() -> None:
    doc = _tests(_service())
    page = doc["tests"][0]
    # 28d: 2% in 1h is 13.44; 1.1 x 13.44 x 0.001 = 0.014784 of requests fail.
    assert page["name"] == (
        "shop/orders: a steady 14.78x burn (1.1 × the 1h page factor 13.44) pages within 65m"
    )
    assert page["interval"] == "1m"
    # 0.014784 = 231/15625: 21600 x 15625 requests a minute, 21600 x 231 of them 5xx.
    assert _series(page) == {
        'http_requests_total{route="/orders"}': "0+332510400x70",
        'http_requests_total{code="500", route="/orders"}': "0+4989600x70",
    }
    [(when, [alert])] = _alerts(page, conv.ALERT_PAGE)
    assert when == "65m"
    assert alert["exp_labels"]["sloscope_tier"] == "page"
    assert "burns its error budget 14.78x as fast" in alert["exp_annotations"]["description"]


def test_quiet_day_at_1x_fires_the_3d_ticket_of_a_28d_slo_and_nothing_else() -> None:
    quiet = _tests(_service())["tests"][1]
    assert quiet["name"] == (
        "shop/orders: a steady 1x burn for a day pages no one; the 3d/6h ticket "
        "(factor 0.9333333333) fires, its factor is below 1x"
    )
    # 1x of a 0.001 budget: 1 failure in 1000 requests, 21600 per minute apart.
    assert _series(quiet) == {
        'http_requests_total{route="/orders"}': "0+21578400x1440",
        'http_requests_total{code="500", route="/orders"}': "0+21600x1440",
    }
    pages = _alerts(quiet, conv.ALERT_PAGE)
    assert pages == [("6h", []), ("12h", []), ("18h", []), ("1d", [])]
    tickets = _alerts(quiet, conv.ALERT_TICKET)
    assert [when for when, alerts in tickets if len(alerts) == 1] == ["6h", "12h", "18h", "1d"]


def test_quiet_day_of_a_30d_slo_burns_0_97x_as_its_3d_factor_is_exactly_1() -> None:
    quiet = _tests(_service(days=30))["tests"][1]
    assert quiet["name"] == "shop/orders: a steady 0.97x burn for a day pages no one"
    assert all(alerts == [] for _, alerts in _alerts(quiet, conv.ALERT_TICKET))


def test_bad_selector_slo_gets_bad_and_good_series() -> None:
    quiet = _tests(_service(RatioSLI(total=TOTAL, bad=BAD), days=30))["tests"][1]
    # 0.97 x 0.001 = 97 in 100000: 97 x 21600 bad per minute.
    assert _series(quiet) == {
        'http_requests_total{code="500", route="/orders"}': "0+2095200x1440",
        'http_requests_total{route="/orders"}': "0+2157904800x1440",
    }


def test_evaluation_interval_is_5m_without_time_slices_and_1m_with_them() -> None:
    assert _tests(_service())["evaluation_interval"] == "5m"
    sli = TimeslicesSLI(indicator=RatioSLI(total=TOTAL, good=GOOD), slice_seconds=60, target=0.95)
    doc = _tests(_service(sli, objective=0.995))
    assert doc["evaluation_interval"] == "1m"
    assert doc["tests"][0]["interval"] == "15s"
    assert doc["group_eval_order"] == [
        "sloscope-shop-orders-slice-recordings",
        "sloscope-shop-orders-sli-recordings",
        "sloscope-shop-orders-sli-long-recordings",
        "sloscope-shop-orders-meta-recordings",
        "sloscope-shop-orders-alerts",
    ]


def test_slice_ratio_counts_slices_with_events_in_a_closed_window() -> None:
    states = [0, 1, None, 0, 1, 0]  # minutes 1..6
    # Window [6 - 4, 6] = minutes 2..6: slices 1, 0, 1, 0 with events (minute 3 empty).
    assert _slice_ratio(states, 6, 4) == 0.5
    assert _slice_ratio([None, None], 2, 1) is None


def test_time_slice_page_test_finds_a_pattern_that_pages() -> None:
    sli = TimeslicesSLI(indicator=RatioSLI(total=TOTAL, good=GOOD), slice_seconds=60, target=0.95)
    page = _tests(_service(sli, objective=0.995))["tests"][0]
    # 1/(1.1 x 13.44 x 0.005) = 13.5: one bad slice in 13 minutes keeps both windows above.
    assert page["name"].startswith("shop/orders: one bad 1m slice in 13 ")
    [(_, [alert])] = _alerts(page, conv.ALERT_PAGE)
    assert alert["exp_labels"]["sloscope_id"] == "shop-orders"


def test_untestable_slos_are_reported_not_guessed() -> None:
    ratio = PromQLSLI(error_ratio="sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))")
    other = PromQLSLI(bad="topk(1, x)", total="sum(increase(t[{{window}}]))")
    five = TimeslicesSLI(indicator=RatioSLI(total=TOTAL, good=GOOD), slice_seconds=300, target=0.9)
    assert _tests(_service(ratio)).warnings == (
        "shop/orders: not tested: an error_ratio PromQL SLI has no events to synthesise",
    )
    assert (
        _tests(_service(other))
        .warnings[0]
        .startswith("shop/orders: not tested: PromQL 'topk(1, x)': expected sum, rate or increase")
    )
    assert "only 1m slices are simulated" in _tests(_service(five, objective=0.99)).warnings[0]


def test_exhausted_alert_is_expected_once_the_budget_is_overspent() -> None:
    doc = _tests(_service(), exhausted_alert=True)
    [(_, [alert])] = _alerts(doc["tests"][0], conv.ALERT_EXHAUSTED)
    assert alert["exp_labels"]["sloscope_window"] == "28d"
    assert "has -1378% of its error budget left" in alert["exp_annotations"]["description"]
    # With the exhausted alert a 1x burn would leave exactly 0: the quiet day burns 0.97x.
    assert doc["tests"][1]["name"].startswith("shop/orders: a steady 0.97x burn")


def test_rendered_tests_name_the_rules_file_and_list_warnings() -> None:
    doc = _tests(_service(PromQLSLI(error_ratio="x[{{window}}]")))
    text = render_rule_tests(doc)
    assert text.splitlines()[1].startswith("# warning: shop/orders: not tested")
    assert "rule_files:\n- rules.yaml\n" in text


def _guarded(guard: TrafficGuard) -> Any:
    return lambda service, slo: POLICIES[slo.alerting.policy]._replace(guard=guard)


def test_under_a_guard_one_bad_minute_pages_on_busy_traffic_only() -> None:
    doc = _tests(_service(), policy_of=_guarded(TrafficGuard(100, 5)))
    low = [t for t in doc["tests"] if "the last minute's all bad" in t["name"]]
    assert [t["name"].split(":")[1].split(",")[0] for t in low] == [
        " 1 events a minute",
        " 250 events a minute",
    ]
    quiet, busy = low
    # One good request a minute for 64 minutes, then one bad one: 1/60 over 1h (> 13.44x).
    assert _series(quiet) == {
        'http_requests_total{route="/orders"}': "0+1x64 64",
        'http_requests_total{code="500", route="/orders"}': "0+0x64 1",
    }
    assert _series(busy)['http_requests_total{code="500", route="/orders"}'] == "0+0x64 250"
    assert quiet["promql_expr_test"][0]["exp_samples"] == []
    assert quiet["promql_expr_test"][0]["eval_time"] == "65m"
    [sample] = busy["promql_expr_test"][0]["exp_samples"]
    assert 'alertname="SLOErrorBudgetBurnPage"' in sample["labels"]
    assert 'sloscope_tier="page"' in sample["labels"]
    assert "alert_rule_test" not in busy


def test_without_a_guard_there_is_no_low_traffic_pair() -> None:
    names = [t["name"] for t in _tests(_service())["tests"]]
    assert not any("the last minute's all bad" in n for n in names)
    assert _tests(_service(), policy_of=_guarded(TrafficGuard())) == _tests(_service())


def test_the_steady_page_is_expected_only_when_its_windows_pass_the_guard() -> None:
    """The page test's traffic (21,600 events a minute and more) under a guard of 10^12
    events: no window counts enough, so no alert is expected; and no low-traffic pair,
    as the busy side could not page either."""
    doc = _tests(_service(), policy_of=_guarded(TrafficGuard(1e12, 0)))
    page = next(t for t in doc["tests"] if "pages within" in t["name"])
    assert all(case["exp_alerts"] == [] for case in page["alert_rule_test"])
