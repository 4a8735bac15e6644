"""OpenSLO v1 import: how objects, queries, windows and objectives map onto the model."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sloscope.generate.openslo import generate_openslo, render_openslo
from sloscope.spec.load import LoadResult, load_paths, load_text
from sloscope.spec.model import (
    SLO,
    Alerting,
    CalendarWindow,
    Journey,
    LatencySLI,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
    Service,
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
    annotations: str = "",
) -> str:
    notes = "".join(f"    {line}\n" for line in annotations.splitlines())
    return f"""apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
{"  annotations:" + chr(10) + notes if notes else ""}spec:
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


def test_an_unresolved_alert_policy_ref_is_a_warning_at_the_ref_and_the_slo_loads() -> None:
    result = _load(extra="  alertPolicies: [{alertPolicyRef: nope}]\n")
    assert result.errors == ()
    assert [str(p) for p in result.warnings] == [
        "o.yaml:17:36: warning: AlertPolicy 'nope' is not defined in the loaded files; not "
        "needed: sloscope alerts with its own burn-rate policy (default 'google') (hint: pass "
        "the file that defines AlertPolicy 'nope' to use it)"
    ]
    assert len(result.services[0].slos) == 1


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


def test_a_label_value_that_holds_the_window_template_is_still_a_selector() -> None:
    result = _load(good='http_requests_total{path="{{window}}"}')
    assert result.problems == ()
    assert result.services[0].slos[0].sli == RatioSLI(
        total=Selector("http_requests_total"),
        good=Selector("http_requests_total", (Matcher("path", "=", "{{window}}"),)),
    )


# --- sloscope.dev/ annotations (what `sloscope generate openslo` writes) ------------------

_SERVICE = """apiVersion: openslo/v1
kind: Service
metadata:
  name: api
  annotations:
    sloscope.dev/journeys: '[{"name":"browse","description":"Look around"},{"name":"buy"}]'
---
"""


def _latency_doc(
    annotations: str, objectives: str = "[{op: lte, value: 0.3, target: 0.99}]"
) -> str:
    notes = "".join(f"    {line}\n" for line in annotations.splitlines())
    return f"""apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
  annotations:
{notes}spec:
  service: api
  indicator:
    metadata: {{name: lat}}
    spec:
      thresholdMetric:
        metricSource: {{type: Prometheus, spec: {{query: 'h_seconds_bucket'}}}}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: {objectives}
"""


def _errors(result: LoadResult) -> list[str]:
    return [str(p) for p in result.errors]


def test_every_sloscope_annotation_of_an_slo_is_read_back() -> None:
    annotations = """sloscope.dev/name: availability
sloscope.dev/journey: buy
sloscope.dev/budget-policy: freeze-early
sloscope.dev/alert-policy: strict
sloscope.dev/alerting-enabled: 'false'
sloscope.dev/alert-labels: '{"team":"payments","tier":"1"}'
sloscope.dev/alert-annotations: '{"summary":"Orders fail"}'
sloscope.dev/runbook: https://rb.example.com/a
sloscope.dev/dashboard: https://grafana.example.com/d/a"""
    result = load_text(_SERVICE + _slo_doc(annotations=annotations), "o.yaml")
    assert result.problems == ()
    service = result.services[0]
    assert service.journeys == (Journey("browse", "Look around"), Journey("buy"))
    assert service.slos == (
        SLO(
            name="availability",
            objective=0.999,
            window=RollingWindow(28 * 86400),
            sli=RatioSLI(
                total=Selector("http_requests_total"),
                good=Selector("http_requests_total", (Matcher("code", "!~", "5.."),)),
            ),
            journey="buy",
            alerting=Alerting(
                runbook="https://rb.example.com/a",
                dashboard="https://grafana.example.com/d/a",
                policy="strict",
                enabled=False,
                labels={"team": "payments", "tier": "1"},
                annotations={"summary": "Orders fail"},
            ),
            budget_policy="freeze-early",
        ),
    )


def test_buckets_are_read_onto_a_latency_sli_and_a_yaml_boolean_enables_alerting() -> None:
    result = load_text(
        _latency_doc("sloscope.dev/buckets: '[0.1,0.3,1]'\nsloscope.dev/alerting-enabled: true"),
        "o.yaml",
    )
    assert result.errors == ()
    slo = result.services[0].slos[0]
    assert slo.sli == LatencySLI(
        metric=Selector("h_seconds"), threshold=0.3, buckets=(0.1, 0.3, 1.0)
    )
    assert slo.alerting.enabled is True


def test_buckets_over_time_slices_of_latency_are_read_too() -> None:
    text = _latency_doc(
        "sloscope.dev/buckets: '[0.25,0.5]'",
        "[{op: lte, value: 0.5, target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 1m}]",
    ).replace("Occurrences", "Timeslices")
    sli = load_text(text, "o.yaml").services[0].slos[0].sli
    assert sli == TimeslicesSLI(
        LatencySLI(metric=Selector("h_seconds"), threshold=0.5, buckets=(0.25, 0.5)), 60, 0.9
    )


def test_a_threshold_that_is_not_a_bucket_is_an_error_at_the_buckets_annotation() -> None:
    result = load_text(_latency_doc("sloscope.dev/buckets: '[0.1,0.25,1]'"), "o.yaml")
    assert _errors(result) == [
        "o.yaml:6:27: error: the objective value 0.3 (seconds) of spec.objectives[0] is not "
        "one of the buckets in sloscope.dev/buckets (0.1, 0.25, 1) (hint: a latency SLI "
        "counts the le=threshold bucket; pick a bucket boundary or add it to the histogram)"
    ]
    assert result.services[0].slos == ()


def test_bad_json_is_an_error_at_the_character_where_it_goes_wrong() -> None:
    result = load_text(_latency_doc("sloscope.dev/buckets: '[0.1,0.3,]'"), "o.yaml")
    # The value starts at column 27 with its quote; ']' is the JSON's 10th character.
    assert _errors(result) == [
        "o.yaml:6:37: error: sloscope.dev/buckets is not valid JSON: Expecting value (at "
        "character 10) (hint: write JSON, e.g. [0.1,0.3,1] (in quotes, so YAML keeps it a "
        "string))"
    ]
    assert result.services[0].slos == ()


def test_buckets_must_be_positive_increasing_numbers() -> None:
    for value, message in (
        (
            "'[0.3,0.1]'",
            "sloscope.dev/buckets: buckets must be positive and increasing, each "
            "once, got '[0.3,0.1]'",
        ),
        (
            "'[0,0.3]'",
            "sloscope.dev/buckets: buckets must be positive and increasing, each "
            "once, got '[0,0.3]'",
        ),
        (
            "'[0.3,0.3]'",
            "sloscope.dev/buckets: buckets must be positive and increasing, each "
            "once, got '[0.3,0.3]'",
        ),
        (
            "'[NaN]'",
            "sloscope.dev/buckets: buckets must be positive and increasing, each once, got '[NaN]'",
        ),
        ("'[true]'", "sloscope.dev/buckets must be a JSON list of numbers (seconds), got '[true]'"),
        (
            "'{\"a\":1}'",
            "sloscope.dev/buckets must be a JSON list of numbers (seconds), got '{\"a\":1}'",
        ),
        ("'[]'", "sloscope.dev/buckets must be a JSON list of numbers (seconds), got '[]'"),
    ):
        result = load_text(_latency_doc(f"sloscope.dev/buckets: {value}"), "o.yaml")
        assert _messages(result) == [message], value


def test_buckets_on_an_sli_that_is_not_latency_warn_once_and_are_ignored() -> None:
    result = _load(
        objectives="[{target: 0.99}, {target: 0.999}]",
        annotations="sloscope.dev/buckets: '[0.1]'",
    )
    assert result.errors == ()
    assert [str(p) for p in result.warnings if "buckets" in p.message] == [
        "o.yaml:6:27: warning: sloscope.dev/buckets is only used with a latency SLI (a "
        "thresholdMetric on a histogram's _bucket series with op lte or lt); ignored"
    ]
    assert len(result.services[0].slos) == 2


def test_policies_must_be_names_and_enabled_a_boolean() -> None:
    result = _load(
        annotations="sloscope.dev/budget-policy: ' strict'\n"
        "sloscope.dev/alert-policy: ''\n"
        "sloscope.dev/alerting-enabled: maybe"
    )
    assert _errors(result) == [
        "o.yaml:6:33: error: sloscope.dev/budget-policy must be the name of a budget policy, "
        "got ' strict' (hint: write the name of a budget policy of sloscope.yaml (no spaces "
        "around it), e.g. default)",
        "o.yaml:7:32: error: sloscope.dev/alert-policy must be the name of an alert policy, "
        "got '' (hint: write the name of an alert policy of sloscope.yaml (no spaces around "
        "it), e.g. google)",
        "o.yaml:8:36: error: sloscope.dev/alerting-enabled must be true or false, got 'maybe' "
        "(hint: false keeps the SLO in reports and gates but generates no alerts)",
    ]
    assert result.services[0].slos == ()


def test_alert_labels_and_annotations_are_json_objects_of_strings() -> None:
    result = _load(
        annotations="""sloscope.dev/alert-labels: '{"tier":1}'
sloscope.dev/alert-annotations: '{"a":"x","a":"y"}'"""
    )
    assert _messages(result) == [
        "sloscope.dev/alert-labels must be a JSON object of strings, got '{\"tier\":1}'",
        "sloscope.dev/alert-annotations gives the key 'a' twice",
    ]


def test_an_annotation_that_is_not_a_string_is_an_error() -> None:
    result = _load(annotations="sloscope.dev/alert-labels: {team: payments}")
    assert _errors(result) == [
        "o.yaml:6:32: error: annotation 'sloscope.dev/alert-labels' must be a string (hint: "
        "OpenSLO annotations are strings; write structured values as JSON in quotes, e.g. "
        "'[0.1,0.3,1]')"
    ]


def test_names_and_journeys_in_annotations_must_be_valid_names() -> None:
    result = _load(annotations="sloscope.dev/name: 'a b'\nsloscope.dev/journey: -x")
    assert _messages(result) == [
        "SLO name 'a b' is not a valid name",
        "journey name '-x' is not a valid name",
    ]


def test_sloscope_annotations_combine_with_alert_policies() -> None:
    policy = """---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: oncall, annotations: {runbook: 'https://policy-rb', summary: from policy}}
spec:
  alertWhenBreaching: false
  notificationTargets: [{targetRef: pager}]
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: pager}
spec: {target: pagerduty}
"""
    annotations = """sloscope.dev/alerting-enabled: 'true'
sloscope.dev/alert-labels: '{"team":"a","notification_target":"slack"}'
sloscope.dev/alert-annotations: '{"summary":"explicit"}'"""
    text = _slo_doc(extra="  alertPolicies: [{alertPolicyRef: oncall}]\n", annotations=annotations)
    result = load_text(text + policy, "o.yaml")
    assert result.errors == ()
    assert result.services[0].slos[0].alerting == Alerting(
        runbook="https://policy-rb",
        enabled=False,  # the policy's alertWhenBreaching: false still disables alerts
        labels={"team": "a", "notification_target": "pager,slack"},
        annotations={"summary": "explicit"},  # the SLO's own annotation wins
    )


def test_the_sloscope_runbook_wins_over_other_runbook_annotations_which_still_work() -> None:
    both = _load(annotations="example.com/runbook_url: https://a\nsloscope.dev/runbook: https://b")
    assert both.services[0].slos[0].alerting.runbook == "https://b"
    other = _load(annotations="example.com/runbook_url: https://a\nnote: 1")
    assert other.problems == ()
    assert other.services[0].slos[0].alerting == Alerting(runbook="https://a")


def test_an_unknown_sloscope_annotation_is_a_warning_not_an_error() -> None:
    result = _load(annotations="sloscope.dev/jouney: buy\nsloscope.dev/journeys: '[]'")
    assert result.errors == ()
    assert [str(p) for p in result.warnings] == [
        "o.yaml:6:5: warning: unknown annotation 'sloscope.dev/jouney'; sloscope does not "
        "read it (did you mean 'sloscope.dev/journey'?) (hint: sloscope reads on an SLO: "
        "sloscope.dev/name, sloscope.dev/journey, sloscope.dev/buckets, "
        "sloscope.dev/latency-threshold, sloscope.dev/promql, sloscope.dev/budget-policy, "
        "sloscope.dev/alert-policy, sloscope.dev/alerting-enabled, "
        "sloscope.dev/alert-labels, sloscope.dev/alert-annotations, sloscope.dev/alert-name, "
        "sloscope.dev/page-alert, sloscope.dev/ticket-alert, sloscope.dev/runbook, "
        "sloscope.dev/dashboard, sloscope.dev/group-by)",
        "o.yaml:7:5: warning: sloscope.dev/journeys is read on an OpenSLO Service, not on an "
        "SLO; ignored (hint: move it to the Service's metadata.annotations)",
    ]
    assert len(result.services[0].slos) == 1


def test_a_journey_that_the_service_does_not_declare_is_an_error_at_the_annotation() -> None:
    result = load_text(_SERVICE + _slo_doc(annotations="sloscope.dev/journey: pay"), "o.yaml")
    assert _errors(result) == [
        "o.yaml:13:27: error: journey 'pay' is not declared in service 'api' (hint: declared "
        "journeys: browse, buy)"
    ]
    assert result.services[0].slos == ()
    alone = _load(annotations="sloscope.dev/journey: pay")
    assert _errors(alone) == [
        "o.yaml:6:27: error: journey 'pay' is not declared in service 'api' (hint: declare it "
        "in the sloscope.dev/journeys annotation of an OpenSLO Service named api, e.g. "
        '\'[{"name":"pay"}]\')'
    ]


def test_service_journeys_must_be_a_list_of_named_journeys() -> None:
    for value, message in (
        ("'{}'", "sloscope.dev/journeys must be a JSON list of journeys, got '{}'"),
        (
            '\'[{"title":"x"}]\'',
            "sloscope.dev/journeys item 1 must be an object with a name, got {'title': 'x'}",
        ),
        ('\'[{"name":"x","kpi":1}]\'', "sloscope.dev/journeys item 1 has unknown keys kpi"),
        (
            '\'[{"name":"x","description":2}]\'',
            "sloscope.dev/journeys item 1: description must be a string",
        ),
        ('\'[{"name":"x"},{"name":"x"}]\'', "sloscope.dev/journeys: duplicate journey name 'x'"),
        ('\'[{"name":"a b"}]\'', "journey name 'a b' is not a valid name"),
    ):
        service = _SERVICE.replace(
            """'[{"name":"browse","description":"Look around"},{"name":"buy"}]'""", value
        )
        result = load_text(service + _slo_doc(annotations="sloscope.dev/journey: buy"), "o.yaml")
        # Journeys that are invalid leave the SLO's journey unchecked: one error, at them.
        assert [str(p).split(": error: ")[1].split(" (hint")[0] for p in result.errors] == [
            message
        ], value
        assert [p.line for p in result.errors] == [6], value


def test_the_owner_annotation_wins_over_the_owner_and_team_labels() -> None:
    def owner(annotation: str) -> str:
        service = f"""apiVersion: openslo/v1
kind: Service
metadata:
  name: api
  labels: {{owner: team-label, team: t}}
  annotations: {{{annotation}}}
---
"""
        result = load_text(service + _slo_doc(), "o.yaml")
        assert result.problems == ()
        return result.services[0].owner

    assert owner("") == "team-label"
    assert owner("sloscope.dev/owner: team-api") == "team-api"
    assert owner("sloscope.dev/owner: ''") == ""


def test_an_original_name_that_clashes_in_its_service_is_an_error_at_the_annotation() -> None:
    second = _slo_doc(annotations="sloscope.dev/name: api-availability").replace(
        "name: api-availability\n  annotations", "name: other\n  annotations"
    )
    result = load_text(_slo_doc() + "---\n" + second, "o.yaml")
    assert _errors(result) == [
        "o.yaml:23:24: error: duplicate SLO name 'api-availability' in service 'api' (hint: "
        "change or remove sloscope.dev/name, which names the SLO in sloscope)"
    ]


# Text YAML and JSON both carry: no control characters but tab and newline, no surrogates.
_ANY_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n"), max_size=20
)
_NAMES = st.from_regex(r"\A[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?\Z")


@settings(max_examples=100, deadline=None)
@given(
    journeys=st.lists(
        st.tuples(_NAMES, _ANY_TEXT), min_size=1, max_size=3, unique_by=lambda j: j[0]
    ),
    buckets=st.lists(
        st.floats(min_value=1e-6, max_value=1e6, allow_nan=False),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    policy=_NAMES,
    enabled=st.booleans(),
    labels=st.dictionaries(_ANY_TEXT.filter(bool), _ANY_TEXT, max_size=3),
    notes=st.dictionaries(_ANY_TEXT.filter(bool), _ANY_TEXT, max_size=3),
)
def test_exported_sloscope_annotations_read_back_unchanged(
    journeys: list[tuple[str, str]],
    buckets: list[float],
    policy: str,
    enabled: bool,
    labels: dict[str, str],
    notes: dict[str, str],
) -> None:
    """Whatever the exporter writes into sloscope.dev/ annotations, the import reads back."""
    # Rounding can merge two drawn buckets; a histogram has each boundary once.
    ordered = tuple(sorted({float(f"{b:.12g}") for b in buckets}))
    slo = SLO(
        name="latency",
        objective=0.99,
        window=RollingWindow(28 * 86400),
        sli=LatencySLI(Selector("h_seconds"), threshold=ordered[0], buckets=ordered),
        journey=journeys[-1][0],
        alerting=Alerting(
            runbook="https://rb", policy=policy, enabled=enabled, labels=labels, annotations=notes
        ),
        budget_policy=policy,
    )
    service = Service(
        name="api",
        slos=(slo,),
        journeys=tuple(Journey(name, description) for name, description in journeys),
    )
    back = load_text(render_openslo(generate_openslo([service])), "exported.yaml")
    assert back.errors == ()
    assert back.services == (service,)


def test_objective_keys_the_sli_or_method_does_not_use_are_warned_about_at_the_key() -> None:
    result = _load(objectives="[{target: 0.999, op: lte, timeSliceWindow: 1m}]")
    assert result.errors == ()
    assert [str(p) for p in result.warnings] == [
        "o.yaml:16:32: warning: objective op is only used with thresholdMetric; ignored",
        "o.yaml:16:41: warning: timeSliceWindow is only used with budgetingMethod Timeslices; "
        "ignored",
    ]
