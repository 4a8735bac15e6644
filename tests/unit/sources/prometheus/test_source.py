"""PrometheusSource against scripted answers: request shapes, chunking, recording-rule
detection and how answers become counts in memory (sloscope.testing.FakePrometheus);
retries, errors, timeouts and credentials against a real HTTP server (prometheus_stub).

Whether the counts equal the embedded store's is checked against the real Prometheus in
tests/integration/test_prometheus_source.py.
"""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from prometheus_stub import StubPrometheus, stub_prometheus

from sloscope.errors import ConfigError, SourceError, UnsupportedSLIError
from sloscope.sources.base import Source
from sloscope.sources.prometheus.queries import step_increase_query
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import parse_selector
from sloscope.testing import (
    FakePrometheus,
    PrometheusAnswer,
    PrometheusHandler,
    PrometheusRequest,
    failure,
    matrix,
    prometheus_api,
    prometheus_counters,
)

T0 = 1_700_000_040  # a whole minute
STEP = 60
GOOD = parse_selector('req_total{code="200"}')
TOTAL = parse_selector("req_total")
RATIO = RatioSLI(total=TOTAL, good=GOOD)

Series = dict[str, list[dict[str, str]]]


def source(server: StubPrometheus | FakePrometheus, **options: Any) -> PrometheusSource:
    """The source under test, on the fake's transport or over HTTP to the stub server."""
    options.setdefault("backoff", 0.001)
    if isinstance(server, FakePrometheus):
        options["client"] = server.client()
    return PrometheusSource(server.url, **options)


def minute(t: int) -> int:
    return (t - T0) // STEP


RATIO_SERIES: Series = {
    str(GOOD): [{"__name__": "req_total", "code": "200"}],
    str(TOTAL): [
        {"__name__": "req_total", "code": "200"},
        {"__name__": "req_total", "code": "500"},
    ],
}


def ratio_values(query: str, t: int) -> float | None:
    """Total = the step number, good = 10 x the step number... (never real data)."""
    if query == step_increase_query(TOTAL, STEP):
        return float(minute(t))
    if query == step_increase_query(GOOD, STEP):
        return minute(t) / 2
    raise AssertionError(f"unexpected query {query}")


def ratio_levels(labels: Mapping[str, str], t: int) -> float:
    """The counters at minute m: code 200 at 3m (3 a step), code 500 at m² (2m - 1)."""
    m = minute(t)
    return float(3 * m if labels["code"] == "200" else m * m)


#: Every step m of RATIO: good 3, total 3 + 2m - 1.
COUNTERS = prometheus_counters(RATIO_SERIES[str(TOTAL)], ratio_levels)


def range_queries(stub: FakePrometheus | StubPrometheus) -> list[str]:
    return [r.one("query") for r in stub.requests if r.path == "/api/v1/query_range"]


def test_the_source_satisfies_the_source_protocol() -> None:
    assert isinstance(PrometheusSource("http://127.0.0.1:1"), Source)


def test_counts_land_on_the_grid_step_whose_right_edge_is_the_timestamp() -> None:
    with FakePrometheus(COUNTERS) as stub:
        [counts] = source(stub).fetch([RATIO], T0, T0 + 5 * STEP, STEP)
    assert counts.total.tolist() == [4.0, 6.0, 8.0, 10.0, 12.0]
    assert counts.good.tolist() == [3.0, 3.0, 3.0, 3.0, 3.0]
    assert counts.series == 2
    assert counts.note == "raw series"
    # Good and total are read together: the counters' values, one step before the grid on.
    [request] = [r for r in stub.requests if r.path == "/api/v1/query_range"]
    assert (request.one("query"), request.one("start"), request.one("end")) == (
        "req_total",
        str(T0),
        str(T0 + 5 * STEP),
    )


def test_a_long_range_is_split_into_chunks_of_at_most_step_limit_points() -> None:
    with FakePrometheus(COUNTERS) as stub:
        [counts] = source(stub, step_limit=10).fetch([RATIO], T0, T0 + 25 * STEP, STEP)
    ranges = [
        (int(r.one("start")), int(r.one("end")))
        for r in stub.requests
        if r.path == "/api/v1/query_range"
    ]
    assert ranges == [
        (T0, T0 + 540),
        (T0 + 600, T0 + 1140),
        (T0 + 1200, T0 + 1500),
    ]
    assert counts.total.tolist() == [3.0 + 2 * m - 1 for m in range(1, 26)]


def test_every_request_is_a_form_post_with_the_server_side_timeout() -> None:
    with FakePrometheus(COUNTERS) as stub:
        source(stub, timeout=7.5).fetch([RATIO], T0, T0 + 2 * STEP, STEP)
    assert {r.method for r in stub.requests} == {"POST"}
    assert {r.one("timeout") for r in stub.requests} == {"7.5s"}
    assert all(
        r.headers["content-type"] == "application/x-www-form-urlencoded" for r in stub.requests
    )


def test_a_query_shared_by_two_slis_is_sent_once() -> None:
    slices = TimeslicesSLI(indicator=RATIO, slice_seconds=60, target=0.95)
    with FakePrometheus(COUNTERS) as stub:
        first, second = source(stub).fetch([RATIO, slices], T0, T0 + 2 * STEP, STEP)
    assert stub.paths().count("/api/v1/query_range") == 1
    # One series request for the metric: both selectors, each series matched locally.
    [lookup] = [r for r in stub.requests if r.path == "/api/v1/series"]
    assert sorted(lookup.form["match[]"]) == sorted([str(GOOD), str(TOTAL)])
    assert first.good.tolist() == second.good.tolist() == [3.0, 3.0]


def test_a_bad_selector_gives_good_as_total_minus_bad() -> None:
    bad = parse_selector('req_total{code="500"}')
    with FakePrometheus(COUNTERS) as stub:
        [counts] = source(stub).fetch([RatioSLI(total=TOTAL, bad=bad)], T0, T0 + 3 * STEP, STEP)
    assert counts.good.tolist() == [3.0, 3.0, 3.0]
    assert counts.total.tolist() == [4.0, 6.0, 8.0]


def test_no_matching_series_gives_zeros_with_series_0_and_no_range_query() -> None:
    with FakePrometheus(prometheus_counters([], ratio_levels)) as stub:
        [counts] = source(stub).fetch([RATIO], T0, T0 + 3 * STEP, STEP)
    assert counts.series == 0
    assert counts.total.tolist() == [0.0, 0.0, 0.0]
    assert "/api/v1/query_range" not in stub.paths()


def test_a_step_counts_what_the_count_query_would_for_gaps_nan_and_resets() -> None:
    """Each step is L(t) - L(t - step), or L(t) after a reset; nothing where either
    value is missing or NaN (as ``(sel - sel offset 60s) >= 0 or (sel < sel offset 60s)``).
    """
    nan = float("nan")
    levels = {
        "200": [0.0, 4.0, None, 8.0, nan, 9.0],
        "500": [5.0, 7.0, 2.0, 3.0, None, None],
    }

    def level(labels: Mapping[str, str], t: int) -> float | None:
        return levels[labels["code"]][minute(t)]

    counters = prometheus_counters(RATIO_SERIES[str(TOTAL)], level)
    with FakePrometheus(counters) as stub:
        [counts] = source(stub).fetch([RATIO], T0, T0 + 5 * STEP, STEP)
    assert counts.good.tolist() == [4.0, 0.0, 0.0, 0.0, 0.0]
    assert counts.total.tolist() == [6.0, 2.0, 1.0, 0.0, 0.0]
    assert counts.series == 2


# --- latency ------------------------------------------------------------------------------

LATENCY = LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.3)
BUCKETS = [
    {"__name__": "lat_seconds_bucket", "svc": "a", "le": "0.1"},
    {"__name__": "lat_seconds_bucket", "svc": "a", "le": "0.30"},
    {"__name__": "lat_seconds_bucket", "svc": "a", "le": "+Inf"},
]


def latency_levels(labels: Mapping[str, str], t: int) -> float:
    """7 requests a step within 0.3s, 10 in all (2 within 0.1s)."""
    per_step = {"0.1": 2, "0.30": 7}.get(labels.get("le", ""), 10)
    return float(per_step * minute(t))


def latency_counters(*series: list[dict[str, str]]) -> PrometheusHandler:
    return prometheus_counters([s for group in series for s in group], latency_levels)


def test_latency_reads_the_bucket_matched_numerically_and_the_count() -> None:
    count = [{"__name__": "lat_seconds_count", "svc": "a"}]
    with FakePrometheus(latency_counters(BUCKETS, count)) as stub:
        [counts] = source(stub).fetch([LATENCY], T0, T0 + 2 * STEP, STEP)
    assert set(range_queries(stub)) == {
        r'lat_seconds_bucket{svc="a", le=~"0\\.3|0*\\.30*|3(?:\\.0*)?[eE]-0*1"}',
        str(LATENCY.count_selector),
    }
    assert counts.good.tolist() == [7.0, 7.0]
    assert counts.total.tolist() == [10.0, 10.0]
    assert counts.series == 2  # the 0.30 bucket and the count


def test_latency_without_count_series_reads_the_inf_bucket_as_total() -> None:
    with FakePrometheus(latency_counters(BUCKETS)) as stub:
        [counts] = source(stub).fetch([LATENCY], T0, T0 + 2 * STEP, STEP)
    # Both are buckets of one histogram: read together, through the union of the two.
    assert range_queries(stub) == [str(LATENCY.bucket_selector)]
    assert counts.good.tolist() == [7.0, 7.0]
    assert counts.total.tolist() == [10.0, 10.0]
    assert counts.series == 2  # the 0.30 and +Inf buckets


def test_latency_with_a_threshold_that_is_no_boundary_names_the_boundaries() -> None:
    sli = LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.25)
    series = {str(sli.bucket_selector): BUCKETS}
    with (
        FakePrometheus(latency_counters(*series.values())) as stub,
        pytest.raises(SourceError) as err,
    ):
        source(stub).fetch([sli], T0, T0 + 2 * STEP, STEP)
    assert "has le=0.25; its boundaries are 0.1, 0.30, +Inf" in str(err.value)


def test_a_histogram_without_the_threshold_bucket_fails_before_any_range_query() -> None:
    """Counting route /b in the total but never as good would make the SLI too low."""
    sli = LatencySLI(metric=parse_selector('lat_seconds{svc="a"}'), threshold=0.3)
    other = [
        {"__name__": "lat_seconds_bucket", "svc": "a", "route": "/b", "le": le}
        for le in ("0.1", "0.5", "+Inf")
    ]
    series = {
        str(sli.bucket_selector): [{**s, "route": "/a"} for s in BUCKETS] + other,
        str(sli.count_selector): [
            {"__name__": "lat_seconds_count", "svc": "a", "route": r} for r in ("/a", "/b")
        ],
    }
    with (
        FakePrometheus(latency_counters(*series.values())) as stub,
        pytest.raises(SourceError) as err,
    ):
        source(stub).fetch([sli], T0, T0 + 2 * STEP, STEP)
    assert str(err.value) == (
        '1 of 2 histograms of lat_seconds{svc="a"} has no bucket le=0.3, so its requests '
        'would count in the total but never as good: {route="/b", svc="a"} has buckets 0.1, '
        "0.5, +Inf (hint: give every histogram the selector matches a bucket le=0.3, or "
        "narrow the selector to the histograms that have one)"
    )
    assert "/api/v1/query_range" not in stub.paths()


def test_a_count_series_with_no_buckets_is_named_as_having_none() -> None:
    series = {
        str(LATENCY.bucket_selector): BUCKETS,
        str(LATENCY.count_selector): [
            {"__name__": "lat_seconds_count", "svc": "a"},
            {"__name__": "lat_seconds_count", "svc": "a", "quantiles": "yes"},
        ],
    }
    with (
        FakePrometheus(latency_counters(*series.values())) as stub,
        pytest.raises(SourceError) as err,
    ):
        source(stub).fetch([LATENCY], T0, T0 + 2 * STEP, STEP)
    assert '1 of 2 histograms of lat_seconds{svc="a"} has no bucket' in str(err.value)
    assert 'never as good: {quantiles="yes", svc="a"} has no buckets (hint: ' in str(err.value)


def test_histograms_are_judged_over_the_series_the_range_matched() -> None:
    """The series API is asked for the fetched range: what it names there is judged."""
    count = [{"__name__": "lat_seconds_count", "svc": "a"}]
    with FakePrometheus(latency_counters(BUCKETS, count)) as stub:
        source(stub).fetch([LATENCY], T0, T0 + 2 * STEP, STEP)
    lookups = [r for r in stub.requests if r.path == "/api/v1/series"]
    assert {(r.one("start"), r.one("end")) for r in lookups} == {(str(T0), str(T0 + 2 * STEP))}
    # The histogram and its count; the threshold bucket is matched among the histogram's.
    assert len(lookups) == 2


# --- promql -------------------------------------------------------------------------------


def test_promql_slis_get_the_step_as_window_and_must_return_one_series() -> None:
    sli = PromQLSLI(
        good="sum(increase(ok_total[{{window}}]))", total="sum(increase(all_total[{{ window }}]))"
    )

    def handle(request: PrometheusRequest) -> PrometheusAnswer:
        query = request.one("query")
        t = int(request.one("start"))
        if query == "sum(increase(all_total[60s]))":
            return matrix(({}, [(t, 5.0)]))
        assert query == "sum(increase(ok_total[60s]))"
        return matrix(({}, [(t, 4.0)]))

    with FakePrometheus(handle) as stub:
        [counts] = source(stub).fetch([sli], T0, T0 + STEP, STEP)
    assert counts.good.tolist() == [4.0]
    assert counts.total.tolist() == [5.0]
    assert counts.series == 1
    assert counts.note == "promql at 60s"


def test_a_promql_expression_returning_several_series_names_the_query_and_labels() -> None:
    sli = PromQLSLI(bad="increase(err_total[{{window}}])", total="sum(increase(all_total[1m]))")

    def handle(request: PrometheusRequest) -> PrometheusAnswer:
        t = int(request.one("start"))
        if "err_total" in request.one("query"):
            return matrix(({"pod": "a"}, [(t, 1.0)]), ({"pod": "b"}, [(t, 2.0)]))
        return matrix(({}, [(t, 5.0)]))

    with FakePrometheus(handle) as stub, pytest.raises(SourceError) as err:
        source(stub).fetch([sli], T0, T0 + STEP, STEP)
    message = str(err.value)
    assert "'increase(err_total[60s])' returned 2 series where one was expected" in message
    assert '{pod="a"}; {pod="b"}' in message


def test_a_promql_sli_with_only_an_error_ratio_is_unsupported() -> None:
    sli = PromQLSLI(error_ratio="sum(rate(err[{{window}}])) / sum(rate(all[{{window}}]))")
    with (
        FakePrometheus(prometheus_api({}, ratio_values)) as stub,
        pytest.raises(UnsupportedSLIError) as err,
    ):
        source(stub).fetch([sli], T0, T0 + STEP, STEP)
    assert "only error_ratio" in str(err.value)


# --- recording rules ----------------------------------------------------------------------


RECORDED = {"slo:sli_total:rate5m": 600.0, "slo:sli_error:rate5m": 6.0}
BATCH = re.compile(r'sum by \(sloscope_id\) \((slo:[a-z_:0-9]+)\{sloscope_id=~"(.*)"\}\) \* 60')


def with_rules(
    handler: PrometheusHandler, recorded: dict[str, float] = RECORDED
) -> PrometheusHandler:
    """``handler``, plus batched reads of recorded rates: series ``svc-a`` only."""

    def handle(request: PrometheusRequest) -> PrometheusAnswer:
        if request.path == "/api/v1/query_range":
            match = BATCH.fullmatch(request.one("query"))
            if match:
                metric, pattern = match.groups()
                assert pattern.replace("\\", "") in ("svc-a", "svc-a|svc-b")
                first, last = int(request.one("start")), int(request.one("end"))
                points = [(t, recorded[metric]) for t in range(first, last + 1, STEP)]
                return matrix(({"sloscope_id": "svc-a"}, points))
        return handler(request)

    return handle


def test_auto_reads_recorded_rates_for_slos_whose_rules_cover_the_range() -> None:
    recorded = [({"sloscope_id": "svc-a"}, 1.0)]
    counters = prometheus_counters(RATIO_SERIES[str(TOTAL)], ratio_levels, recorded)
    with FakePrometheus(with_rules(counters)) as stub:
        rules, raw = source(stub).fetch(
            [RATIO, RATIO], T0, T0 + 2 * STEP, STEP, ids=["svc-a", "svc-b"]
        )
    [detect] = [r for r in stub.requests if r.path == "/api/v1/query"]
    assert detect.one("query") == (
        'count by (sloscope_id) (slo:sli_total:rate5m{sloscope_id=~"svc\\\\-a|svc\\\\-b"}) and '
        'count by (sloscope_id) (slo:sli_total:rate5m{sloscope_id=~"svc\\\\-a|svc\\\\-b"} '
        "offset 60s)"
    )
    assert detect.one("time") == str(T0 + 2 * STEP)
    # The queries run concurrently: their order on the wire is not fixed.
    batched = [r.one("query") for r in stub.requests if "sum by" in r.form.get("query", [""])[0]]
    assert sorted(batched) == [
        'sum by (sloscope_id) (slo:sli_error:rate5m{sloscope_id=~"svc\\\\-a"}) * 60',
        'sum by (sloscope_id) (slo:sli_total:rate5m{sloscope_id=~"svc\\\\-a"}) * 60',
    ]
    assert rules.good.tolist() == [594.0, 594.0]
    assert rules.total.tolist() == [600.0, 600.0]
    assert rules.note == (
        'recording rules slo:sli_error:rate5m, slo:sli_total:rate5m {sloscope_id="svc-a"}'
    )
    assert raw.note == "raw series"
    assert raw.total.tolist() == [4.0, 6.0]


def test_never_does_not_look_for_recording_rules() -> None:
    with FakePrometheus(COUNTERS) as stub:
        [counts] = source(stub, use_recording_rules="never").fetch(
            [RATIO], T0, T0 + STEP, STEP, ids=["svc-a"]
        )
    assert "/api/v1/query" not in stub.paths()
    assert counts.note == "raw series"


def test_always_fails_naming_the_slos_without_recorded_series() -> None:
    recorded = [({"sloscope_id": "svc-a"}, 1.0)]
    handler = with_rules(prometheus_api(RATIO_SERIES, ratio_values, recorded))
    with FakePrometheus(handler) as stub, pytest.raises(SourceError) as err:
        source(stub, use_recording_rules="always").fetch(
            [RATIO, RATIO], T0, T0 + STEP, STEP, ids=["svc-a", "svc-b"]
        )
    assert "no slo:sli_total:rate5m series covering the range for svc-b" in str(err.value)


def test_rates_that_disagree_in_the_last_bits_never_give_negative_good() -> None:
    rates = {"slo:sli_total:rate5m": 600.0, "slo:sli_error:rate5m": 600.0000001}
    recorded = [({"sloscope_id": "svc-a"}, 1.0)]
    with FakePrometheus(with_rules(prometheus_api({}, ratio_values, recorded), rates)) as stub:
        [counts] = source(stub).fetch([RATIO], T0, T0 + STEP, STEP, ids=["svc-a"])
    assert counts.good.tolist() == [0.0]


# --- retries and errors -------------------------------------------------------------------


def flaky(failures: list[PrometheusAnswer], then: PrometheusHandler) -> PrometheusHandler:
    """PrometheusAnswer with ``failures`` first (one per request), then with ``then``."""
    queue = list(failures)

    def handle(request: PrometheusRequest) -> PrometheusAnswer:
        return queue.pop(0) if queue else then(request)

    return handle


def test_5xx_and_429_are_retried_then_the_answer_is_used() -> None:
    failures = [
        failure(503, "unavailable", "too many queries"),
        PrometheusAnswer(429, text="slow down", headers={"Retry-After": "0"}),
        PrometheusAnswer(502, text="<html>bad gateway</html>"),
    ]
    with stub_prometheus(flaky(failures, COUNTERS)) as stub:
        [counts] = source(stub, max_retries=3, concurrency=1).fetch([RATIO], T0, T0 + STEP, STEP)
    assert counts.total.tolist() == [4.0]
    assert len(stub.requests) == 3 + 2  # three failures, then 1 series + 1 range query


def test_retries_are_bounded_and_the_last_error_is_reported() -> None:
    always = failure(503, "timeout", "query timed out in expression evaluation")
    with stub_prometheus(lambda r: always) as stub, pytest.raises(SourceError) as err:
        source(stub, max_retries=2, concurrency=1).fetch([RATIO], T0, T0 + STEP, STEP)
    assert len(stub.requests) == 3
    assert str(err.value) == (
        f"Prometheus at {stub.url}: HTTP 503 after 3 attempts for "
        "'req_total{code=\"200\"}, req_total': "
        "timeout: query timed out in expression evaluation"
    )


def test_a_parse_error_is_not_retried_and_shows_prometheus_message() -> None:
    sli = PromQLSLI(good="sum(rate(ok[{{window}}])", total="sum(rate(all[{{window}}]))")
    answer = failure(400, "bad_data", 'invalid parameter "query": 1:22: parse error: unclosed')
    with stub_prometheus(lambda r: answer) as stub, pytest.raises(SourceError) as err:
        source(stub, max_retries=3, concurrency=1).fetch([sli], T0, T0 + STEP, STEP)
    assert len(stub.requests) == 1
    assert "HTTP 400 for 'sum(rate(ok[60s])': bad_data: invalid parameter" in str(err.value)


def test_an_html_error_page_is_reported_with_status_and_a_short_excerpt() -> None:
    page = PrometheusAnswer(502, text="<html><body>" + "x" * 500 + "</body></html>")
    with stub_prometheus(lambda r: page) as stub, pytest.raises(SourceError) as err:
        source(stub, max_retries=1).fetch([RATIO], T0, T0 + STEP, STEP)
    message = str(err.value)
    assert message.startswith(f"Prometheus at {stub.url}: HTTP 502 Bad Gateway after 2 attempts: ")
    assert message.endswith("x" * 188)  # 200 characters of the page


def test_a_404_hints_at_the_route_prefix() -> None:
    page = PrometheusAnswer(404, text="404 page not found")
    with stub_prometheus(lambda r: page) as stub, pytest.raises(SourceError) as err:
        source(stub).fetch([RATIO], T0, T0 + STEP, STEP)
    assert "HTTP 404 for /api/v1/series: no Prometheus API there" in str(err.value)
    assert "--web.route-prefix" in str(err.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_named_after_bounded_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SourceError) as err:
        PrometheusSource(url, max_retries=2, backoff=0.001).fetch([RATIO], T0, T0 + STEP, STEP)
    message = str(err.value)
    assert message.startswith(f"Prometheus at {url}: cannot connect (3 attempt(s)): ")
    assert "Connection refused" in message
    assert "SLOSCOPE_PROMETHEUS_URL" in message


def test_a_slow_server_times_out_with_the_timeout_in_the_message() -> None:
    slow = PrometheusAnswer(200, {"status": "success", "data": []})
    with stub_prometheus(lambda r: slow, delay=1.0) as stub, pytest.raises(SourceError) as err:
        source(stub, timeout=0.2, max_retries=0).fetch([RATIO], T0, T0 + STEP, STEP)
    assert "did not answer within 0.2s (1 attempt(s))" in str(err.value)


# --- credentials --------------------------------------------------------------------------

TOKEN = "s3cr3t-token-value"


def echo_401(request: PrometheusRequest) -> PrometheusAnswer:
    """A server that (badly) echoes the Authorization header in its error."""
    return failure(401, "unauthorized", f"bad credentials: {request.headers.get('authorization')}")


def test_bearer_token_and_headers_are_sent_and_never_shown() -> None:
    with stub_prometheus(echo_401) as stub, pytest.raises(SourceError) as err:
        source(stub, bearer_token=TOKEN, headers={"X-Scope-OrgID": "tenant-7"}).fetch(
            [RATIO], T0, T0 + STEP, STEP
        )
    sent = stub.requests[0].headers
    assert sent["authorization"] == f"Bearer {TOKEN}"
    assert sent["x-scope-orgid"] == "tenant-7"
    assert TOKEN not in str(err.value)
    assert "bad credentials: Bearer ***" in str(err.value)


def test_basic_auth_is_sent_and_the_password_never_shown() -> None:
    with stub_prometheus(echo_401) as stub, pytest.raises(SourceError) as err:
        source(stub, basic_auth=("sloscope", "pa55word!")).fetch([RATIO], T0, T0 + STEP, STEP)
    expected = base64.b64encode(b"sloscope:pa55word!").decode()
    assert stub.requests[0].headers["authorization"] == f"Basic {expected}"
    assert expected not in str(err.value)


def test_user_info_in_the_url_never_reaches_a_message() -> None:
    url = f"http://bob:hunter22@127.0.0.1:{free_port()}/prom"
    src = PrometheusSource(url, max_retries=0)
    with pytest.raises(SourceError) as err:
        src.fetch([RATIO], T0, T0 + STEP, STEP)
    assert "hunter22" not in str(err.value)
    assert "bob" not in str(err.value)
    assert str(err.value).startswith("Prometheus at http://127.0.0.1:")
    assert "hunter22" not in repr(src)


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"bearer_token": f"{TOKEN}\nsecond-line"}, "the bearer token"),
        ({"bearer_token": f"{TOKEN}\x01"}, "the bearer token"),
        ({"headers": {"X-Scope-OrgID": f"{TOKEN}\r\nX-Evil: 1"}}, "header X-Scope-OrgID"),
        ({"headers": {"X-Scope-OrgID": f"{TOKEN}\u00e9"}}, "header X-Scope-OrgID"),
    ],
)
def test_a_credential_that_cannot_be_sent_is_a_config_error_that_never_shows_it(
    settings: dict[str, Any], setting: str
) -> None:
    """httpx would send the request and quote the bad header value in its error."""
    with pytest.raises(ConfigError) as err:
        PrometheusSource("http://127.0.0.1:9", **settings)
    assert TOKEN not in str(err.value)
    assert str(err.value).startswith(f"Prometheus source: {setting} has a character")


def test_a_url_without_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        PrometheusSource("prometheus:9090")


def test_a_missing_ca_file_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"ca_file=/nonexistent/ca\.pem"):
        PrometheusSource("https://127.0.0.1:9", ca_file="/nonexistent/ca.pem")


def test_ids_must_pair_with_slis() -> None:
    with pytest.raises(ValueError, match="1 ids, 2 SLIs"):
        PrometheusSource("http://127.0.0.1:9").fetch([RATIO, RATIO], T0, T0 + STEP, STEP, ids=["a"])


def test_grid_counts_are_float64_arrays_of_the_grid_length() -> None:
    with FakePrometheus(COUNTERS) as stub:
        [counts] = source(stub, concurrency=1).fetch([RATIO], T0, T0 + 4 * STEP, STEP)
    assert counts.good.dtype == np.float64
    assert counts.start == T0
    assert counts.end == T0 + 4 * STEP


def test_time_slice_slos_read_raw_series_even_when_rules_exist() -> None:
    # Their rules record bad slices; the engine needs the indicator's events.
    slices = TimeslicesSLI(indicator=RATIO, slice_seconds=60, target=0.95)
    recorded = [({"sloscope_id": "svc-a"}, 1.0)]
    counters = prometheus_counters(RATIO_SERIES[str(TOTAL)], ratio_levels, recorded)
    with FakePrometheus(with_rules(counters)) as stub:
        [counts] = source(stub, use_recording_rules="always").fetch(
            [slices], T0, T0 + STEP, STEP, ids=["svc-a"]
        )
    assert counts.note == "raw series"
    assert counts.total.tolist() == [4.0]
