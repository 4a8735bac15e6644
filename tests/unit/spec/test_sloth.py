"""Sloth import: both spellings of both formats, queries, periods and alerting."""

from __future__ import annotations

from sloscope.spec.load import LoadResult, load_paths, load_text
from sloscope.spec.model import PromQLSLI, RollingWindow, TierAlert

PLAIN = """version: "prometheus/v1"
service: "myservice"
labels: {owner: myteam}
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{ .window }}]))
    alerting:
      name: MyServiceHighErrorRate
      labels: {category: availability}
      annotations:
        runbook: "https://runbooks.example.com/a"
        summary: "High error rate"
"""


def _messages(result: LoadResult, severity: str = "error") -> list[str]:
    return [p.message for p in result.problems if p.severity == severity]


def test_events_queries_become_promql_counting_increase_over_the_window() -> None:
    result = load_text(PLAIN, "s.yml")
    assert result.problems == ()
    service = result.services[0]
    assert (service.name, service.owner, dict(service.labels)) == (
        "myservice",
        "myteam",
        {"owner": "myteam"},
    )
    slo = service.slos[0]
    assert slo.objective == 0.999
    assert slo.window == RollingWindow(30 * 86400)  # Sloth's default period
    assert slo.sli == PromQLSLI(
        bad='sum(increase(http_requests_total{code=~"(5..|429)"}[{{window}}]))',
        total="sum(increase(http_requests_total[{{window}}]))",
    )
    assert slo.alerting.runbook == "https://runbooks.example.com/a"
    # Annotations are kept as written (Sloth's runbook: too), so routes and templates match.
    assert dict(slo.alerting.annotations) == {
        "runbook": "https://runbooks.example.com/a",
        "summary": "High error rate",
    }
    assert dict(slo.alerting.labels) == {
        "sloth_id": "myservice-requests-availability",
        "sloth_service": "myservice",
        "sloth_slo": "requests-availability",
        "category": "availability",
    }


def test_raw_error_ratio_query_in_camel_case_is_read() -> None:
    text = PLAIN.replace(
        """      events:
        error_query: sum(rate(http_requests_total{code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{ .window }}]))""",
        "      raw: {errorRatioQuery: 'avg_over_time(err:ratio[{{.window}}])'}",
    )
    result = load_text(text, "s.yml")
    assert result.errors == ()
    assert result.services[0].slos[0].sli == PromQLSLI(
        error_ratio="avg_over_time(err:ratio[{{window}}])"
    )


def test_slo_period_sets_the_window() -> None:
    result = load_text(PLAIN.replace("labels: {owner", "slo_period: 28d\nlabels: {owner"), "s.yml")
    assert result.services[0].slos[0].window == RollingWindow(28 * 86400)


def test_a_query_without_window_is_an_error_at_the_query() -> None:
    text = PLAIN.replace("[{{ .window }}]", "[5m]")
    assert [str(p) for p in load_text(text, "s.yml").errors] == [
        "s.yml:10:22: error: total_query has no {{.window}}: Sloth queries count events over a "
        "window (hint: write the range as [{{.window}}], e.g. sum(rate(x_total[{{.window}}])))"
    ]


def test_objective_100_is_refused_as_in_native_specs() -> None:
    text = PLAIN.replace("objective: 99.9", "objective: 100")
    assert _messages(load_text(text, "s.yml")) == [
        "objective 100 leaves no error budget: every failed event breaks the SLO"
    ]


def test_kubernetes_crd_with_camel_case_keys() -> None:
    text = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: x, namespace: monitoring}
spec:
  service: home-wifi
  slos:
    - name: satisfaction
      objective: 95
      sli:
        events:
          errorQuery: sum_over_time((count(x < 0.75))[{{.window}}:])
          totalQuery: sum_over_time((count(x))[{{.window}}:])
      alerting:
        pageAlert: {labels: {severity: home}}
        ticketAlert: {disable: true}
"""
    result = load_text(text, "k.yaml")
    assert result.errors == ()
    slo = result.services[0].slos[0]
    assert slo.sli == PromQLSLI(
        bad="sum_over_time((count(x < 0.75))[{{window}}:])",
        total="sum_over_time((count(x))[{{window}}:])",
    )
    # Routing kept per tier: the page's labels, the ticket turned off (no warnings).
    assert _messages(result, "warning") == []
    assert slo.alerting.page == TierAlert(labels={"sloth_severity": "page", "severity": "home"})
    assert slo.alerting.ticket.enabled is False
    assert slo.alerting.enabled is True


def test_both_alerts_disabled_disables_alerting() -> None:
    text = PLAIN + "      page_alert: {disable: true}\n      ticket_alert: {disable: true}\n"
    assert load_text(text, "s.yml").services[0].slos[0].alerting.enabled is False


def test_unknown_keys_are_warnings_not_errors() -> None:
    result = load_text(PLAIN.replace("slos:", "foo: 1\nslos:"), "s.yml")
    assert result.errors == ()
    assert _messages(result, "warning") == ["unknown key 'foo' in a Sloth spec; ignored"]


def test_duplicate_slo_names_are_an_error() -> None:
    text = PLAIN + PLAIN[PLAIN.index("  - name") :]
    assert _messages(load_text(text, "s.yml")) == [
        "duplicate SLO name 'requests-availability' in service 'myservice' (first at line 5)"
    ]


def test_a_sum_by_grouping_makes_a_grouped_slo_by_those_labels_in_written_order() -> None:
    result = load_paths(["tests/specs/migrate/sloth/sum-by.yml"])
    assert result.errors == ()
    (service,) = result.services
    assert [(s.name, s.group_by) for s in service.slos] == [
        ("route-availability", ("route",)),
        ("route-method-latency", ("route", "method")),
        ("tenant-availability", ()),
    ]
    assert not [p for p in result.warnings if "grouping" in p.message]
    assert any("without (...) is read as ungrouped" in p.message for p in result.warnings)


def test_error_and_total_grouped_by_different_labels_is_an_error() -> None:
    result = load_paths(["tests/specs/migrate/sloth/bad/sum-by-mismatch.yml"])
    assert [p.message for p in result.errors] == [
        "error_query groups by (code, route) but the total query by (route); both must group "
        "by the same labels"
    ]
