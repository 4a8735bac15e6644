"""Native sloscope/v1 specs: conversion to the plain model, and what is refused where."""

from __future__ import annotations

import pytest

from sloscope.spec.load import LoadResult, load_text
from sloscope.spec.model import (
    SLO,
    CalendarWindow,
    LatencySLI,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
    TimeslicesSLI,
)
from sloscope.spec.native.documents import native_json_schema
from sloscope.spec.selectors import Matcher, Selector

HEAD = "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: checkout}\nspec:\n  slos:\n"
# The SLO starts on line 6; its keys are indented by 6 spaces.


def _slo_text(**overrides: str) -> str:
    fields = {
        "name": "availability",
        "objective": "99.9",
        "window": "28d",
        "sli": "{ratio: {good: ok_total, total: all_total}}",
    }
    fields.update(overrides)
    lines = [f"    - name: {fields.pop('name')}"]
    lines += [f"      {key}: {value}" for key, value in fields.items()]
    return HEAD + "\n".join(lines) + "\n"


def _load(**overrides: str) -> LoadResult:
    return load_text(_slo_text(**overrides), "s.yaml")


def _slo(**overrides: str) -> SLO:
    result = _load(**overrides)
    assert result.errors == (), [str(p) for p in result.errors]
    return result.services[0].slos[0]


def _errors(**overrides: str) -> list[str]:
    return [str(p) for p in _load(**overrides).errors]


@pytest.mark.parametrize(
    ("written", "fraction"),
    [
        ("99.9", 0.999),
        ("99", 0.99),
        ("99.95", 0.9995),
        ("99.99", 0.9999),
        ("99.9999", 0.999999),
        ("95", 0.95),
        ("99.999", 0.99999),
        ("50", 0.5),
    ],
)
def test_objective_percent_becomes_a_fraction_rounded_to_12_digits(
    written: str, fraction: float
) -> None:
    # 99.9 / 100 is 0.9990000000000001 in floats; the model holds 0.999 exactly.
    assert _slo(objective=written).objective == fraction


def test_six_nines_is_allowed_and_seven_is_not() -> None:
    assert _slo(objective="99.9999").objective == 0.999999
    assert _errors(objective="99.99995") == [
        "s.yaml:7:18: error: objective 99.99995 has too many nines: its error budget "
        "(5e-05%) is below one in a million events (hint: sloscope supports objectives up to "
        "99.9999% (six nines); few services can measure even that)"
    ]


def test_an_objective_below_one_percent_warns_that_it_looks_like_a_fraction() -> None:
    result = _load(objective="0.999")
    assert result.errors == ()
    assert [str(w) for w in result.warnings] == [
        "s.yaml:7:18: warning: objective 0.999 means 0.999% of events good; objectives are "
        "percents (hint: did you mean 99.9?)"
    ]


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("28d", 28 * 86400),
        ("30d", 30 * 86400),
        ("4w", 28 * 86400),
        ("1d", 86400),
        ("2w", 14 * 86400),
        ("366d", 366 * 86400),
    ],
)
def test_rolling_windows_are_whole_days_or_weeks(written: str, seconds: int) -> None:
    assert _slo(window=written).window == RollingWindow(seconds)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("28x", "unknown unit 'x' in window '28x'"),
        ("28h", "window '28h' is shorter than a day"),
        ("90m", "window '90m' is shorter than a day"),
        ("0d", "window '0d' must be longer than zero"),
        ("367d", "window '367d' is longer than a year"),
        ("53w", "window '53w' is longer than a year"),
        ("d", "window 'd' is not a duration"),
        ("month", "window 'month' is a calendar unit"),
    ],
)
def test_bad_rolling_windows_are_errors_at_the_window(written: str, message: str) -> None:
    errors = _errors(window=written)
    assert len(errors) == 1
    assert errors[0].startswith(f"s.yaml:8:15: error: {message}")


def test_calendar_windows_default_to_utc() -> None:
    assert _slo(window="{calendar: month}").window == CalendarWindow("month", "UTC")
    assert _slo(window="{calendar: week, timezone: Asia/Tokyo}").window == CalendarWindow(
        "week", "Asia/Tokyo"
    )
    assert _slo(window="{calendar: quarter}").window.nominal_seconds == 90 * 86400


def test_unknown_calendar_unit_is_an_error_at_the_unit() -> None:
    assert _errors(window="{calendar: year}") == [
        "s.yaml:8:26: error: unknown calendar window 'year' (hint: use one of week, month, quarter)"
    ]


def test_selector_error_column_points_into_a_plain_scalar() -> None:
    text = HEAD + (
        "    - name: a\n      objective: 99\n      window: 28d\n      sli:\n        ratio:\n"
        "          total: all_total\n          good: ok_total{code=5}\n"
    )
    # "ok_total{code=5}" starts at column 17; the parser fails at "5", its 15th character.
    errors = [str(p) for p in load_text(text, "s.yaml").errors]
    assert errors == [
        "s.yaml:12:31: error: invalid good selector 'ok_total{code=5}': expected a quoted "
        'label value (hint: quote values: label="value")'
    ]


def test_selector_error_column_skips_the_opening_quote() -> None:
    # `      sli: {ratio: {good: 'ok_total{code=5}', ...`: the quote is column 27
    errors = _errors(sli="{ratio: {good: 'ok_total{code=5}', total: all_total}}")
    assert errors[0].startswith("s.yaml:9:42: error: invalid good selector")


def test_selector_error_column_in_a_double_quoted_scalar_counts_escapes() -> None:
    errors = _errors(sli='{ratio: {good: "ok{a=\\"1\\" b=\\"2\\"}", total: all_total}}')
    # the quote is column 27; "b" is the value's 10th character but the source's 12th
    assert errors[0].startswith('s.yaml:9:39: error: invalid good selector \'ok{a="1" b="2"}\'')


def test_selector_error_in_a_block_scalar_points_at_the_scalar() -> None:
    text = HEAD + (
        "    - name: a\n      objective: 99\n      window: 28d\n      sli:\n        ratio:\n"
        "          total: all_total\n          good: >-\n            ok_total{code=5}\n"
    )
    errors = [str(p) for p in load_text(text, "s.yaml").errors]
    assert errors[0].startswith("s.yaml:12:17: error: invalid good selector")


def test_ratio_sli_with_good_or_bad_selectors() -> None:
    good = _slo(sli="{ratio: {good: 'ok_total{code!~\"5..\"}', total: all_total}}").sli
    assert good == RatioSLI(
        total=Selector("all_total"), good=Selector("ok_total", (Matcher("code", "!~", "5.."),))
    )
    bad = _slo(sli="{ratio: {bad: err_total, total: all_total}}").sli
    assert bad == RatioSLI(total=Selector("all_total"), bad=Selector("err_total"))


def test_ratio_sli_needs_exactly_one_of_good_and_bad() -> None:
    assert _errors(sli="{ratio: {good: a, bad: b, total: c}}") == [
        "s.yaml:9:20: error: a ratio SLI needs exactly one of good and bad, found both "
        "(hint: give good (or bad) and total selectors)"
    ]


def test_latency_sli_threshold_in_seconds_and_buckets() -> None:
    sli = _slo(
        sli="{latency: {metric: 'h_seconds{r=\"/x\"}', threshold: 300ms, buckets: [0.1, 0.3]}}"
    ).sli
    assert sli == LatencySLI(
        metric=Selector("h_seconds", (Matcher("r", "=", "/x"),)), threshold=0.3, buckets=(0.1, 0.3)
    )
    assert _slo(sli="{latency: {metric: h, threshold: 1.5}}").sli == LatencySLI(Selector("h"), 1.5)


def test_latency_metric_must_be_the_histogram_base_name() -> None:
    errors = _errors(sli="{latency: {metric: h_bucket, threshold: 1}}")
    assert errors[0].startswith(
        "s.yaml:9:31: error: latency metric 'h_bucket' ends in _bucket; give the histogram's "
        "base name (hint: write h: sloscope adds _bucket and _count itself)"
    )


def test_buckets_must_increase() -> None:
    errors = _errors(sli="{latency: {metric: h, threshold: 1, buckets: [1, 0.5]}}")
    assert errors[0].startswith("s.yaml:9:57: error: buckets must be positive and increasing")


def test_timeslices_sli_target_is_a_percent_and_slice_a_duration() -> None:
    sli = _slo(sli="{timeslices: {slice: 5m, target: 95, ratio: {good: a, total: b}}}").sli
    assert sli == TimeslicesSLI(
        indicator=RatioSLI(total=Selector("b"), good=Selector("a")), slice_seconds=300, target=0.95
    )
    strict = _slo(sli="{timeslices: {slice: 1m, target: 100, latency: {metric: h, threshold: 1}}}")
    assert strict.sli == TimeslicesSLI(LatencySLI(Selector("h"), 1.0), 60, 1.0)


def test_promql_sli_keeps_window_template_and_warns_without_it() -> None:
    assert _slo(sli="{promql: {error_ratio: 'x[{{window}}]'}}").sli == PromQLSLI(
        error_ratio="x[{{window}}]"
    )
    result = _load(sli="{promql: {good: g, total: t}}")
    assert result.errors == ()
    assert len(result.warnings) == 2
    assert "has no {{window}}" in result.warnings[0].message


def test_promql_with_sloths_template_is_an_error_with_the_fix() -> None:
    errors = _errors(sli="{promql: {error_ratio: 'x[{{.window}}]'}}")
    assert errors[0].endswith("(hint: replace {{.window}} with {{window}})")


def test_sli_needs_exactly_one_kind() -> None:
    assert _errors(sli="{}") == [
        "s.yaml:9:12: error: an sli needs one of ratio, latency, timeslices, promql "
        "(hint: see the spec section of the docs)"
    ]
    two = _errors(sli="{ratio: {good: a, total: b}, promql: {error_ratio: x}}")
    assert "found ratio, promql" in two[0]


def test_alerting_and_labels_are_carried_over() -> None:
    slo = _slo(alerting="{runbook: 'https://rb', policy: fast, enabled: false, labels: {a: b}}")
    assert slo.alerting.runbook == "https://rb"
    assert slo.alerting.policy == "fast"
    assert slo.alerting.enabled is False
    assert slo.alerting.labels == {"a": "b"}
    assert slo.origin is not None
    assert (slo.origin.file, slo.origin.line) == ("s.yaml", 6)


def test_wrong_types_are_errors_at_the_value() -> None:
    assert _errors(objective="high") == [
        "s.yaml:7:18: error: spec.slos[0].objective: input should be a valid number, unable to "
        "parse string as a number, got 'high' (hint: a percent such as 99.9)"
    ]


def test_invalid_names_are_refused() -> None:
    errors = _errors(name="'bad name'")
    assert errors[0].startswith("s.yaml:6:13: error: SLO name 'bad name' is not a valid name")


def test_shape_errors_do_not_hide_problems_of_other_slos() -> None:
    text = HEAD + (
        "    - name: a\n      objectiv: 99\n      window: 28d\n"
        "      sli: {ratio: {good: a, total: b}}\n"
        "    - name: b\n      objective: 100\n      window: 28d\n"
        "      sli: {ratio: {good: a, total: b}}\n"
    )
    errors = [str(p).split(": error: ")[1][:40] for p in load_text(text, "s.yaml").errors]
    assert errors == [
        "missing required key 'objective' in spec",
        "unknown key 'objectiv' in spec.slos[0] (",
        "objective 100 leaves no error budget: ev",
    ]


def test_slos_that_are_not_a_list_are_one_error_at_the_value_not_a_crash() -> None:
    text = "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: a}\nspec:\n  slos: notalist\n"
    assert [str(p) for p in load_text(text, "s.yaml").problems] == [
        "s.yaml:5:9: error: spec.slos: input should be a valid list, got 'notalist' "
        "(hint: a list of SLOs, each with name, objective, window and sli)"
    ]


def test_json_schema_describes_the_document_and_forbids_unknown_keys() -> None:
    schema = native_json_schema()
    assert schema["title"] == "sloscope/v1 Service"
    assert set(schema["required"]) == {"apiVersion", "kind", "metadata", "spec"}
    slo = schema["$defs"]["SLODoc"]
    assert slo["additionalProperties"] is False
    assert set(slo["required"]) == {"name", "objective", "window", "sli"}


# --- group_by ----------------------------------------------------------------------------


def test_group_by_lists_the_labels_of_a_grouped_slo_in_written_order() -> None:
    assert _slo(group_by="[route, method]").group_by == ("route", "method")
    assert _slo().group_by == ()


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("[2xx]", "s.yaml:10:18: error: group_by label '2xx' is not a valid Prometheus label name"),
        ("[le]", "s.yaml:10:18: error: group_by label 'le' is a histogram's bucket boundary"),
        (
            "[route, sloscope_slo]",
            "s.yaml:10:25: error: group_by label 'sloscope_slo' is reserved for the generated",
        ),
        ("[__name__]", "s.yaml:10:18: error: group_by label '__name__' is reserved"),
        ("[route, route]", "s.yaml:10:25: error: group_by lists 'route' twice"),
    ],
)
def test_a_group_by_label_the_rules_cannot_carry_is_an_error_at_it(
    written: str, message: str
) -> None:
    [error] = _errors(group_by=written)
    assert error.startswith(message)
