"""slo-generator: v2 SLOs with a Prometheus backend and the shared config.yaml."""

from __future__ import annotations

from pathlib import Path

from sloscope.spec.load import LoadResult, load_paths
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector
from sloscope.validation import spec_policies

GEN = Path("tests/specs/migrate/slo-generator")


def _load(*names: str) -> LoadResult:
    return load_paths([GEN / "config.yaml", *(GEN / n for n in names)])


def test_good_bad_ratio_with_valid_filter_is_a_ratio_sli_over_the_policys_window() -> None:
    result = _load("slo_checkout_api_availability.yaml")
    assert result.errors == ()
    (service,) = result.services
    assert service.name == "checkout"
    (slo,) = service.slos
    assert (slo.name, slo.objective, slo.window, slo.journey) == (
        "api-availability",
        0.999,
        RollingWindow(28 * 86400),
        "api",
    )
    assert slo.sli == RatioSLI(
        total=parse_selector('http_requests_total{job="checkout"}'),
        good=parse_selector('http_requests_total{job="checkout", code=~"2..|3.."}'),
    )
    assert slo.alerting.policy == "slo-generator-default"


def test_error_budget_policy_steps_become_alert_rows_with_the_steps_burn_rates() -> None:
    """28d window: 10 × 1h/672h = 1.4881%, 5 × 6h/672h = 4.4643%, 1.5 × 72h/672h = 16.071%."""
    policies = spec_policies(_load())
    rows = [
        (w.severity, w.long_label, w.short_label, round(w.factor(28 * 86400), 6))
        for w in policies["slo-generator-default"].windows
    ]
    assert rows == [
        ("page", "1h", "5m", 10.0),
        ("page", "6h", "30m", 5.0),
        ("ticket", "3d", "6h", 1.5),
    ]
    strict = policies["slo-generator-strict"].windows
    assert [(w.long_label, w.factor(30 * 86400)) for w in strict] == [("1h", 14.4)]


def test_query_sli_distribution_cut_and_operators() -> None:
    result = _load(
        "slo_search_query_sli.yaml",
        "slo_checkout_pay_latency.yaml",
        "slo_checkout_cart_operators.yaml",
    )
    assert result.errors == ()
    by_name = {s.name: s for service in result.services for s in service.slos}
    query = by_name["query-availability"].sli
    assert isinstance(query, PromQLSLI)
    assert query.error_ratio is not None
    assert query.error_ratio.startswith(
        '1 - (sum(rate(search_requests_total{code!~"5.."}[{{window}}]))'
    )
    assert by_name["pay-latency"].sli == LatencySLI(
        parse_selector('http_request_duration_seconds{job="checkout", route="/pay"}'), 0.5
    )
    assert by_name["cart-availability"].sli == PromQLSLI(
        good='sum(increase(cart_updates_total{job="checkout", result="ok"}[{{window}}]))',
        total='sum(increase(cart_updates_total{job="checkout"}[{{window}}]))',
    )


def test_a_non_prometheus_backend_is_one_error_naming_it() -> None:
    result = _load("bad/slo_frontend_cloud_monitoring.yaml")
    assert [p.message for p in result.errors] == [
        "slo-generator backend 'cloud_monitoring/prod' (class cloud_monitoring) is not "
        "supported: only Prometheus backends can be imported"
    ]


def test_unknown_backend_and_policy_and_v1_files_are_errors() -> None:
    result = _load("bad/slo_unknown_backend_and_policy.yaml", "bad/slo_legacy_v1.yaml")
    messages = [p.message for p in result.errors]
    assert any(m.startswith("backend 'prometheus/eu' is not defined") for m in messages)
    assert any(m.startswith("error budget policy 'fast-burn' is not defined") for m in messages)
    assert any(m.startswith("slo-generator v1 config") for m in messages)
