"""Grafana dashboards generated from SLO specs (sloscope.generate.grafana).

Golden files live in tests/golden/grafana/<service>.json, one per demo service; rewrite
them with ``SLOSCOPE_UPDATE_GOLDEN=1 pytest tests/unit/generate/grafana/test_dashboard.py`` and
review the diff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from golden import check_golden
from sloscope import conventions as conv
from sloscope.demo.spec_files import write_demo_specs
from sloscope.engine.windows import AlertPolicy, AlertWindow, bundled_policies
from sloscope.errors import ConfigError
from sloscope.generate.grafana.dashboard import dashboard_uid, generate_dashboard, render_dashboard
from sloscope.generate.grafana.text import PROMETHEUS_ALERTS_METRIC, safe_url
from sloscope.generate.prometheus.rules import generate_rules
from sloscope.spec.durations import parse_duration
from sloscope.spec.load import load_paths
from sloscope.spec.model import (
    SLO,
    Alerting,
    CalendarWindow,
    Journey,
    Origin,
    RatioSLI,
    RollingWindow,
    Service,
    TimeslicesSLI,
    Window,
)
from sloscope.spec.selectors import parse_selector

DAY = 86400
GOLDEN = Path(__file__).resolve().parents[3] / "golden" / "grafana"
POLICIES = bundled_policies()
UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _slo(
    name: str = "orders-availability",
    *,
    window: Window | None = None,
    objective: float = 0.999,
    alerting: Alerting | None = None,
    description: str = "Orders that do not fail",
) -> SLO:
    return SLO(
        name=name,
        objective=objective,
        window=window or RollingWindow(28 * DAY),
        sli=RatioSLI(
            total=parse_selector('http_requests_total{route="/orders"}'),
            good=parse_selector('http_requests_total{route="/orders", code!~"5.."}'),
        ),
        journey="place-order",
        description=description,
        alerting=alerting or Alerting(runbook="https://runbooks.example.com/orders"),
    )


def _service(*slos: SLO, name: str = "shop", owner: str = "team-shop") -> Service:
    return Service(
        name=name,
        slos=slos or (_slo(),),
        owner=owner,
        journeys=(Journey("place-order", "Customer places an order"),),
    )


@pytest.fixture(scope="module")
def demo_services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Service]:
    folder = tmp_path_factory.mktemp("slos")
    write_demo_specs(folder)
    loaded = load_paths([folder])
    assert loaded.problems == ()
    return {s.name: s for s in loaded.services}


def _panels_of(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [p for p in doc["panels"] if p["type"] == kind]


def _panel(doc: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [p for p in doc["panels"] if p["title"] == title]
    return found


def _exprs(doc: dict[str, Any]) -> Iterator[str]:
    for panel in doc["panels"]:
        for target in panel.get("targets", []):
            yield target["expr"]
    for annotation in doc["annotations"]["list"]:
        if "expr" in annotation:
            yield annotation["expr"]


def _threshold_steps(panel: dict[str, Any]) -> list[tuple[str, float | None]]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [(s["color"], s["value"]) for s in steps]


# --- layout ------------------------------------------------------------------------------------


def _cells(panel: dict[str, Any]) -> set[tuple[int, int]]:
    g = panel["gridPos"]
    return {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}


@pytest.mark.parametrize("name", ["checkout", "identity", "search"])
def test_every_panel_has_a_unique_id_and_a_place_on_the_grid_no_other_takes(
    demo_services: dict[str, Service], name: str
) -> None:
    doc = generate_dashboard(demo_services[name], POLICIES)
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    assert all(isinstance(i, int) and i > 0 for i in ids)
    taken: set[tuple[int, int]] = set()
    for panel in doc["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0
        assert g["y"] >= 0
        assert g["w"] > 0
        assert g["h"] > 0
        assert g["x"] + g["w"] <= 24, panel["title"]
        cells = _cells(panel)
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def test_a_service_gets_an_overview_row_and_one_row_of_eight_panels_per_slo(
    demo_services: dict[str, Service],
) -> None:
    checkout = demo_services["checkout"]
    doc = generate_dashboard(checkout, POLICIES)
    rows = [p["title"] for p in _panels_of(doc, "row")]
    assert rows == [
        "checkout: overview",
        "place-order-availability: 99.9% over 28d",
        "place-order-latency: 99% over 28d",
        "place-order-good-minutes: 99.5% over 28d",
        "cart-availability: 99.5% over 30d",
    ]
    # overview: row, about, alerts; then per SLO: row + 3 stats, text, 3 time series, table
    assert len(doc["panels"]) == 3 + 9 * len(checkout.slos)
    kinds = [p["type"] for p in doc["panels"][3:12]]
    assert kinds == ["row", "stat", "stat", "stat", "text"] + ["timeseries"] * 3 + ["table"]


def test_every_query_reads_only_series_named_by_the_conventions(
    demo_services: dict[str, Service],
) -> None:
    constants = {
        conv.OBJECTIVE,
        conv.ERROR_BUDGET,
        conv.PERIOD_DAYS,
        conv.CURRENT_BURN_RATE,
        conv.PERIOD_BURN_RATE,
        conv.BUDGET_REMAINING,
        PROMETHEUS_ALERTS_METRIC,
    }
    templates = (conv.ERROR_RATIO, conv.ERROR_RATE, conv.TOTAL_RATE)
    labels = {conv.LABEL_ID, conv.LABEL_SERVICE, conv.LABEL_SLO, "alertname", "alertstate"}

    def known(name: str) -> bool:
        if name in constants:
            return True
        for template in templates:
            prefix = template.split("{window}")[0]
            if name.startswith(prefix):
                window = name[len(prefix) :]
                return conv.window_suffix(parse_duration(window)) == window
        return False

    matcher = re.compile(r'(\w+)\s*(?:=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
    seen = 0
    for service in demo_services.values():
        for expr in _exprs(generate_dashboard(service, POLICIES)):
            for label, value in matcher.findall(expr):
                assert label in labels, expr
                if label == "alertname":
                    assert value == f"{conv.ALERT_PAGE}|{conv.ALERT_TICKET}|{conv.ALERT_EXHAUSTED}"
            bare = re.sub(r"\{[^}]*\}", "", expr)
            bare = re.sub(r"\b(on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
            names = re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare)
            assert names, expr
            for name in names:
                assert known(name), f"{name} in {expr} is not a conventions name"
                seen += 1
    assert seen > 0


def test_per_slo_queries_select_the_slo_by_its_id_label() -> None:
    doc = generate_dashboard(_service(), POLICIES)
    exprs = [t["expr"] for p in doc["panels"][3:] for t in p.get("targets", [])]
    assert exprs
    for expr in exprs:
        for selector in re.findall(r"\{[^}]*\}", expr):
            assert f'{conv.LABEL_ID}="shop-orders-availability"' in selector, expr


def test_burn_rates_divide_each_windows_recorded_ratio_by_the_recorded_budget() -> None:
    doc = generate_dashboard(_service(), POLICIES)
    burn = _panel(doc, "Burn rate by window")
    first = burn["targets"][0]
    assert first["expr"] == (
        'slo:sli_error:ratio_rate5m{sloscope_id="shop-orders-availability"} '
        "/ on(sloscope_id) group_left() "
        'slo:error_budget:ratio{sloscope_id="shop-orders-availability"}'
    )
    assert [t["legendFormat"] for t in burn["targets"]] == [
        "5m (page > 13.44 with 1h)",
        "30m (page > 5.6 with 6h)",
        "1h (page > 13.44 with 5m)",
        "2h (ticket > 2.8 with 1d)",
        "6h (page > 5.6 with 30m; ticket > 0.9333 with 3d)",
        "1d (ticket > 2.8 with 2h)",
        "3d (ticket > 0.9333 with 6h)",
    ]
    assert [t["refId"] for t in burn["targets"]] == list("ABCDEFG")


def test_sli_panels_read_the_slo_windows_ratio_and_the_shortest_alert_window() -> None:
    doc = generate_dashboard(_service(), POLICIES)
    assert _panel(doc, "SLI over 28d")["targets"][0]["expr"] == (
        '1 - slo:sli_error:ratio_rate28d{sloscope_id="shop-orders-availability"}'
    )
    series = _panel(doc, "SLI")
    assert [(t["legendFormat"], t["expr"]) for t in series["targets"]] == [
        ("SLI over 28d", '1 - slo:sli_error:ratio_rate28d{sloscope_id="shop-orders-availability"}'),
        ("SLI over 1h", '1 - slo:sli_error:ratio_rate1h{sloscope_id="shop-orders-availability"}'),
    ]


# --- thresholds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (
            RollingWindow(28 * DAY),
            [("orange", 0.9333333333), ("orange", 2.8), ("red", 5.6), ("red", 13.44)],
        ),
        (RollingWindow(30 * DAY), [("orange", 1.0), ("orange", 3.0), ("red", 6.0), ("red", 14.4)]),
        # a calendar month alerts with its nominal 30 days
        (
            CalendarWindow("month", "Europe/Berlin"),
            [("orange", 1.0), ("orange", 3.0), ("red", 6.0), ("red", 14.4)],
        ),
    ],
)
def test_burn_rate_lines_are_the_alert_factors_of_the_slos_own_window(
    window: Window, expected: list[tuple[str, float]]
) -> None:
    doc = generate_dashboard(_service(_slo(window=window)), POLICIES)
    burn = _panel(doc, "Burn rate by window")
    assert _threshold_steps(burn) == [("transparent", None), *expected]
    engine = sorted(w.factor(window.nominal_seconds) for w in POLICIES["google"].windows)
    assert [value for _, value in expected] == engine
    assert burn["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "dashed"}


def test_a_page_row_colours_a_factor_it_shares_with_a_ticket_row_red() -> None:
    policy = AlertPolicy(
        "tie",
        (
            AlertWindow("ticket", 10, 86400, 7200),  # 10% of 30d in 1d: 3
            AlertWindow("page", 2.5, 21600, 1800),  # 2.5% of 30d in 6h: 3
        ),
    )
    slo = _slo(window=RollingWindow(30 * DAY), alerting=Alerting(policy="tie"))
    doc = generate_dashboard(_service(slo), {"tie": policy})
    assert _threshold_steps(_panel(doc, "Burn rate by window")) == [
        ("transparent", None),
        ("red", 3.0),
    ]


def test_the_sli_panels_turn_red_below_the_objective() -> None:
    doc = generate_dashboard(_service(_slo(objective=0.995)), POLICIES)
    assert _threshold_steps(_panel(doc, "SLI over 28d")) == [("red", None), ("green", 0.995)]
    assert _threshold_steps(_panel(doc, "SLI")) == [("transparent", None), ("red", 0.995)]


def test_budget_panels_are_red_below_10_percent_and_yellow_below_50_percent() -> None:
    doc = generate_dashboard(_service(), POLICIES)
    budget_panels = [p for p in doc["panels"] if p["title"] == "Error budget remaining"]
    assert [p["type"] for p in budget_panels] == ["stat", "timeseries"]
    for panel in budget_panels:
        assert _threshold_steps(panel) == [("red", None), ("yellow", 0.1), ("green", 0.5)]
        assert panel["fieldConfig"]["defaults"]["unit"] == "percentunit"


def test_the_current_burn_rate_turns_yellow_at_1_and_red_at_the_highest_page_factor() -> None:
    doc = generate_dashboard(_service(), POLICIES)
    assert _threshold_steps(_panel(doc, "Current burn rate")) == [
        ("green", None),
        ("yellow", 1.0),
        ("red", 13.44),
    ]


def test_an_slo_without_alerting_draws_no_alert_lines_and_says_so() -> None:
    slo = _slo(alerting=Alerting(enabled=False))
    doc = generate_dashboard(_service(slo), POLICIES)
    burn = _panel(doc, "Burn rate by window")
    assert _threshold_steps(burn) == [("transparent", None)]
    assert burn["targets"][0]["legendFormat"] == "5m"
    assert "Alerting is disabled" in _panel(doc, "About orders-availability")["options"]["content"]
    assert "links" not in burn


@pytest.mark.parametrize("enabled", [True, False])
def test_an_slo_naming_an_unknown_policy_is_a_config_error_with_its_place(enabled: bool) -> None:
    slo = SLO(
        name="x",
        objective=0.99,
        window=RollingWindow(28 * DAY),
        sli=RatioSLI(total=parse_selector("t"), bad=parse_selector("b")),
        alerting=Alerting(policy="nope", enabled=enabled),
        origin=Origin("slos/shop.yaml", 12),
    )
    with pytest.raises(ConfigError) as caught:
        generate_dashboard(_service(slo), POLICIES)
    message = str(caught.value)
    assert "SLO shop/x (slos/shop.yaml:12) uses alert policy 'nope'" in message
    assert "known policies: google" in message


def test_the_bundled_policies_are_known_when_only_project_policies_are_passed() -> None:
    doc = generate_dashboard(_service(), {})
    assert len(_threshold_steps(_panel(doc, "Burn rate by window"))) == 5


def test_rows_that_can_never_fire_get_no_line_and_the_about_panel_says_why() -> None:
    # a 90% SLO burns at most 10: the 13.44 page row of a 28d window can never fire
    doc = generate_dashboard(_service(_slo(objective=0.9)), POLICIES)
    assert _threshold_steps(_panel(doc, "Burn rate by window")) == [
        ("transparent", None),
        ("orange", 0.9333333333),
        ("orange", 2.8),
        ("red", 5.6),
    ]
    assert _threshold_steps(_panel(doc, "Current burn rate"))[-1] == ("red", 5.6)
    legends = [t["legendFormat"] for t in _panel(doc, "Burn rate by window")["targets"]]
    assert legends[0] == "5m"
    content = _panel(doc, "About orders-availability")["options"]["content"]
    assert (
        "| page | 1h | 5m | 2% | 13\\.44 \\(it can never fire, a 90% SLO burns at most 10x\\) |"
        in (content)
    )


def test_time_slice_slos_leave_out_windows_shorter_than_a_slice() -> None:
    slo = SLO(
        name="good-minutes",
        objective=0.99,
        window=RollingWindow(30 * DAY),
        sli=TimeslicesSLI(
            indicator=RatioSLI(total=parse_selector("t"), bad=parse_selector("b")),
            slice_seconds=600,
            target=0.95,
        ),
    )
    doc = generate_dashboard(_service(slo), POLICIES)
    burn = _panel(doc, "Burn rate by window")
    assert [t["legendFormat"].split(" ")[0] for t in burn["targets"]] == [
        "30m",
        "1h",
        "2h",
        "6h",
        "1d",
        "3d",
    ]
    # the 1h/5m page row has no alert: 5m holds no whole 10m slice
    assert _threshold_steps(burn) == [
        ("transparent", None),
        ("orange", 1.0),
        ("orange", 3.0),
        ("red", 6.0),
    ]
    content = _panel(doc, "About good-minutes")["options"]["content"]
    assert (
        "**SLI** good 10m slices ÷ slices with events; a slice is good at 95% or more of "
        "1 \\- bad events ÷ all events  "
    ) in content


def test_a_calendar_slo_says_its_window_is_recorded_as_a_rolling_one() -> None:
    slo = _slo(window=CalendarWindow("month", "Europe/Berlin"))
    doc = generate_dashboard(_service(slo), POLICIES)
    rows = [p["title"] for p in _panels_of(doc, "row")]
    assert rows[1] == "orders-availability: 99.9% over calendar month (Europe/Berlin)"
    stat = _panel(doc, "SLI over 30d")
    assert stat["targets"][0]["expr"].startswith("1 - slo:sli_error:ratio_rate30d{")
    assert stat["description"].endswith(
        "Recorded as a rolling 30d: Prometheus has no calendar ranges."
    )


def test_every_series_a_dashboard_reads_is_one_the_generated_rules_record(
    demo_services: dict[str, Service],
) -> None:
    doc = generate_rules(demo_services.values(), POLICIES)
    recorded = {
        (rule["record"], rule["labels"][conv.LABEL_ID])
        for group in doc["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    alerts = {
        rule["alert"] for group in doc["groups"] for rule in group["rules"] if "alert" in rule
    }
    checked = 0
    for service in demo_services.values():
        for expr in _exprs(generate_dashboard(service, POLICIES)):
            for metric, inner in re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}", expr):
                if metric == PROMETHEUS_ALERTS_METRIC:
                    named = re.search(r'alertname=~"([^"]*)"', inner)
                    assert named is not None
                    assert alerts <= set(named.group(1).split("|"))
                    continue
                sid = re.search(rf'{conv.LABEL_ID}="([^"]*)"', inner)
                assert sid is not None, expr
                assert (metric, sid.group(1)) in recorded, f"{metric} of {sid.group(1)}"
                checked += 1
    # 9 SLOs: 3 stats, 2 SLI series, 1 budget series, 7 burn windows x 2 series each
    assert checked == 9 * (3 + 2 + 1 + 14)


# --- text and links: spec strings are user input -------------------------------------------------


def test_a_runbook_url_with_quotes_and_html_cannot_break_out_of_its_link() -> None:
    runbook = "https://rb.example.com/a b\"><script>alert('x')</script>?u=${__user.email}&q=(1)"
    slo = _slo(alerting=Alerting(runbook=runbook))
    doc = generate_dashboard(_service(slo), POLICIES)
    content = _panel(doc, "About orders-availability")["options"]["content"]
    encoded = (
        "https://rb.example.com/a%20b%22%3E%3Cscript%3Ealert%28%27x%27%29%3C/script%3E"
        "?u=%24%7B__user.email%7D&q=%281%29"
    )
    assert safe_url(runbook) == encoded
    # the link target is percent-encoded, "&" as an entity; the link text is escaped
    assert f"]({encoded.replace('&', '&amp;')})" in content
    for raw in ("<script", "</script>", '"', "'", "${"):
        assert raw not in content
    assert "&lt;script&gt;" in content
    assert _panel(doc, "Burn rate by window")["links"] == [
        {"targetBlank": True, "title": "Runbook", "url": encoded}
    ]


def test_a_runbook_that_is_not_an_http_url_is_shown_as_text_and_never_linked() -> None:
    slo = _slo(alerting=Alerting(runbook="javascript:alert(document.cookie)"))
    doc = generate_dashboard(_service(slo), POLICIES)
    content = _panel(doc, "About orders-availability")["options"]["content"]
    assert "**Runbook** javascript\\:alert\\(document\\.cookie\\)" in content
    assert "](" not in content
    assert "links" not in _panel(doc, "Burn rate by window")
    assert "links" not in _panel(doc, "Alerts")


def test_descriptions_and_owners_render_as_literal_text() -> None:
    slo = _slo(description="# Big *bold* [x](javascript:1) <b>hi</b> $slo\n- item")
    doc = generate_dashboard(_service(slo, owner="<img src=x onerror=alert(1)>"), POLICIES)
    about = _panel(doc, "About orders-availability")["options"]["content"]
    assert (
        "**Description** \\# Big \\*bold\\* \\[x\\]\\(javascript\\:1\\) "
        "&lt;b&gt;hi&lt;/b&gt; &#36;slo \\- item  "
    ) in about
    assert "**Owner** &lt;img src=x onerror=alert\\(1\\)&gt;  " in about
    overview = _panel(doc, "About shop")["options"]["content"]
    assert "<img" not in overview
    assert "| place\\-order | Customer places an order | orders\\-availability |" in overview


def test_the_about_panel_lists_the_alert_rows_with_their_factors() -> None:
    doc = generate_dashboard(_service(_slo(window=RollingWindow(30 * DAY))), POLICIES)
    content = _panel(doc, "About orders-availability")["options"]["content"]
    assert "| page | 1h | 5m | 2% | 14\\.4 |" in content
    assert "| page | 6h | 30m | 5% | 6 |" in content
    assert "| ticket | 1d | 2h | 10% | 3 |" in content
    assert "| ticket | 3d | 6h | 10% | 1 |" in content
    assert "**Objective** 99\\.9% over 30d, error budget 0\\.1%  " in content
    assert "**SLI** good events ÷ all events  " in content


# --- identity, variables, rendering --------------------------------------------------------------


def test_the_uid_is_the_service_name_behind_a_prefix() -> None:
    assert dashboard_uid("checkout") == "sloscope-checkout"
    doc = generate_dashboard(_service(name="checkout"), POLICIES)
    assert doc["uid"] == "sloscope-checkout"
    assert doc["title"] == "SLOs / checkout"
    assert doc["tags"] == ["sloscope", "checkout"]


def test_long_or_dotted_names_get_a_valid_uid_that_keeps_them_apart() -> None:
    long_a = "payments-settlement-reconciliation-service-a"
    long_b = "payments-settlement-reconciliation-service-b"
    uids = [dashboard_uid(n) for n in (long_a, long_b, "api.v2", "api-v2")]
    assert all(UID.match(u) for u in uids), uids
    assert len(set(uids)) == 4
    assert uids[3] == "sloscope-api-v2"
    assert dashboard_uid(long_a) == dashboard_uid(long_a)
    assert dashboard_uid(long_a).startswith("sloscope-payments-settlement-")


def test_queries_go_through_the_datasource_variable_whose_default_can_be_set() -> None:
    doc = generate_dashboard(_service(), POLICIES, datasource_uid="prom-main")
    variables = {v["name"]: v for v in doc["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["datasource"]["current"]["value"] == "prom-main"
    for panel in doc["panels"]:
        if panel["type"] != "row" and panel["type"] != "text":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            for target in panel["targets"]:
                assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    default = generate_dashboard(_service(), POLICIES)
    assert default["templating"]["list"][0]["current"] == {}


def test_the_slo_variable_offers_every_slo_and_filters_the_service_alerts() -> None:
    service = _service(_slo("a"), _slo("b"))
    doc = generate_dashboard(service, POLICIES)
    slo_var = doc["templating"]["list"][1]
    assert (slo_var["name"], slo_var["type"], slo_var["query"]) == ("slo", "custom", "a,b")
    assert slo_var["includeAll"]
    assert slo_var["multi"]
    expr = _panel(doc, "Pending and firing SLO alerts")["targets"][0]["expr"]
    assert f'{conv.LABEL_SLO}=~"$slo"' in expr
    assert f'{conv.LABEL_SERVICE}="shop"' in expr


def test_the_dashboard_has_the_fields_grafana_needs_to_import_it() -> None:
    doc = generate_dashboard(_service(), POLICIES, title_prefix="")
    assert doc["schemaVersion"] == 39
    assert doc["id"] is None
    assert doc["title"] == "shop"
    assert doc["time"] == {"from": "now-7d", "to": "now"}
    assert doc["refresh"] == "1m"
    builtin = doc["annotations"]["list"][0]
    assert builtin["builtIn"] == 1
    assert builtin["type"] == "dashboard"
    assert {p["type"] for p in doc["panels"]} == {"row", "stat", "text", "timeseries", "table"}
    for panel in doc["panels"]:
        if panel["type"] == "row":
            assert panel["gridPos"]["w"] == 24
            assert panel["gridPos"]["h"] == 1
            assert panel["panels"] == []
            assert panel["collapsed"] is False


def test_rendering_is_sorted_indented_json_with_a_trailing_newline() -> None:
    doc = generate_dashboard(_service(), POLICIES)
    text = render_dashboard(doc)
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert text.startswith('{\n  "annotations": {\n')
    assert json.loads(text) == doc
    assert render_dashboard(generate_dashboard(_service(), POLICIES)) == text
    keys = list(json.loads(text))
    assert keys == sorted(keys)


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["checkout", "identity", "search"])
def test_demo_service_dashboards_match_their_golden_files(
    demo_services: dict[str, Service], name: str
) -> None:
    text = render_dashboard(generate_dashboard(demo_services[name], POLICIES))
    check_golden(GOLDEN / f"{name}.json", text)


def test_every_demo_service_has_a_golden_file_and_no_stale_ones_remain(
    demo_services: dict[str, Service],
) -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(
        [*demo_services, "example-grouped-gateway"]
    )


# --- grouped SLOs ------------------------------------------------------------------------------

GROUPED = Path(__file__).resolve().parents[4] / "examples" / "grouped" / "gateway.yaml"


def _gateway() -> Service:
    loaded = load_paths([GROUPED])
    loaded.raise_for_errors()
    (service,) = loaded.services
    return service


def test_the_grouped_example_dashboard_matches_its_golden_file() -> None:
    text = render_dashboard(generate_dashboard(_gateway(), POLICIES))
    check_golden(GOLDEN / "example-grouped-gateway.json", text)


def test_a_grouped_slo_has_a_variable_per_label_and_its_row_repeats_per_route() -> None:
    doc = generate_dashboard(_gateway(), POLICIES)
    variables = {v["name"]: v for v in doc["templating"]["list"]}
    assert list(variables) == ["datasource", "slo", "route", "method"]
    assert variables["route"]["query"]["query"] == (
        'label_values(slo:current_burn_rate:ratio{sloscope_service="gateway"}, route)'
    )
    rows = [p for p in doc["panels"] if p["type"] == "row"]
    assert [(r["title"], r.get("repeat")) for r in rows] == [
        ("gateway: overview", None),
        ('route-availability{route="$route"}: 99.9% over 28d', "route"),
        ('route-latency{route="$route"}: 99% over 28d', "route"),
    ]
    grouped = [e for e in _exprs(doc) if 'sloscope_id="gateway-route-latency"' in e]
    assert grouped
    assert all('route=~"$route", method=~"$method"' in e for e in grouped)


def test_a_group_label_named_like_a_dashboard_variable_gets_its_own_name() -> None:
    service = _service(replace(_slo(), group_by=("slo",)))
    doc = generate_dashboard(service, POLICIES)
    assert [v["name"] for v in doc["templating"]["list"]] == ["datasource", "slo", "group_slo"]
    assert any('slo=~"$group_slo"' in e for e in _exprs(doc))


FAST = AlertPolicy(
    "fast",
    (
        AlertWindow("page", 2, 3600, 60),  # a 1m short window
        AlertWindow("ticket", 10, 86400, 7200),
    ),
)


def _alerting_rows(slo: SLO) -> tuple[list[str], list[str]]:
    """The page rows the rules alert on and the dashboard's burn lines, for ``slo``."""
    service = _service(slo)
    rules = generate_rules([service], {"fast": FAST})
    alerted = [
        r["expr"]
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("alert", "").endswith("Page")
    ]
    doc = generate_dashboard(service, {"fast": FAST})
    return alerted, [str(s) for s in _threshold_steps(_panel(doc, "Burn rate by window"))]


def test_rules_and_dashboard_agree_on_a_short_window_under_5m() -> None:
    """One owner (``plan.row_left_out``) decides: an event SLI's 1h/1m page row alerts in
    the rules and has its line on the dashboard; a 5m-slice SLI's is left out of both."""
    events = _slo(alerting=Alerting(policy="fast"))
    alerted, lines = _alerting_rows(events)
    assert len(alerted) == 1
    assert "ratio_rate1m" in alerted[0]
    assert "('red', 13.44)" in lines  # 2% of 28d in 1h
    content = _panel(
        generate_dashboard(_service(events), {"fast": FAST}), "About orders-availability"
    )
    assert "| page | 1h | 1m | 2% | 13\\.44 |" in content["options"]["content"]

    slices = replace(
        events,
        sli=TimeslicesSLI(indicator=events.sli, slice_seconds=300, target=0.95),  # type: ignore[arg-type]
    )
    alerted, lines = _alerting_rows(slices)
    assert alerted == []
    assert "('red', 13.44)" not in lines
    content = _panel(
        generate_dashboard(_service(slices), {"fast": FAST}), "About orders-availability"
    )
    assert (
        "13\\.44 \\(its short window holds no whole 5m time slice\\)"
        in (content["options"]["content"])
    )
