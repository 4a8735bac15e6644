"""OpenSLO v1 import: how objects, queries, windows and objectives map onto the model."""

from __future__ import annotations

from pathlib import Path

from sloscope.spec.load import LoadResult, load_paths, load_text
from sloscope.spec.model import (
    CalendarWindow,
    LatencySLI,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
)
from sloscope.spec.selectors import Matcher, Selector


def _slo_doc(
    *,
    good: str = 'http_requests_total{code!~"5.."}',
    total: str = "http_requests_total",
    window: str = "[{duration: 28d, isRolling: true}]",
    method: str = "Occurrences",
    objectives: str = "[{target: 0.999}]",
    extra: str = "",
) -> str:
    return f"""apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicator:
    metadata: {{name: api-ok}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{type: Prometheus, spec: {{query: '{good}'}}}}}}
        total: {{metricSource: {{type: Prometheus, spec: {{query: '{total}'}}}}}}
  timeWindow: {window}
  budgetingMethod: {method}
  objectives: {objectives}
{extra}"""


def _load(**kwargs: str) -> LoadResult:
    return load_text(_slo_doc(**kwargs), "o.yaml")


def _messages(result: LoadResult, severity: str = "error") -> list[str]:
    return [p.message for p in result.problems if p.severity == severity]


def test_plain_selector_queries_become_a_ratio_sli() -> None:
    result = _load()
    assert result.problems == ()
    slo = result.services[0].slos[0]
    assert result.services[0].name == "api"
    assert slo.name == "api-availability"
    assert slo.objective == 0.999
    assert slo.window == RollingWindow(28 * 86400)
    assert slo.sli == RatioSLI(
        total=Selector("http_requests_total"),
        good=Selector("http_requests_total", (Matcher("code", "!~", "5.."),)),
    )


def test_rate_queries_become_increase_over_the_window_with_a_warning() -> None:
    result = _load(good="sum(rate(ok_total[5m]))", total="sum(rate(all_total[5m]))")
    assert result.errors == ()
    assert result.services[0].slos[0].sli == PromQLSLI(
        good="sum(increase(ok_total[{{window}}]))", total="sum(increase(all_total[{{window}}]))"
    )
    assert _messages(result, "warning")[0] == (
        "query imported as the PromQL SLI 'sum(increase(ok_total[{{window}}]))' (only a "
        "Prometheus source can answer it)"
    )


def test_a_sum_of_a_selector_is_wrapped_in_increase() -> None:
    result = _load(good='sum by (job) (ok_total{a="b"})')
    sli = result.services[0].slos[0].sli
    assert isinstance(sli, PromQLSLI)
    assert sli.good == 'sum by (job) (increase(ok_total{a="b"}[{{window}}]))'
    # the plain-selector total is counted the same way so good and total agree
    assert sli.total == "sum(increase(http_requests_total[{{window}}]))"


def test_sloth_style_window_templates_are_kept_as_written() -> None:
    result = _load(good="sum(increase(ok_total[{{.window}}]))")
    sli = result.services[0].slos[0].sli
    assert isinstance(sli, PromQLSLI)
    assert sli.good == "sum(increase(ok_total[{{window}}]))"


def test_a_query_that_cannot_count_events_is_an_error_at_the_query() -> None:
    result = _load(good="histogram_quantile(0.99, x)")
    assert [str(p) for p in result.errors] == [
        "o.yaml:12:63: error: cannot tell how to count events over a window from the query "
        "'histogram_quantile(0.99, x)' (hint: write a plain selector such as "
        'http_requests_total{code!~"5.."}, or PromQL with {{window}} such as '
        "sum(increase(http_requests_total[{{window}}])))"
    ]


def test_several_objectives_become_one_slo_each_named_after_the_objective() -> None:
    result = _load(objectives="[{displayName: Internal, target: 0.999}, {targetPercent: 99.5}]")
    assert result.errors == ()
    slos = result.services[0].slos
    assert [(s.name, s.objective) for s in slos] == [
        ("api-availability-internal", 0.999),
        ("api-availability-99-5", 0.995),
    ]
    assert _messages(result, "warning") == [
        "SLO 'api-availability' has 2 objectives; imported as 2 SLOs: "
        "api-availability-internal, api-availability-99-5"
    ]


def test_target_must_be_a_fraction_and_targetpercent_a_percent() -> None:
    assert _messages(_load(objectives="[{target: 99.9}]")) == [
        "target 99.9 is not a fraction below 1"
    ]
    assert _messages(_load(objectives="[{target: 1}]")) == [
        "target 1 leaves no error budget: every failed event breaks the SLO"
    ]
    assert _messages(_load(objectives="[{targetPercent: 100}]")) == [
        "targetPercent 100 leaves no error budget: every failed event breaks the SLO"
    ]


def test_calendar_window_durations_map_to_week_month_quarter() -> None:
    for duration, unit in (("1w", "week"), ("1M", "month"), ("1Q", "quarter")):
        calendar = "{startTime: 2024-01-01 00:00:00, timeZone: Europe/Paris}"
        window = f"[{{duration: {duration}, calendar: {calendar}}}]"
        result = _load(window=window)
        assert result.problems == (), duration
        assert result.services[0].slos[0].window == CalendarWindow(unit, "Europe/Paris")  # type: ignore[arg-type]


def test_a_calendar_start_off_the_boundary_warns_that_it_is_not_used() -> None:
    window = "[{duration: 1M, calendar: {startTime: '2024-01-15 12:00:00', timeZone: UTC}}]"
    assert _messages(_load(window=window), "warning") == [
        "calendar windows start at the start of each month in UTC; startTime 2024-01-15 "
        "12:00:00 is not used"
    ]


def test_a_one_minute_calendar_window_hints_at_a_month() -> None:
    result = _load(window="[{duration: 1m, calendar: {timeZone: UTC}}]")
    assert [str(p) for p in result.errors] == [
        "o.yaml:14:27: error: calendar window '1m' is not supported (hint: did you mean 1M "
        "(a month)? m is minutes)"
    ]


def test_rolling_months_are_read_as_30_days_with_a_warning() -> None:
    result = _load(window="[{duration: 1M, isRolling: true}]")
    assert result.services[0].slos[0].window == RollingWindow(30 * 86400)
    assert _messages(result, "warning") == ["rolling window 1M is read as 30d"]


def test_timeslices_budgeting_builds_a_timeslices_sli() -> None:
    result = _load(
        method="Timeslices",
        objectives="[{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5}]",
    )
    assert result.problems == ()
    sli = result.services[0].slos[0].sli
    assert isinstance(sli, TimeslicesSLI)
    # a bare number is minutes in OpenSLO
    assert (sli.slice_seconds, sli.target) == (300, 0.95)


def test_ratio_timeslices_are_evaluated_as_occurrences_with_a_warning() -> None:
    result = _load(method="RatioTimeslices")
    assert isinstance(result.services[0].slos[0].sli, RatioSLI)
    assert _messages(result, "warning")[0].startswith("RatioTimeslices is evaluated as Occurrences")


def test_histogram_bucket_threshold_metric_becomes_a_latency_sli() -> None:
    text = """apiVersion: openslo/v1
kind: SLO
metadata: {name: api-latency}
spec:
  service: api
  indicator:
    metadata: {name: lat}
    spec:
      thresholdMetric:
        metricSource: {type: Prometheus, spec: {query: 'h_seconds_bucket{job="api"}'}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{op: lte, value: 0.25, targetPercent: 99}]
"""
    result = load_text(text, "o.yaml")
    assert result.errors == ()
    assert result.services[0].slos[0].sli == LatencySLI(
        metric=Selector("h_seconds", (Matcher("job", "=", "api"),)), threshold=0.25
    )


def test_other_threshold_metrics_become_a_breach_ratio() -> None:
    text = """apiVersion: openslo/v1
kind: SLO
metadata: {name: api-p99}
spec:
  service: api
  indicator:
    metadata: {name: p99}
    spec:
      thresholdMetric:
        metricSource: {type: Prometheus, spec: {query: 'p99_seconds'}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{op: lt, value: 0.5, target: 0.99}]
"""
    result = load_text(text, "o.yaml")
    assert result.services[0].slos[0].sli == PromQLSLI(
        error_ratio="avg_over_time(((p99_seconds) >= bool 0.5)[{{window}}:])"
    )


def test_raw_ratio_becomes_an_error_ratio() -> None:
    text = """apiVersion: openslo/v1
kind: SLI
metadata: {name: ok-ratio}
spec:
  ratioMetric:
    rawType: success
    raw: {metricSource: {type: Prometheus, spec: {query: 'job:success:ratio'}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: api-ok}
spec:
  service: api
  indicatorRef: ok-ratio
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  timeWindow: [{duration: 7d, isRolling: true}]
"""
    result = load_text(text, "o.yaml")
    assert result.errors == ()
    assert result.services[0].slos[0].sli == PromQLSLI(
        error_ratio="1 - (avg_over_time(job:success:ratio[{{window}}]))"
    )


def test_references_resolve_across_files_and_alert_targets_become_a_label(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        _slo_doc(extra="  alertPolicies: [{alertPolicyRef: oncall}]\n").replace(
            "  indicator:\n    metadata: {name: api-ok}\n", "  indicatorRef: api-ok\n  unused:\n"
        )
    )
    (tmp_path / "b.yaml").write_text(
        """apiVersion: openslo/v1
kind: SLI
metadata: {name: api-ok}
spec:
  ratioMetric:
    bad: {metricSource: {type: Prometheus, spec: {query: err_total}}}
    total: {metricSource: {type: Prometheus, spec: {query: all_total}}}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: oncall, annotations: {runbook: 'https://rb'}}
spec:
  notificationTargets:
    - targetRef: pager
    - {kind: AlertNotificationTarget, metadata: {name: slack}, spec: {target: slack}}
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: pager}
spec: {target: pagerduty}
"""
    )
    result = load_paths([tmp_path])
    # the SLO's own indicator spec (now under "unused") is not read: indicatorRef wins
    assert result.errors == ()
    slo = result.services[0].slos[0]
    assert slo.sli == RatioSLI(total=Selector("all_total"), bad=Selector("err_total"))
    assert slo.alerting.labels == {"notification_target": "pager,slack"}
    assert slo.alerting.runbook == "https://rb"


def test_an_unresolved_alert_policy_ref_is_an_error_at_the_ref() -> None:
    result = _load(extra="  alertPolicies: [{alertPolicyRef: nope}]\n")
    assert [str(p) for p in result.errors] == [
        "o.yaml:17:36: error: AlertPolicy 'nope' is not defined in any loaded file (hint: add "
        "a document with kind: AlertPolicy and metadata.name: nope, and pass its file too)"
    ]


def test_a_service_document_gives_the_description_and_owner() -> None:
    service = """apiVersion: openslo/v1
kind: Service
metadata: {name: api, labels: {owner: team-api}}
spec: {description: The public API}
---
"""
    result = load_text(service + _slo_doc(), "o.yaml")
    assert result.errors == ()
    assert (result.services[0].description, result.services[0].owner) == (
        "The public API",
        "team-api",
    )


def test_non_prometheus_sources_are_refused() -> None:
    text = _slo_doc().replace(
        "type: Prometheus, spec: {query: 'http_requests_total'}",
        "type: Datadog, spec: {query: 'sum:x{*}'}",
    )
    result = load_text(text, "o.yaml")
    assert _messages(result) == ["metric source type 'Datadog' is not supported"]


def test_query_outside_spec_query_is_read_with_a_warning() -> None:
    text = _slo_doc().replace(
        "spec: {query: 'http_requests_total'}", "spec: {promql: 'http_requests_total'}"
    )
    result = load_text(text, "o.yaml")
    assert result.errors == ()
    assert _messages(result, "warning") == ["query read from metricSource.spec.promql"]


def test_notification_and_data_source_kinds_load_without_problems() -> None:
    text = """apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: pager}
spec: {target: pagerduty}
---
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: Prometheus, connectionDetails: {url: 'http://p:9090'}}
"""
    result = load_text(text, "o.yaml")
    assert result.problems == ()
    assert result.services == ()


def test_duplicate_object_names_are_an_error() -> None:
    result = load_text(_slo_doc() + "---\n" + _slo_doc(), "o.yaml")
    assert _messages(result) == ["SLO 'api-availability' is already defined in o.yaml at line 1"]
