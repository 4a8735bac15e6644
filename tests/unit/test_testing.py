"""The test doubles users get in sloscope.testing: a fake source and a fake Prometheus."""

from __future__ import annotations

import doctest
from pathlib import Path

import httpx
import numpy as np
import pytest

import sloscope.testing
from sloscope.errors import SourceError
from sloscope.sources.base import Source
from sloscope.spec.model import RatioSLI
from sloscope.spec.selectors import parse_selector
from sloscope.testing import FakePrometheus, FakeSource, PrometheusAnswer, success
from sloscope.workspace import Workspace

START = 1_795_000_020 // 3600 * 3600  # an hour edge
DAY = 86_400
SLI = RatioSLI(total=parse_selector("req_total"), good=parse_selector('req_total{code="200"}'))

SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: shop
  owner: team-shop
spec:
  slos:
    - name: availability
      objective: 99.5
      window: 7d
      sli:
        ratio:
          good: req_total{code="200"}
          total: req_total
    - name: five-minute-slices
      objective: 99
      window: 7d
      sli:
        timeslices:
          slice: 5m
          target: 0.99
          ratio:
            good: req_total{code="200"}
            total: req_total
    - name: nothing-matches
      objective: 99
      window: 7d
      sli:
        ratio:
          good: missing_total{code="200"}
          total: missing_total
"""


def test_the_tutorials_in_the_docstrings_run_as_written() -> None:
    result = doctest.testmod(sloscope.testing, raise_on_error=False)
    assert result.attempted >= 6
    assert result.failed == 0


def test_the_fake_source_is_a_source() -> None:
    assert isinstance(FakeSource.from_minutes(start=START, good=[1.0], total=[1.0]), Source)


def test_steps_sum_their_minutes_and_minutes_beyond_the_counts_hold_none() -> None:
    source = FakeSource.from_minutes(start=START, good=[1, 2, 3, 4, 5], total=[2, 2, 4, 4, 6])
    [counts] = source.fetch([SLI], START - 120, START + 240, 120)
    # Steps (START-120, START], (START, START+120], (START+120, START+240].
    assert counts.good.tolist() == [0.0, 3.0, 7.0]
    assert counts.total.tolist() == [0.0, 4.0, 8.0]
    assert counts.series == 1
    assert source.calls[0].step == 120


def test_an_sli_without_counts_matches_no_series() -> None:
    other = RatioSLI(total=parse_selector("other_total"), bad=parse_selector("other_errors"))
    source = FakeSource(START, {SLI: ([1.0], [1.0])})
    [counts] = source.fetch([other], START, START + 60, 60)
    assert counts.series == 0
    assert counts.total.tolist() == [0.0]


def test_a_step_of_part_of_a_minute_is_a_source_error() -> None:
    source = FakeSource.from_minutes(start=START, good=[1.0], total=[1.0])
    with pytest.raises(SourceError, match="whole minutes"):
        source.fetch([SLI], START, START + 30, 30)


def test_counts_of_two_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one length"):
        FakeSource.from_minutes(start=START, good=[1.0, 2.0], total=[1.0])


def _cumulative_lines(name: str, per_minute: np.ndarray) -> list[str]:
    values = np.concatenate([[0.0], np.cumsum(per_minute)])
    return [f"{name} {v:.0f} {START + 60 * i}" for i, v in enumerate(values.tolist())]


def test_the_fake_source_gives_the_report_the_embedded_store_gives_on_the_same_counts(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    minutes = 9 * 1440
    total = rng.poisson(50, minutes).astype(float)
    bad = rng.binomial(total.astype(int), 0.004).astype(float)
    bad[-90:-30] = total[-90:-30] // 4  # an incident an hour before the end
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "shop.yaml").write_text(SPEC, encoding="utf-8")
    text = "\n".join(
        [
            "# TYPE req counter",
            *_cumulative_lines('req_total{code="200"}', total - bad),
            *_cumulative_lines('req_total{code="500"}', bad),
            "# EOF",
            "",
        ]
    )
    (tmp_path / "metrics.om").write_text(text, encoding="utf-8")
    ws = Workspace.open(tmp_path)
    ws.ingest(tmp_path / "metrics.om")
    at = START + minutes * 60
    sli = ws.services()[0].slos[0].sli

    stored = ws.report(at=at)  # the workspace's own source: the embedded store
    fake = FakeSource(START, {sli: (total - bad, total)})
    faked = ws.report(at=at, source=fake)

    assert len(faked.results) == 3
    for ours, theirs in zip(faked.results, stored.results, strict=True):
        assert ours.status == theirs.status
        assert ours.decision == theirs.decision
        assert ours.has_data == theirs.has_data
    assert stored.source == "embedded"
    assert faked.results[0].status.alerts  # the incident pages: the comparison saw a burn
    assert faked.results[1].status.unit == "slices"
    assert not faked.results[2].has_data
    assert not fake.closed  # a source passed in stays the caller's


def test_the_fake_prometheus_reads_get_queries_and_records_headers() -> None:
    with FakePrometheus(lambda request: success(request.form)) as prometheus:
        client = prometheus.client(headers={"X-Scope-OrgID": "t1"})
        answer = client.get(f"{prometheus.url}/api/v1/query", params={"query": "up"})
    assert answer.json() == {"status": "success", "data": {"query": ["up"]}}
    [seen] = prometheus.requests
    assert (seen.method, seen.path, seen.one("query")) == ("GET", "/api/v1/query", "up")
    assert seen.headers["x-scope-orgid"] == "t1"
    assert client.is_closed


def test_a_text_answer_is_sent_as_an_html_page_with_its_headers() -> None:
    page = PrometheusAnswer(502, text="<html>bad gateway</html>", headers={"Retry-After": "3"})
    with FakePrometheus(lambda request: page) as prometheus:
        answer = prometheus.client().post(f"{prometheus.url}/api/v1/series", data={"a": "b"})
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "text/html"
    assert answer.headers["retry-after"] == "3"
    assert answer.text == "<html>bad gateway</html>"
    assert isinstance(prometheus.transport, httpx.MockTransport)
