"""Prometheus rules generated from SLO specs (sloscope.generate.prometheus).

Golden files live in tests/golden/prometheus/, one per demo and example spec file;
rewrite them with ``SLOSCOPE_UPDATE_GOLDEN=1 pytest tests/unit/generate/prometheus/test_rules.py``
and review the diff. Without the variable the output must match byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from golden import check_golden
from sloscope import conventions as conv
from sloscope.demo.spec_files import demo_specs_dir
from sloscope.engine.windows import AlertPolicy, AlertWindow, TrafficGuard, bundled_policies
from sloscope.errors import ConfigError, SpecError
from sloscope.generate.prometheus.plan import PolicyOf, plan_slo
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.spec.load import load_paths
from sloscope.spec.model import (
    SLO,
    Alerting,
    CalendarWindow,
    LatencySLI,
    Origin,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
    Service,
    TimeslicesSLI,
    Window,
)
from sloscope.spec.selectors import parse_selector

DAY = 86400
ROOT = Path(__file__).resolve().parents[4]
GOLDEN = ROOT / "tests" / "golden" / "prometheus"
POLICIES = bundled_policies()
TOTAL = parse_selector('http_requests_total{route="/orders"}')
GOOD = parse_selector('http_requests_total{route="/orders", code!~"5.."}')

#: Golden file name → spec file, for every demo and example spec.
SPEC_FILES = {
    "demo-checkout": Path(str(demo_specs_dir().joinpath("checkout.yaml"))),
    "demo-identity": Path(str(demo_specs_dir().joinpath("identity.yaml"))),
    "demo-search": Path(str(demo_specs_dir().joinpath("search.yaml"))),
    "example-openslo-checkout": ROOT / "examples" / "openslo" / "checkout.yaml",
    "example-sloth-search": ROOT / "examples" / "sloth" / "search.yml",
    "example-sloth-identity-k8s": ROOT / "examples" / "sloth" / "identity-k8s.yaml",
    "example-grouped-gateway": ROOT / "examples" / "grouped" / "gateway.yaml",
}


def _slo(
    name: str = "orders",
    *,
    window: Window | None = None,
    objective: float = 0.999,
    alerting: Alerting | None = None,
    sli: Any = None,
    labels: dict[str, str] | None = None,
) -> SLO:
    return SLO(
        name=name,
        objective=objective,
        window=window or RollingWindow(28 * DAY),
        sli=sli or RatioSLI(total=TOTAL, good=GOOD),
        alerting=alerting or Alerting(runbook="https://runbooks.example.com/orders"),
        labels=labels or {},
        origin=Origin("shop.yaml", 7),
    )


def _service(*slos: SLO, name: str = "shop", labels: dict[str, str] | None = None) -> Service:
    return Service(name=name, slos=slos or (_slo(),), labels=labels or {})


def _groups(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {group["name"]: group for group in doc["groups"]}


def _rule(doc: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    found = [r for g in doc["groups"] for r in g["rules"] if r.get(key) == name]
    assert len(found) == 1, f"{len(found)} rules named {name}"
    return found[0]


# --- golden files -----------------------------------------------------------------------


def _check_golden(name: str, text: str) -> None:
    check_golden(GOLDEN / name, text)


@pytest.mark.parametrize("golden", sorted(SPEC_FILES))
def test_rules_of_each_demo_and_example_spec_match_the_golden_file(golden: str) -> None:
    loaded = load_paths([SPEC_FILES[golden]])
    loaded.raise_for_errors()
    _check_golden(f"{golden}.yaml", render_rules(generate_rules(loaded.services, POLICIES)))


def test_operator_object_with_every_option_matches_the_golden_file() -> None:
    loaded = load_paths([SPEC_FILES["demo-checkout"]])
    doc = generate_rules(
        loaded.services,
        POLICIES,
        exhausted_alert=True,
        dashboard_url="https://grafana.example.com/d/slo?var-id={id}",
        extra_labels={"team": "payments"},
    )
    _check_golden("demo-checkout-operator.yaml", render_rules(doc, "operator", name="checkout"))


# --- windows and numbers ----------------------------------------------------------------


def test_a_28d_slo_pages_at_13_44_written_as_factor_times_budget() -> None:
    doc = generate_rules([_service()], POLICIES)
    expr = _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    assert (
        'max without (sloscope_window) (slo:sli_error:ratio_rate1h{sloscope_id="shop-orders"}'
        " > (13.44 * 0.001))"
    ) in expr
    assert "(5.6 * 0.001)" in expr  # 5% of 28d in 6h
    assert expr.endswith("\n/ 0.001")  # the value is the burn rate


@pytest.mark.parametrize(
    ("window", "page_factor", "days"),
    [
        (RollingWindow(30 * DAY), "14.4", "30"),
        (RollingWindow(7 * DAY), "3.36", "7"),
        (CalendarWindow("month", "Europe/Berlin"), "14.4", "30"),  # nominal 30d
        (CalendarWindow("quarter"), "43.2", "90"),
    ],
)
def test_factor_and_period_come_from_the_slo_window(
    window: Window, page_factor: str, days: str
) -> None:
    doc = generate_rules([_service(_slo(window=window))], POLICIES)
    assert f"({page_factor} * 0.001)" in _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    assert _rule(doc, "record", conv.PERIOD_DAYS)["expr"] == f"vector({days})"


def test_short_windows_read_raw_series_and_long_ones_sum_the_5m_rates() -> None:
    doc = generate_rules([_service()], POLICIES)
    groups = _groups(doc)
    fast = groups["sloscope-shop-orders-sli-recordings"]
    slow = groups["sloscope-shop-orders-sli-long-recordings"]
    assert "interval" not in fast
    assert slow["interval"] == "5m"
    assert [r["record"] for r in fast["rules"]][::3] == [
        "slo:sli_error:rate5m",
        "slo:sli_error:rate30m",
        "slo:sli_error:rate1h",
        "slo:sli_error:rate2h",
        "slo:sli_error:rate6h",
    ]
    assert [r["record"] for r in slow["rules"]][2::3] == [
        "slo:sli_error:ratio_rate1d",
        "slo:sli_error:ratio_rate3d",
        "slo:sli_error:ratio_rate28d",
    ]
    ratio28 = _rule(doc, "record", "slo:sli_error:ratio_rate28d")
    assert ratio28["expr"] == (
        'sum_over_time(slo:sli_error:rate5m{sloscope_id="shop-orders"}[28d]) / '
        'sum_over_time(slo:sli_total:rate5m{sloscope_id="shop-orders"}[28d])'
    )
    assert ratio28["labels"]["sloscope_window"] == "28d"
    assert _rule(doc, "record", "slo:sli_error:rate1d")["expr"] == (
        'avg_over_time(slo:sli_error:rate5m{sloscope_id="shop-orders"}[1d])'
    )
    assert _rule(doc, "record", "slo:sli_error:ratio_rate1h")["expr"] == (
        'slo:sli_error:rate1h{sloscope_id="shop-orders"} / '
        'slo:sli_total:rate1h{sloscope_id="shop-orders"}'
    )


def test_metadata_series_carry_identity_and_spec_labels() -> None:
    service = _service(_slo(labels={"journey": "buy"}), labels={"tier": "1"})
    doc = generate_rules([service], POLICIES, extra_labels={"team": "shop"})
    objective = _rule(doc, "record", conv.OBJECTIVE)
    assert objective["expr"] == "vector(0.999)"
    assert objective["labels"] == {
        "journey": "buy",
        "sloscope_id": "shop-orders",
        "sloscope_service": "shop",
        "sloscope_slo": "orders",
        "team": "shop",
        "tier": "1",
    }
    assert _rule(doc, "record", conv.ERROR_BUDGET)["expr"] == "vector(0.001)"
    assert _rule(doc, "record", conv.CURRENT_BURN_RATE)["expr"] == (
        'slo:sli_error:ratio_rate5m{sloscope_id="shop-orders"} / 0.001'
    )
    assert _rule(doc, "record", conv.BUDGET_REMAINING)["expr"] == (
        '1 - slo:period_burn_rate:ratio{sloscope_id="shop-orders"}'
    )
    assert _groups(doc)["sloscope-shop-orders-meta-recordings"]["interval"] == "5m"


# --- alerts -----------------------------------------------------------------------------


def test_alerts_have_tier_labels_runbook_and_dashboard() -> None:
    alerting = Alerting(
        runbook="https://runbooks.example.com/orders",
        dashboard="https://grafana.example.com/d/orders",
        labels={"team": "shop"},
    )
    doc = generate_rules([_service(_slo(alerting=alerting))], POLICIES)
    page = _rule(doc, "alert", conv.ALERT_PAGE)
    assert page["labels"] == {
        "severity": "page",
        "sloscope_id": "shop-orders",
        "sloscope_service": "shop",
        "sloscope_slo": "orders",
        "sloscope_tier": "page",
        "team": "shop",
    }
    annotations = page["annotations"]
    assert annotations["summary"] == "shop/orders: the error budget burns fast"
    assert "{{ $value | humanize }}x" in annotations["description"]
    assert (
        "the 1h and 5m burn rates both exceed 13.44 (2% of the budget in 1h)"
        in (annotations["description"])
    )
    assert annotations["runbook_url"] == "https://runbooks.example.com/orders"
    assert annotations["dashboard"] == "https://grafana.example.com/d/orders"
    ticket = _rule(doc, "alert", conv.ALERT_TICKET)
    assert ticket["labels"]["sloscope_tier"] == "ticket"
    assert "for" not in ticket  # the short window makes it reset; no extra delay


def test_runbook_is_omitted_without_one_and_dashboard_comes_from_the_template() -> None:
    slo = _slo(alerting=Alerting(annotations={"summary": "Orders fail"}))
    doc = generate_rules(
        [_service(slo)], POLICIES, dashboard_url="https://g.example.com/d/{service}?slo={slo}"
    )
    annotations = _rule(doc, "alert", conv.ALERT_PAGE)["annotations"]
    assert "runbook_url" not in annotations
    assert annotations["dashboard"] == "https://g.example.com/d/shop?slo=orders"
    assert annotations["summary"] == "Orders fail"  # the spec's own annotation wins


def test_rows_that_can_never_fire_are_left_out_and_reported() -> None:
    # A 90% SLO burns at most 10x: the 28d pages (13.44, 5.6 is fine) cannot all fire.
    doc = generate_rules([_service(_slo(objective=0.9))], POLICIES)
    expr = _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    assert "13.44" not in expr
    assert "(5.6 * 0.1)" in expr
    assert doc.warnings == (
        "shop/orders: page row 1h/5m (factor 13.44) left out: it can never fire, "
        "a 90% SLO burns at most 10x",
    )
    assert render_rules(doc).splitlines()[1] == f"# warning: {doc.warnings[0]}"


def test_disabled_alerting_records_but_does_not_alert() -> None:
    doc = generate_rules([_service(_slo(alerting=Alerting(enabled=False)))], POLICIES)
    assert "sloscope-shop-orders-alerts" not in _groups(doc)
    assert "sloscope-shop-orders-meta-recordings" in _groups(doc)
    assert doc.warnings == ("shop/orders: alerting disabled, no alerts",)


def test_exhausted_alert_only_when_asked() -> None:
    assert all(
        r.get("alert") != conv.ALERT_EXHAUSTED
        for g in generate_rules([_service()], POLICIES)["groups"]
        for r in g["rules"]
    )
    doc = generate_rules([_service()], POLICIES, exhausted_alert=True)
    rule = _rule(doc, "alert", conv.ALERT_EXHAUSTED)
    assert rule["expr"] == (
        'slo:period_error_budget_remaining:ratio{sloscope_id="shop-orders"} <= 0'
    )
    assert rule["for"] == "5m"
    assert rule["labels"]["sloscope_tier"] == "ticket"


def test_a_custom_policy_of_the_project_is_used_by_name() -> None:
    policy = AlertPolicy("fast", (AlertWindow("page", 5, 3600, 600),))
    slo = _slo(alerting=Alerting(policy="fast"))
    doc = generate_rules([_service(slo)], {"fast": policy})
    expr = _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    assert "ratio_rate10m" in expr
    assert "(33.6 * 0.001)" in expr
    assert not any(r.get("alert") == conv.ALERT_TICKET for g in doc["groups"] for r in g["rules"])


def test_unknown_policy_is_a_config_error_naming_the_slo() -> None:
    slo = _slo(alerting=Alerting(policy="nope"))
    with pytest.raises(ConfigError, match=r"SLO shop/orders \(shop.yaml:7\) uses alert policy"):
        generate_rules([_service(slo)], POLICIES)


def test_labels_prometheus_cannot_carry_are_spec_errors() -> None:
    with pytest.raises(SpecError, match=r"'team\.io/owner' is not a valid Prometheus label"):
        generate_rules([_service(_slo(labels={"team.io/owner": "x"}))], POLICIES)
    with pytest.raises(SpecError, match="'severity' is reserved"):
        generate_rules([_service(_slo(labels={"severity": "x"}))], POLICIES)


# --- kinds of SLI ---------------------------------------------------------------------


def test_error_ratio_promql_records_its_ratio_at_every_window_and_no_rates() -> None:
    sli = PromQLSLI(error_ratio="sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))")
    doc = generate_rules([_service(_slo(sli=sli))], POLICIES)
    records = [r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r]
    assert not any("rate5m" in r and "ratio" not in r for r in records)
    assert _rule(doc, "record", "slo:sli_error:ratio_rate28d")["expr"] == (
        "max(sum(rate(e[28d])) / sum(rate(t[28d])))"
    )


def test_time_slices_record_a_slice_indicator_once_per_slice() -> None:
    sli = TimeslicesSLI(indicator=RatioSLI(total=TOTAL, good=GOOD), slice_seconds=600, target=0.95)
    doc = generate_rules([_service(_slo(sli=sli))], POLICIES)
    group = _groups(doc)["sloscope-shop-orders-slice-recordings"]
    assert group["interval"] == "10m"
    assert group["rules"][0]["record"] == "slo:sli_slice_bad:bool10m"
    assert _rule(doc, "record", "slo:sli_error:ratio_rate30m")["expr"] == (
        'sum_over_time(slo:sli_slice_bad:bool10m{sloscope_id="shop-orders"}[30m]) / '
        'count_over_time(slo:sli_slice_bad:bool10m{sloscope_id="shop-orders"}[30m])'
    )
    # A 5m window holds no 10m slice: not recorded, and the 1h/5m page is left out.
    assert all("rate5m" not in r.get("record", "") for g in doc["groups"] for r in g["rules"])
    assert "ratio_rate1h" not in _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    assert doc.warnings == (
        "shop/orders: page row 1h/5m (factor 13.44) left out: its short window holds no "
        "whole 10m time slice",
    )


def test_latency_slo_reads_the_bucket_of_its_threshold() -> None:
    sli = LatencySLI(metric=parse_selector("latency_seconds"), threshold=0.3)
    doc = generate_rules([_service(_slo(sli=sli))], POLICIES)
    assert (
        r'latency_seconds_bucket{le=~"0\\.3|0*\\.30*|3(?:\\.0*)?[eE]-0*1"}[5m]'
        in _rule(doc, "record", "slo:sli_error:rate5m")["expr"]
    )


# --- documents ------------------------------------------------------------------------


def test_output_is_deterministic_and_services_sorted() -> None:
    a, b = _service(name="zeta"), _service(name="alpha")
    first = render_rules(generate_rules([a, b], POLICIES))
    assert first == render_rules(generate_rules([b, a], POLICIES))
    names = [g["name"] for g in yaml.safe_load(first)["groups"]]
    assert names[0] == "sloscope-alpha-orders-sli-recordings"
    assert names[-1] == "sloscope-zeta-orders-alerts"


def test_operator_format_wraps_the_same_groups_in_a_prometheus_rule() -> None:
    doc = generate_rules([_service()], POLICIES)
    obj = yaml.safe_load(render_rules(doc, "operator", name="shop-slos"))
    assert obj["apiVersion"] == "monitoring.coreos.com/v1"
    assert obj["kind"] == "PrometheusRule"
    assert obj["metadata"]["name"] == "shop-slos"
    assert obj["spec"]["groups"] == yaml.safe_load(render_rules(doc))["groups"]


def test_unknown_render_format_is_refused() -> None:
    with pytest.raises(ValueError, match="use rules or operator"):
        render_rules(generate_rules([_service()], POLICIES), "json")  # type: ignore[arg-type]


def test_plan_lists_every_window_once_in_order() -> None:
    plan = plan_slo(_service(), _slo(), POLICIES)
    assert plan.windows == (300, 1800, 3600, 7200, 21600, 86400, 259200, 28 * DAY)
    assert plan.budget == "0.001"


# --- the low-traffic guard --------------------------------------------------------------


def _guarded(guard: TrafficGuard) -> PolicyOf:
    """The workspace's way: the spec's policy, with ``guard`` resolved."""
    return lambda service, slo: POLICIES[slo.alerting.policy]._replace(guard=guard)


def test_the_guard_holds_each_window_of_each_row_to_its_counts() -> None:
    doc = generate_rules([_service()], POLICIES, policy_of=_guarded(TrafficGuard(100, 5)))
    expr = _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    sel = '{sloscope_id="shop-orders"}'
    for seconds, window in ((3600, "1h"), (300, "5m"), (21600, "6h"), (1800, "30m")):
        assert (
            f"max without (sloscope_window) (slo:sli_total:rate{window}{sel} * {seconds} >= 100)"
        ) in expr
        assert (
            f"max without (sloscope_window) (slo:sli_error:rate{window}{sel} * {seconds} >= 5)"
        ) in expr
    # The burn conditions come first: ``and`` keeps their value, the long burn rate.
    first_row = expr.split("\n  or\n")[0]
    assert first_row.index("ratio_rate1h") < first_row.index("sli_total:rate1h")
    description = _rule(doc, "alert", conv.ALERT_PAGE)["annotations"]["description"]
    assert description.endswith("(each window holding at least 100 events and 5 bad ones).")
    # Only the minimum that is set: no bad-event condition without min_bad.
    doc = generate_rules([_service()], POLICIES, policy_of=_guarded(TrafficGuard(50, 0)))
    expr = _rule(doc, "alert", conv.ALERT_PAGE)["expr"]
    assert "* 300 >= 50)" in expr
    assert "slo:sli_error:rate" not in expr


def test_a_zero_guard_writes_the_rules_without_a_guard_exactly() -> None:
    services = [_service(_slo(), _slo("slices", sli=_slices()))]
    bare = render_rules(generate_rules(services, POLICIES))
    assert render_rules(generate_rules(services, POLICIES, policy_of=_guarded(TrafficGuard()))) == (
        bare
    )
    assert "* 300 >=" not in bare


def _slices() -> TimeslicesSLI:
    return TimeslicesSLI(indicator=RatioSLI(total=TOTAL, good=GOOD), slice_seconds=60, target=0.95)


def test_time_slices_and_error_ratio_slis_get_no_guard_and_the_latter_a_warning() -> None:
    """As ``evaluate``: the guard counts events, and a time-slice SLI's counts are slices;
    an error_ratio SLI records no counts at all, which the rules file says."""
    ratio = PromQLSLI(error_ratio="sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))")
    service = _service(_slo("slices", sli=_slices()), _slo("ratio", sli=ratio))
    policy_of = _guarded(TrafficGuard(100, 5))
    guarded = generate_rules([service], POLICIES, policy_of=policy_of)
    bare = generate_rules([service], POLICIES)
    assert guarded["groups"] == bare["groups"]
    assert guarded.warnings == (
        "shop/ratio: its alerts have no low-traffic guard: an error_ratio PromQL SLI records "
        "no event counts (write total: and bad: or good:)",
    )
