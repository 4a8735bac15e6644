"""A grouped SLO in a report: one status per route, figures computed by hand.

``shop/route-availability`` (99.9% over 28d, budget 0.001) groups by route. Over the two
hours before ``AT`` the embedded store holds, per minute:

- ``/orders``: 980 good and 20 bad requests: an error ratio of 20/1000 = 0.02, a burn
  rate of 0.02 / 0.001 = 20 over every lookback, and 120 × 20 = 2400 bad of 120,000
  requests: 2400 / (0.001 × 120,000) = 20 budgets consumed (2000%);
- ``/search``: 1000 good: SLI 1, burn 0, nothing consumed;
- ``/new``, from minute 60 on: 495 good and 5 bad: its history starts at its first
  sample (the step ending at minute 60, counting 0), then 60 minutes of 500 requests:
  300 bad of 30,000, error ratio 0.01, burn 10 over the last hour, 10 budgets consumed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sloscope.errors import ConfigError, NotFoundError
from sloscope.report.groups import find_group
from sloscope.report.json import render_json
from sloscope.report.markdown import render_markdown
from sloscope.workspace import Workspace

START = 1_790_000_000 // 3600 * 3600
AT = START + 120 * 60
SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata: {name: shop}
spec:
  slos:
    - name: route-availability
      objective: 99.9
      window: 28d
      group_by: [route]
      sli:
        ratio:
          bad: req_total{code="500"}
          total: req_total
    - name: all-availability
      objective: 99.9
      window: 28d
      sli:
        ratio:
          bad: req_total{code="500"}
          total: req_total
"""


def _counter(series: str, per_minute: int, first: int) -> list[str]:
    return [f"{series} {per_minute * (m - first)} {START + m * 60}" for m in range(first, 121)]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "shop.yaml").write_text(SPEC, encoding="utf-8")
    lines = [
        "# TYPE req counter",
        *_counter('req_total{route="/orders",code="200"}', 980, 0),
        *_counter('req_total{route="/orders",code="500"}', 20, 0),
        *_counter('req_total{route="/search",code="200"}', 1000, 0),
        *_counter('req_total{route="/new",code="200"}', 495, 60),
        *_counter('req_total{route="/new",code="500"}', 5, 60),
        "# EOF",
        "",
    ]
    (tmp_path / "metrics.om").write_text("\n".join(lines), encoding="utf-8")
    ws = Workspace.open(tmp_path)
    ws.ingest(tmp_path / "metrics.om")
    return ws


def test_each_route_has_its_own_status_and_only_the_burning_one_burns(
    workspace: Workspace,
) -> None:
    report = workspace.report(at=AT, trends=False)
    grouped = {r.name: r for r in report.results if r.slo.group_by}
    assert list(grouped) == [
        'route-availability{route="/new"}',
        'route-availability{route="/orders"}',
        'route-availability{route="/search"}',
    ]
    orders = grouped['route-availability{route="/orders"}'].status
    assert orders.sli == pytest.approx(0.98)
    assert orders.consumed == pytest.approx(20.0)
    assert orders.burn_rates[3600] == pytest.approx(20.0)
    assert orders.alerts  # 20x over 1h and 5m: above the 13.44x page row
    search = grouped['route-availability{route="/search"}'].status
    assert (search.sli, search.consumed, search.burn_rates[3600]) == (1.0, 0.0, 0.0)
    assert not search.alerts


def test_a_route_appearing_mid_window_is_judged_over_its_own_history(
    workspace: Workspace,
) -> None:
    report = workspace.report(at=AT, trends=False)
    [new] = [r for r in report.results if r.group == (("route", "/new"),)]
    assert new.status.good + (new.status.total - new.status.good) == 30_000
    assert new.status.sli == pytest.approx(0.99)
    assert new.status.consumed == pytest.approx(10.0)
    assert new.status.burn_rates[3600] == pytest.approx(10.0)
    # Its data starts with the step of its first sample (ending at minute 60): 61 minutes
    # of the 28 days; /orders' first sample ends the step before START: 121 minutes.
    [orders] = [r for r in report.results if r.group == (("route", "/orders"),)]
    assert new.status.coverage == pytest.approx(61 * 60 / (28 * 86400))
    assert orders.status.coverage == pytest.approx(121 * 60 / (28 * 86400))


def test_json_entries_of_a_grouped_slo_carry_a_group_object_and_others_none(
    workspace: Workspace,
) -> None:
    entries = json.loads(render_json(workspace.report(at=AT, trends=False)))["slos"]
    grouped = [e for e in entries if e["slo"] == "route-availability"]
    assert [e["group"] for e in grouped] == [
        {"route": "/new"},
        {"route": "/orders"},
        {"route": "/search"},
    ]
    assert list(grouped[0])[:3] == ["service", "slo", "group"]
    [plain] = [e for e in entries if e["slo"] == "all-availability"]
    assert "group" not in plain
    # The ungrouped SLO over all routes: 2400 + 300 bad of 120,000 + 120,000 + 30,000.
    assert plain["total"] == 270_000
    assert plain["good"] == 270_000 - 2_700


def test_the_policy_reasons_and_the_markdown_rows_name_the_group(workspace: Workspace) -> None:
    report = workspace.report(at=AT, trends=False)
    [orders] = [r for r in report.results if r.group == (("route", "/orders"),)]
    assert orders.decision.reasons
    assert all(r.startswith('{route="/orders"}: ') for r in orders.decision.reasons)
    assert "2000% of the error budget consumed" in orders.decision.reasons[0]
    assert 'route-availability{route="/orders"}' in render_markdown(report)


def test_the_gate_evaluates_every_group_and_names_the_one_that_freezes(
    workspace: Workspace,
) -> None:
    decision = workspace.gate("shop", AT)
    assert (decision.decision, decision.exit_code) == ("freeze", 1)
    assert len(decision.slos) == 4  # three routes and the ungrouped SLO
    verdicts = {v.figures.slo: v.verdict for v in decision.slos}
    assert verdicts['route-availability{route="/orders"}'] == "freeze"
    assert verdicts['route-availability{route="/search"}'] == "allow"
    assert any('shop/route-availability{route="/orders"}' in r for r in decision.reasons)


def test_more_groups_than_max_groups_is_an_error_naming_the_slo_and_the_count(
    workspace: Workspace,
) -> None:
    (workspace.root / "sloscope.yaml").write_text("max_groups: 2\n", encoding="utf-8")
    limited = Workspace.open(workspace.root)
    with pytest.raises(ConfigError) as caught:
        limited.report(at=AT, trends=False)
    message = str(caught.value)
    assert message.startswith(f"{workspace.root / 'slos' / 'shop.yaml'}:6: ")
    assert (
        "SLO shop/route-availability groups by (route) into 3 groups, more than max_groups (2)"
        in message
    )


def test_a_group_is_found_by_the_text_report_names_it_and_a_missing_one_is_named() -> None:
    groups = [(("route", "/new"),), (("route", "/orders"),)]
    assert find_group(groups, '{route="/orders"}', "shop", "avail") == 1
    with pytest.raises(NotFoundError) as missing:
        find_group(groups, '{route="/gone"}', "shop", "avail")
    assert str(missing.value) == (
        "SLO 'avail' of 'shop' has no group '{route=\"/gone\"}'; "
        'its groups: {route="/new"}, {route="/orders"}'
    )
    with pytest.raises(NotFoundError, match=r"its groups: none$"):
        find_group([()], '{route="/new"}', "shop", "plain")  # an ungrouped SLO
    with pytest.raises(NotFoundError):
        find_group(groups, "", "shop", "avail")  # no group named: not the first one
