"""Grouped SLOs through the CLI: a row and a JSON entry per route, the detail view of
each, and too many groups as exit 2 naming the SLO and the count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import CliRunner

AT = 1_790_000_000 // 3600 * 3600
SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata: {name: gateway}
spec:
  slos:
    - name: route-availability
      objective: 99.9
      window: 7d
      group_by: [route]
      sli:
        ratio:
          bad: req_total{code="500"}
          total: req_total
"""


def _counter(series: str, per_minute: int) -> list[str]:
    start = AT - 60 * 60
    return [f"{series} {per_minute * m} {start + m * 60}" for m in range(61)]


@pytest.fixture
def grouped(tmp_path: Path, sloscope: CliRunner) -> Path:
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "gateway.yaml").write_text(SPEC, encoding="utf-8")
    lines = [
        "# TYPE req counter",
        *_counter('req_total{route="/orders",code="200"}', 90),
        *_counter('req_total{route="/orders",code="500"}', 10),
        *_counter('req_total{route="/search",code="200"}', 100),
        "# EOF",
    ]
    (tmp_path / "m.om").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = sloscope("ingest", str(tmp_path / "m.om"), "-w", str(tmp_path))
    assert result.code == 0, result.stderr
    return tmp_path


def test_report_json_has_an_entry_with_a_group_per_route(
    grouped: Path, sloscope: CliRunner
) -> None:
    result = sloscope("report", "--json", "--at", str(AT), "-w", str(grouped))
    assert result.code == 0, result.stderr
    entries = json.loads(result.stdout)["slos"]
    # /orders: 10 bad of 100 a minute, 60 minutes: 600 bad of 6000.
    assert [(e["group"], e["total"], e["good"]) for e in entries] == [
        ({"route": "/orders"}, 6000.0, 5400.0),
        ({"route": "/search"}, 6000.0, 6000.0),
    ]


def test_the_detail_view_of_a_grouped_slo_shows_every_route(
    grouped: Path, sloscope: CliRunner
) -> None:
    result = sloscope("report", "--slo", "route-availability", "--at", str(AT), "-w", str(grouped))
    assert result.code == 0, result.stderr
    assert 'gateway / route-availability{route="/orders"}' in result.stdout
    assert 'gateway / route-availability{route="/search"}' in result.stdout


def test_more_groups_than_max_groups_exits_2_naming_the_slo_and_the_count(
    grouped: Path, sloscope: CliRunner
) -> None:
    (grouped / "sloscope.yaml").write_text("max_groups: 1\n", encoding="utf-8")
    result = sloscope("report", "--at", str(AT), "-w", str(grouped))
    assert result.code == 2
    assert "gateway.yaml:6: SLO gateway/route-availability groups by (route) into 2 groups" in (
        result.stderr.replace("\n", "")
    )
    assert "more than max_groups (1)" in result.stderr.replace("\n", "")


def test_an_adjustment_matching_one_route_excludes_its_steps_from_that_group_only(
    grouped: Path, sloscope: CliRunner
) -> None:
    (grouped / "sloscope.yaml").write_text(
        "adjustments:\n"
        "  - reason: known bad data on /orders\n"
        "    matchers: ['route=\"/orders\"']\n"
        f"    start: {AT - 1800}\n"
        "    duration: 30m\n",
        encoding="utf-8",
    )
    result = sloscope("report", "--json", "--at", str(AT), "-w", str(grouped))
    assert result.code == 0, result.stderr
    entries = json.loads(result.stdout)["slos"]
    # /orders keeps its first 30 minutes: 300 bad of 3000; /search is not matched.
    assert [(e["group"], e["total"], e["good"]) for e in entries] == [
        ({"route": "/orders"}, 3000.0, 2700.0),
        ({"route": "/search"}, 6000.0, 6000.0),
    ]
