"""Errors from the real Prometheus reach the user as its own words, with the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DEMO_END, Demo, StartPrometheus
from sloscope.errors import SourceError
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import PromQLSLI, RatioSLI
from sloscope.spec.selectors import parse_selector

STEP = 60
START = DEMO_END - 3600
SEARCH = 'http_requests_total{service="search", route="/search"}'


def test_a_promql_parse_error_shows_prometheus_own_message(demo: Demo) -> None:
    sli = PromQLSLI(good="sum(rate(up[{{window}}])", total="sum(rate(up[{{window}}]))")
    with (
        PrometheusSource(demo.prometheus.url, max_retries=0) as source,
        pytest.raises(SourceError) as err,
    ):
        source.fetch([sli], START, DEMO_END, STEP)
    assert str(err.value) == (
        f"Prometheus at {demo.prometheus.url}: HTTP 400 for 'sum(rate(up[60s])': bad_data: "
        "1:18: parse error: unclosed left parenthesis"
    )


def test_an_expression_giving_several_series_names_them(demo: Demo) -> None:
    sli = PromQLSLI(
        good=f"sum by (code) (increase({SEARCH}[{{{{window}}}}]))",
        total=f"sum(increase({SEARCH}[{{{{window}}}}]))",
    )
    with PrometheusSource(demo.prometheus.url) as source, pytest.raises(SourceError) as err:
        source.fetch([sli], START, DEMO_END, STEP)
    assert 'returned 2 series where one was expected: {code="200"}; {code="500"}' in str(err.value)


def test_a_promql_sli_counts_with_the_step_as_window(demo: Demo) -> None:
    # On 60s samples aligned with the grid, increase() over [60s] sees both edge samples
    # (ranges are closed in 2.42) and needs no extrapolation: the raw counts exactly.
    promql = PromQLSLI(
        bad=f'sum(increase({SEARCH[:-1]}, code=~"5.."}}[{{{{window}}}}]))',
        total=f"sum(increase({SEARCH}[{{{{window}}}}]))",
    )
    ratio = RatioSLI(
        total=parse_selector(SEARCH), bad=parse_selector(SEARCH[:-1] + ', code=~"5.."}')
    )
    with PrometheusSource(demo.prometheus.url) as source:
        from_promql, from_selectors = source.fetch([promql, ratio], START, DEMO_END, STEP)
    assert from_promql.note == "promql at 60s"
    assert from_promql.series == 1
    assert from_promql.total.tolist() == from_selectors.total.tolist()
    assert from_promql.good.tolist() == from_selectors.good.tolist()


def test_a_selector_matching_nothing_is_no_data_not_zero_events(demo: Demo) -> None:
    sli = RatioSLI(total=parse_selector("nothing_total"), good=parse_selector("nothing_total"))
    with PrometheusSource(demo.prometheus.url) as source:
        [counts] = source.fetch([sli], START, DEMO_END, STEP)
    assert counts.series == 0
    assert counts.total.tolist() == [0.0] * 60


def test_asking_for_more_points_than_the_server_allows_shows_its_limit(demo: Demo) -> None:
    sli = RatioSLI(total=parse_selector(SEARCH), good=parse_selector(SEARCH))
    start = DEMO_END - 12_000 * STEP
    with (
        PrometheusSource(demo.prometheus.url, step_limit=12_000) as source,
        pytest.raises(
            SourceError, match="exceeded maximum resolution of 11,000 points per timeseries"
        ),
    ):
        source.fetch([sli], start, DEMO_END, STEP)
    # The default splits the range instead.
    with PrometheusSource(demo.prometheus.url) as source:
        [counts] = source.fetch([sli], start, DEMO_END, STEP)
    assert len(counts.total) == 12_000
    assert counts.total[-1] > 0


def test_a_stopped_server_is_reported_unreachable_with_its_url(
    tmp_path: Path, prometheus_factory: StartPrometheus
) -> None:
    server = prometheus_factory(tmp_path / "data")
    server.stop()
    sli = RatioSLI(total=parse_selector(SEARCH), good=parse_selector(SEARCH))
    with (
        PrometheusSource(server.url, max_retries=1, backoff=0.01) as source,
        pytest.raises(SourceError) as err,
    ):
        source.fetch([sli], START, DEMO_END, STEP)
    assert str(err.value).startswith(f"Prometheus at {server.url}: cannot connect (2 attempt(s)): ")
    assert "Connection refused" in str(err.value)
