"""The PromQL the Prometheus source sends: exact per-step increases, numeric ``le``
matching, recorded-rule reads and ``{{window}}`` substitution.
"""

from __future__ import annotations

import re

import pytest

from sloscope.errors import SourceError
from sloscope.sources.histograms import check_threshold_buckets, histogram_key
from sloscope.sources.prometheus.queries import (
    bucket_selector,
    edge_check_queries,
    recorded_ids_query,
    recorded_query,
    step_increase_query,
    union_selector,
    with_window,
)
from sloscope.sources.prometheus.settings import safe_url
from sloscope.spec.buckets import le_regex, same_boundary
from sloscope.spec.selectors import parse_selector


def test_the_step_increase_is_reset_aware_differences_of_last_values() -> None:
    selector = parse_selector('http_requests_total{service="a", code!~"5.."}')
    current = 'http_requests_total{service="a", code!~"5.."}'
    assert step_increase_query(selector, 300) == (
        f"sum(({current} - {current} offset 300s) >= 0 or ({current} < {current} offset 300s))"
    )


@pytest.mark.parametrize(
    ("threshold", "spellings", "others"),
    [
        (
            0.3,
            ["0.3", "0.30", "0.300", ".3", "00.3", "3e-1", "3e-01", "3.0E-01", "3.00e-1"],
            ["0.31", "0.03", "3", "30", "0.3e-1", "3e-2", "1.3"],
        ),
        (1.0, ["1", "1.0", "1.00", "01", "1e0", "1e+00", "1.0e-0"], ["10", "0.1", "11", "1e1"]),
        (2.5, ["2.5", "2.50", "2.5e0", "2.5E+0"], ["25", "0.25", "2.05", "2"]),
        (300.0, ["300", "300.0", "3e2", "3e+02", "3.00E+2"], ["30", "3000", "3e3", "3e1"]),
        (0.0001, ["0.0001", "0.00010", "1e-4", "1e-04", "1.0e-4"], ["0.001", "1e-3", "0.00011"]),
        # 0.1 + 0.2 is 0.30000000000000004: still the boundary 0.3.
        (0.1 + 0.2, ["0.3", "3e-1"], ["0.301", "0.30000000000000004"]),
    ],
)
def test_le_regex_matches_every_spelling_of_the_boundary_and_nothing_else(
    threshold: float, spellings: list[str], others: list[str]
) -> None:
    # Prometheus anchors label regexes at both ends: fullmatch.
    pattern = re.compile(f"(?:{le_regex(threshold)})")
    assert [s for s in spellings if not pattern.fullmatch(s)] == []
    assert [s for s in others if pattern.fullmatch(s)] == []


def test_le_regex_refuses_thresholds_that_cannot_be_boundaries() -> None:
    with pytest.raises(ValueError, match="finite number"):
        le_regex(float("inf"))


def test_the_bucket_selector_adds_the_le_matcher() -> None:
    bucket = parse_selector('lat_bucket{svc="a"}')
    # The usual spelling first, readable in a rule; then every other spelling.
    assert str(bucket_selector(bucket, 0.25)) == (
        r'lat_bucket{svc="a", le=~"0\\.25|0*\\.250*|2\\.50*[eE]-0*1"}'
    )


def test_same_boundary_compares_numbers_not_text() -> None:
    assert same_boundary("0.30", 0.3)
    assert same_boundary("3e-1", 0.3)
    assert same_boundary("+Inf", float("inf"))
    assert not same_boundary("0.31", 0.3)
    assert not same_boundary("fast", 0.3)


def test_recorded_rates_become_counts_per_step() -> None:
    assert recorded_query("slo:sli_error:rate5m", "checkout-orders", 60) == (
        'sum(slo:sli_error:rate5m{sloscope_id="checkout-orders"}) * 60'
    )
    # Steps longer than the recorded window average the rates inside (t - step, t].
    assert recorded_query("slo:sli_total:rate5m", "checkout-orders", 3600) == (
        'sum(avg_over_time(slo:sli_total:rate5m{sloscope_id="checkout-orders"}[3599999ms])) * 3600'
    )


def test_rule_detection_asks_for_totals_at_both_ends_of_the_range() -> None:
    assert recorded_ids_query(["b-y", "a-x", "b-y"], 1000, 1000) == (
        'count by (sloscope_id) (slo:sli_total:rate5m{sloscope_id=~"a\\\\-x|b\\\\-y"})'
    )
    assert recorded_ids_query(["a.x"], 1060, 4660).endswith(
        'count by (sloscope_id) (slo:sli_total:rate5m{sloscope_id=~"a\\\\.x"} offset 3600s)'
    )


def test_window_placeholders_become_the_step() -> None:
    assert with_window("sum(increase(x[{{window}}])) + y[{{ window }}]", 120) == (
        "sum(increase(x[120s])) + y[120s]"
    )


def test_safe_url_drops_credentials_and_query_and_keeps_ipv6_hosts() -> None:
    assert safe_url("https://u:p@[::1]:9090/prom/?x=1") == "https://[::1]:9090/prom"
    assert safe_url("http://prom") == "http://prom"


def test_histograms_missing_the_threshold_are_listed_sorted_and_capped_at_five() -> None:
    pods = [histogram_key({"__name__": "x_count", "pod": f"p{i}"}.items()) for i in range(8)]
    buckets = [(pods[0], "0.3"), (pods[0], "+Inf")] + [(p, "0.5") for p in pods[1:]]
    with pytest.raises(SourceError) as err:
        check_threshold_buckets(parse_selector("x"), 0.3, buckets, reversed(pods))
    assert str(err.value) == (
        "7 of 8 histograms of x have no bucket le=0.3, so their requests would count in the "
        'total but never as good: {pod="p1"} has buckets 0.5; {pod="p2"} has buckets 0.5; '
        '{pod="p3"} has buckets 0.5; {pod="p4"} has buckets 0.5; {pod="p5"} has buckets 0.5 '
        "and 2 more (hint: give every histogram the selector matches a bucket le=0.3, or "
        "narrow the selector to the histograms that have one)"
    )


def test_a_histogram_key_leaves_out_the_name_and_le_and_sorts_the_labels() -> None:
    bucket = {"__name__": "x_bucket", "route": "/a", "le": "0.3", "pod": "p"}
    count = {"pod": "p", "__name__": "x_count", "route": "/a"}
    assert histogram_key(bucket.items()) == histogram_key(count.items())
    assert histogram_key(bucket.items()) == (("pod", "p"), ("route", "/a"))


def test_every_histogram_with_the_threshold_passes_whatever_its_spelling() -> None:
    keys = [(("pod", "a"),), (("pod", "b"),)]
    buckets = [(keys[0], "0.3"), (keys[1], "3e-1"), (keys[1], "+Inf")]
    check_threshold_buckets(parse_selector("x"), 0.3, buckets, keys)


def test_a_union_keeps_shared_matchers_and_ors_the_values_of_one_equal_label() -> None:
    selectors = [
        parse_selector('http_requests_total{job="api", route="/a", code!~"5.."}'),
        parse_selector('http_requests_total{job="api", route="/b.c"}'),
    ]
    union = union_selector(selectors)
    assert str(union) == 'http_requests_total{job="api", route=~"/a|/b\\\\.c"}'


def test_a_union_without_a_label_every_selector_sets_keeps_only_the_shared_matchers() -> None:
    selectors = [
        parse_selector('req_total{code="200", job="a"}'),
        parse_selector('req_total{job="a"}'),
    ]
    assert str(union_selector(selectors)) == 'req_total{job="a"}'


def test_selectors_of_two_metrics_have_no_union() -> None:
    assert union_selector([parse_selector("a_total"), parse_selector("b_total")]) is None


def test_edge_checks_read_every_step_edge_once_from_first_to_last() -> None:
    at, queries = edge_check_queries(parse_selector("r"), 1_800, 3_600, 60)
    assert at == 3_600
    assert queries == [
        "count_over_time((r)[1859999ms:60s])",
        "resets((r)[1859999ms:60s])",
        "sum_over_time(((r) % 1)[1859999ms:60s])",
    ]
