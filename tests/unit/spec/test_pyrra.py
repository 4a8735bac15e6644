"""Pyrra ServiceLevelObjectives: service, target, window, indicators and alerting."""

from __future__ import annotations

from pathlib import Path

from sloscope.engine.windows import bundled_policies
from sloscope.spec.load import LoadResult, load_paths
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, RollingWindow, TierAlert
from sloscope.spec.selectors import parse_selector

PYRRA = Path("tests/specs/migrate/pyrra")


def _load(name: str) -> LoadResult:
    result = load_paths([PYRRA / name])
    assert result.errors == ()
    return result


def test_a_ratio_slo_takes_its_service_from_the_pyrra_service_label() -> None:
    (service,) = _load("ratio-grouping.yaml").services
    assert service.name == "storefront"
    (slo,) = service.slos
    assert (slo.name, slo.objective, slo.window) == (
        "storefront-http-errors",
        0.995,
        RollingWindow(28 * 86400),
    )
    assert slo.sli == RatioSLI(
        total=parse_selector('http_requests_total{job="storefront"}'),
        bad=parse_selector('http_requests_total{job="storefront", code=~"5.."}'),
    )
    assert slo.labels == {"team": "web"}
    assert slo.alerting.name == "StorefrontErrorBudgetBurn"
    assert slo.alerting.labels == {"slo": "storefront-http-errors"}
    assert slo.alerting.page == TierAlert(labels={"severity": "critical"})
    assert slo.alerting.ticket == TierAlert(labels={"severity": "warning"})
    assert slo.alerting.policy == "pyrra"
    assert slo.group_by == ("handler",)


def test_the_bundled_pyrra_policy_gives_pyrras_factors_for_28_days() -> None:
    """14 × 1h/672h = 2.0833%, 7 × 6h/672h = 6.25%, 2 × 24h/672h, 1 × 96h/672h."""
    policy = bundled_policies()["pyrra"]
    rows = [(w.long_label, w.short_label, w.factor(28 * 86400)) for w in policy.windows]
    assert rows == [("1h", "5m", 14.0), ("6h", "30m", 7.0), ("1d", "2h", 2.0), ("4d", "6h", 1.0)]


def test_latency_is_a_histogram_sli_or_a_ratio_when_the_series_differ() -> None:
    result = _load("latency.yaml")
    (service,) = result.services
    assert service.name == "search"  # the namespace, with a warning
    fast, suggest = service.slos
    assert fast.sli == LatencySLI(
        parse_selector('search_query_duration_seconds{job="search-api", cluster="eu1"}'), 0.5
    )
    assert suggest.window == RollingWindow(14 * 86400)
    assert isinstance(suggest.sli, RatioSLI)
    warnings = [p.message for p in result.warnings]
    assert any("the service is the namespace 'search'" in w for w in warnings)
    assert any("success and total select different series" in w for w in warnings)


def test_bool_gauge_and_native_histograms_are_promql() -> None:
    probe, reloads = _load("bool-gauge-alerting.yaml").services[0].slos
    assert probe.sli == PromQLSLI(
        good='sum(sum_over_time(probe_success{job="blackbox"}[{{window}}]))',
        total='sum(count_over_time(probe_success{job="blackbox"}[{{window}}]))',
    )
    assert probe.alerting.enabled is False  # disabled: true (deprecated)
    assert reloads.alerting.enabled is False  # burnrates: false
    assert reloads.objective == 0.00999  # "0.999" is 0.999 percent, as in Pyrra
    (native,) = _load("latency-native.yaml").services[0].slos
    assert isinstance(native.sli, PromQLSLI)
    assert native.sli.good is not None
    assert "histogram_fraction(0, 0.25, " in native.sli.good


def test_a_kubectl_list_of_slos_loads_without_bookkeeping_warnings() -> None:
    result = _load("list-kind.yaml")
    (service,) = result.services
    assert [s.name for s in service.slos] == ["payments-grpc-errors", "payments-grpc-latency"]
    assert not any("unknown key" in p.message for p in result.warnings)


def test_dynamic_burn_rates_are_a_warning_and_the_static_table_is_used() -> None:
    result = _load("bool-gauge-alerting.yaml")
    assert any(
        p.message.startswith("burnRateType 'dynamic' is not supported") for p in result.warnings
    )
