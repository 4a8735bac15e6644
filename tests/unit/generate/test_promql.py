"""SLIs compiled to PromQL rates (sloscope.generate.promql), numbers and ``le`` spellings."""

from __future__ import annotations

import pytest

from sloscope.generate.promql import (
    direct_error_ratio,
    error_rate,
    format_number,
    good_bucket_selector,
    good_rate,
    slice_bad_indicator,
    total_rate,
)
from sloscope.spec.buckets import le_matcher
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import parse_selector

TOTAL = parse_selector('http_requests_total{service="checkout", route="/orders"}')
GOOD = parse_selector('http_requests_total{service="checkout", route="/orders", code!~"5.."}')
BAD = parse_selector('http_requests_total{service="checkout", route="/orders", code=~"5.."}')
HIST = parse_selector('http_request_duration_seconds{service="checkout"}')


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1 - 0.999, "0.001"),
        (1 - 0.9995, "0.0005"),
        (0.999 * 100, "99.9"),
        (0.02 * 28 * 24, "13.44"),
        (14.4, "14.4"),
        (0.9333333333, "0.9333333333"),
        (28.0, "28"),
        (2592000 / 86400, "30"),
        (-0.0, "0"),
    ],
)
def test_numbers_print_without_float_artefacts(value: float, text: str) -> None:
    assert format_number(value) == text


def test_format_number_refuses_nan() -> None:
    with pytest.raises(ValueError, match="cannot write nan"):
        format_number(float("nan"))


@pytest.mark.parametrize(
    ("threshold", "spellings"),
    [
        (0.3, ("0.3",)),
        (0.25, ("0.25",)),
        (1.0, ("1", "1.0")),  # Go writes 1, Python and Prometheus 3 write 1.0
        (100000.0, ("100000", "100000.0")),
        (1e6, ("1e+06",)),  # both clients switch to an exponent at 1e6
        (1234567.0, ("1.234567e+06",)),
        (2.5e-05, ("2.5e-05",)),
    ],
)
def test_the_le_matcher_covers_what_go_python_and_prometheus_3_write(
    threshold: float, spellings: tuple[str, ...]
) -> None:
    matcher = le_matcher(threshold)
    assert [s for s in spellings if not matcher.matches(s)] == []


def test_le_matcher_is_an_anchored_regex_over_every_spelling() -> None:
    matcher = le_matcher(1.0)
    assert str(matcher) == 'le=~"1|0*1(?:\\\\.0*)?|1(?:\\\\.0*)?[eE][+-]?0+"'
    assert matcher.matches("1")
    assert matcher.matches("1.0")
    # Anchored, as Prometheus anchors it: no other boundary matches.
    assert not any(matcher.matches(other) for other in ("10", "1.05", "0.1", "11.0"))


def test_the_generated_rules_select_every_spelling_of_the_threshold_bucket() -> None:
    """Not only what clients write: 0.30 and 3e-1 are the boundary 0.3 too."""
    bucket = good_bucket_selector(LatencySLI(metric=HIST, threshold=0.3))
    assert str(bucket).endswith('le=~"0\\\\.3|0*\\\\.30*|3(?:\\\\.0*)?[eE]-0*1"}')
    labels = {"service": "checkout"}
    for le in ("0.3", "0.30", "3e-1", ".3"):
        assert bucket.matches("http_request_duration_seconds_bucket", {**labels, "le": le})
    for le in ("0.35", "+Inf", "3"):
        assert not bucket.matches("http_request_duration_seconds_bucket", {**labels, "le": le})


def test_ratio_with_good_counts_a_total_outage_as_errors() -> None:
    sli = RatioSLI(total=TOTAL, good=GOOD)
    assert error_rate(sli, 300) == (
        'sum(rate(http_requests_total{service="checkout", route="/orders"}[5m])) - '
        '(sum(rate(http_requests_total{service="checkout", route="/orders", code!~"5.."}[5m]))'
        " or vector(0))"
    )
    assert total_rate(sli, 3600) == (
        'sum(rate(http_requests_total{service="checkout", route="/orders"}[1h]))'
    )


def test_ratio_with_bad_is_zero_errors_when_no_bad_series_exist() -> None:
    sli = RatioSLI(total=TOTAL, bad=BAD)
    assert error_rate(sli, 1800) == (
        '(sum(rate(http_requests_total{service="checkout", route="/orders", code=~"5.."}[30m]))'
        " or vector(0))"
    )
    assert good_rate(sli, 60) == (
        '(sum(rate(http_requests_total{service="checkout", route="/orders"}[1m])) - '
        '(sum(rate(http_requests_total{service="checkout", route="/orders", code=~"5.."}[1m]))'
        " or vector(0)))"
    )


def test_latency_reads_the_threshold_bucket_and_the_count() -> None:
    sli = LatencySLI(metric=HIST, threshold=1.0)
    assert error_rate(sli, 300) == (
        'sum(rate(http_request_duration_seconds_count{service="checkout"}[5m])) - '
        '(sum(rate(http_request_duration_seconds_bucket{service="checkout", '
        'le=~"1|0*1(?:\\\\.0*)?|1(?:\\\\.0*)?[eE][+-]?0+"}[5m])) or vector(0))'
    )
    assert total_rate(sli, 300) == (
        'sum(rate(http_request_duration_seconds_count{service="checkout"}[5m]))'
    )


def test_promql_event_counts_become_rates_over_the_window() -> None:
    sli = PromQLSLI(
        bad='sum(increase(errors_total{job="api"}[{{window}}]))',
        total="increase(requests_total[{{ window }}])",
    )
    # Already one sum: not wrapped again. Not a sum: summed to one series.
    assert error_rate(sli, 300) == (
        '(sum(increase(errors_total{job="api"}[5m])) or vector(0)) / 300'
    )
    assert total_rate(sli, 3600) == "sum(increase(requests_total[1h])) / 3600"


def test_promql_good_events_are_subtracted_from_total() -> None:
    sli = PromQLSLI(good="sum(increase(ok_total[{{window}}]))", total="sum(a) - sum(b)")
    assert error_rate(sli, 300) == (
        "(sum(sum(a) - sum(b)) - (sum(increase(ok_total[5m])) or vector(0))) / 300"
    )


def test_promql_error_ratio_is_recorded_directly_and_has_no_events() -> None:
    sli = PromQLSLI(error_ratio="sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))")
    assert direct_error_ratio(sli, 86400) == "max(sum(rate(e[1d])) / sum(rate(t[1d])))"
    with pytest.raises(ValueError, match="no event counts"):
        error_rate(sli, 300)


def test_slice_indicator_is_one_for_a_slice_below_target_and_absent_without_events() -> None:
    sli = TimeslicesSLI(indicator=RatioSLI(total=TOTAL, good=GOOD), slice_seconds=60, target=0.95)
    assert slice_bad_indicator(sli) == (
        '(sum(rate(http_requests_total{service="checkout", route="/orders", code!~"5.."}[1m]))'
        " or vector(0)) / "
        '(sum(rate(http_requests_total{service="checkout", route="/orders"}[1m])) > 0)'
        " < bool 0.95"
    )


def test_slice_indicator_of_an_error_ratio_drops_empty_slices() -> None:
    sli = TimeslicesSLI(
        indicator=PromQLSLI(error_ratio="sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))"),
        slice_seconds=300,
        target=0.9,
    )
    assert slice_bad_indicator(sli) == (
        "(1 - (max(sum(rate(e[5m])) / sum(rate(t[5m]))) >= 0)) < bool 0.9"
    )
