"""OpenSLO as the public files write it: list form, v1alpha, v2alpha, dangling references,
misspelt keys, and an export any OpenSLO tool can read that sloscope reads back exactly."""

from __future__ import annotations

from pathlib import Path

from sloscope.generate.openslo import generate_openslo, render_openslo
from sloscope.spec.load import LoadResult, load_paths, load_text
from sloscope.spec.model import (
    CalendarWindow,
    LatencySLI,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
)
from sloscope.spec.selectors import parse_selector

FORMS = Path("tests/specs/migrate/openslo")


def _load(name: str) -> LoadResult:
    return load_paths([FORMS / name])


def _warnings(result: LoadResult) -> list[str]:
    return [str(p) for p in result.warnings]


def test_a_list_form_document_loads_each_item_with_its_own_lines() -> None:
    result = _load("v1-list-form.yaml")
    assert result.errors == ()
    slos = {s.name: [slo.name for slo in s.slos] for s in result.services}
    assert sum(len(v) for v in slos.values()) == 3
    # The list-valued label warning names the item's own line, not the document's first.
    assert any(":37:9: warning: label 'team' is a list" in w for w in _warnings(result))


def test_a_kubectl_list_reads_its_items() -> None:
    text = """apiVersion: v1
kind: List
items:
  - apiVersion: openslo/v1
    kind: Service
    metadata: {name: api}
    spec: {description: The API}
"""
    result = load_text(text, "l.yaml")
    assert result.errors == ()
    assert [s.description for s in result.services] == ["The API"]


def test_v1alpha_as_sloth_writes_it_gives_one_slo_per_objective_named_as_sloth_names_them() -> None:
    result = _load("v1alpha-sloth-style.yaml")
    assert result.errors == ()
    (service,) = result.services
    assert service.description == "Full-text search"
    assert [(s.name, s.objective, s.window) for s in service.slos] == [
        ("search-requests-0", 0.999, RollingWindow(30 * 86400)),
        ("search-requests-1", 0.99, RollingWindow(30 * 86400)),
    ]
    assert service.slos[0].sli == PromQLSLI(
        good='sum(increase(http_requests_total{job="search", code!~"5.."}[{{window}}]))',
        total='sum(increase(http_requests_total{job="search"}[{{window}}]))',
    )
    assert service.slos[0].description == "Search requests that do not fail"
    assert any(
        ":34:5: warning: SLO 'search-requests' has 2 objectives with ratioMetrics" in w
        for w in _warnings(result)
    )


def test_v1alpha_threshold_calendar_keeps_the_start_and_assumes_one_minute_slices() -> None:
    result = _load("v1alpha-threshold-calendar.yaml")
    assert result.errors == ()
    latency, availability = result.services[0].slos
    assert latency.window == CalendarWindow("week", "Europe/Berlin", start="2025-01-06 00:00:00")
    assert latency.sli == TimeslicesSLI(
        LatencySLI(parse_selector('tile_render_duration_seconds{job="tiles"}'), 0.25),
        slice_seconds=60,
        target=0.95,
    )
    assert latency.objective == 0.98
    assert availability.window == RollingWindow(28 * 86400)
    assert availability.sli == RatioSLI(
        good=parse_selector('tile_requests_total{job="tiles", status="ok"}'),
        total=parse_selector('tile_requests_total{job="tiles"}'),
    )
    assert any("no timeSliceWindow; slices of 1m assumed" in w for w in _warnings(result))


def test_v2alpha_is_read_as_v1_and_a_missing_data_source_beside_an_inline_query_warns() -> None:
    result = _load("v2alpha-list.yaml")
    assert result.errors == ()
    page, asset = result.services[0].slos
    assert page.sli == RatioSLI(
        good=parse_selector('http_requests_total{app="checkout-web", code!~"5.."}'),
        total=parse_selector('http_requests_total{app="checkout-web"}'),
    )
    assert page.labels == {"env": "prod", "team": "web"}
    assert asset.objective == 0.999
    assert asset.window == CalendarWindow("month", "UTC", start="2025-01-01 00:00:00")
    assert asset.sli == RatioSLI(
        bad=parse_selector('cdn_requests_total{app="checkout-web", status="error"}'),
        total=parse_selector('cdn_requests_total{app="checkout-web"}'),
    )
    warnings = _warnings(result)
    assert sum("DataSource 'prom-eu' is not defined in the loaded files" in w for w in warnings)
    assert any(":90:28: warning: DataSource 'prom-eu'" in w for w in warnings)
    assert any(":127:20: warning: AlertNotificationTarget 'web-oncall'" in w for w in warnings)


def test_misspelt_keys_warn_with_did_you_mean_and_dangling_refs_do_not_drop_the_slo() -> None:
    result = _load("v1-dangling-refs-and-typos.yaml")
    assert result.errors == ()
    (slo,) = result.services[0].slos
    assert slo.window == RollingWindow(30 * 86400)
    assert slo.description == ""
    warnings = _warnings(result)
    for line, key, meant in (
        ("32:3", "lables", "labels"),
        ("35:3", "descripton", "description"),
        ("57:7", "isRoling", "isRolling"),
        ("58:3", "budgetingMetod", "budgetingMethod"),
    ):
        assert any(
            f":{line}: warning: unknown key {key!r}" in w and f"did you mean {meant!r}?" in w
            for w in warnings
        ), key
    assert any(":63:7: warning: AlertPolicy 'legacy-ledger-policy'" in w for w in warnings)
    assert any(":74:21: warning: AlertCondition 'ledger-burn'" in w for w in warnings)


def test_references_sloscope_needs_and_composite_slos_are_errors() -> None:
    result = _load("bad/v1-needed-refs-missing.yaml")
    messages = [p.message for p in result.errors]
    assert "SLI 'orders-success' is not defined in any loaded file" in messages
    assert "DataSource 'prom-orders' is not defined in any loaded file" in messages
    assert any("composite SLOs are not supported" in m for m in messages)
    assert [s.slos for s in result.services] == [()]


def test_export_is_portable_and_reads_back_exactly() -> None:
    result = _load("v1-calendar-export-roundtrip.yaml")
    assert result.problems == ()
    (slo,) = result.services[0].slos
    assert slo.sli == LatencySLI(parse_selector('invoice_render_seconds{job="billing"}'), 2.0)
    assert slo.window == CalendarWindow("month", "Europe/Paris", start="2025-01-01 00:00:00")
    text = render_openslo(generate_openslo(result.services))
    assert "{{window}}" not in text
    assert "thresholdMetric" not in text
    assert "startTime: '2025-01-01 00:00:00'" in text
    assert 'invoice_render_seconds_bucket{job="billing", le="2.0"}' in text
    back = load_text(text, "exported.yaml")
    assert back.problems == ()
    assert back.services == result.services


def test_every_openslo_form_exports_and_reads_back_as_the_same_services() -> None:
    for name in (
        "v1-list-form.yaml",
        "v1alpha-sloth-style.yaml",
        "v1alpha-threshold-calendar.yaml",
        "v2alpha-list.yaml",
    ):
        loaded = _load(name)
        text = render_openslo(generate_openslo(loaded.services))
        queries = [line for line in text.splitlines() if "query:" in line]
        assert queries, name
        assert not any("{{window}}" in q for q in queries), name
        back = load_text(text, "exported.yaml")
        assert back.errors == (), name
        assert back.services == tuple(sorted(loaded.services, key=lambda s: s.name)), name


def test_a_placeholder_query_any_is_an_error_not_a_metric_named_any() -> None:
    text = """apiVersion: openslo/v1
kind: SLO
metadata: {name: main-page}
spec:
  service: web-shop
  indicator:
    metadata: {name: response-code}
    spec:
      ratioMetric:
        good: {metricSource: {type: Any, spec: {query: Any}}}
        total: {metricSource: {type: Any, spec: {query: Any}}}
  timeWindow: [{duration: 2w, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"""
    result = load_text(text, "p.yaml")
    assert [str(p).split(" (hint")[0] for p in result.errors] == [
        "p.yaml:10:56: error: query 'Any' is a placeholder, not a query",
        "p.yaml:11:57: error: query 'Any' is a placeholder, not a query",
    ]
