"""The live evaluator over a fast burn: one page, one resolution, nothing twice.

Counts: 1000 requests a minute on a 1-day, 99.9 % SLO (budget: 1 bad request in 1000).
For 30 minutes from ``BURN`` one request in ten fails (burn rate 100); then none do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sloscope.alerting.evaluate import EvaluationOutcome, evaluate_once
from sloscope.alerting.silences import parse_matchers
from sloscope.store.alerts import AlertStates, alert_key
from sloscope.store.database import StateStore
from sloscope.store.outbox import Outbox
from sloscope.store.silences import Silences
from sloscope.testing import CapturingNotifier, FakeSource
from sloscope.workspace import Workspace

START = 1_800_000_000 - 1_800_000_000 % 3600
BURN = START + 1440 * 60  # a full day of clean traffic first
STOP = BURN + 30 * 60  # the errors stop

SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: checkout
  owner: team-payments
spec:
  slos:
    - name: availability
      objective: 99.9
      window: 1d
      sli:
        ratio:
          bad: http_requests_total{service="checkout", code=~"5.."}
          total: http_requests_total{service="checkout"}
"""

CONFIG = """\
notifiers:
  - {name: pager, type: webhook, url: "http://127.0.0.1:9/hook"}
routes:
  - {matchers: [severity=page], notifiers: [pager]}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A workspace with the checkout SLO and a route sending pages to ``pager``."""
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "sloscope.yaml").write_text(CONFIG, encoding="utf-8")
    return Workspace.open(tmp_path, env={})


def burn_counts() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The good and total counts of the module docstring, per minute from ``START``."""
    minutes = 1440 + 30 + 120
    total = np.full(minutes, 1000.0)
    good = total.copy()
    good[1440 : 1440 + 30] = 900.0
    return good, total


def fast_burn() -> FakeSource:
    """A source giving every SLI :func:`burn_counts`."""
    good, total = burn_counts()
    return FakeSource.from_minutes(start=START, good=good, total=total)


def run(
    ws: Workspace, store: StateStore, times: range, pager: CapturingNotifier
) -> list[EvaluationOutcome]:
    """Evaluate at each time of ``times`` with the fast-burn counts."""
    source = fast_burn()
    return [evaluate_once(ws, store, at, source=source, notifiers={"pager": pager}) for at in times]


def test_a_fast_burn_pages_once_and_resolves_once_after_the_hysteresis(
    workspace: Workspace, store: StateStore
) -> None:
    pager = CapturingNotifier("pager")
    run(workspace, store, range(BURN - 300, STOP + 60 * 60, 60), pager)
    assert [(m.severity, m.transition) for m in pager.messages] == [
        ("page", "firing"),
        ("page", "resolved"),
    ]
    fired, resolved = pager.messages
    # On a 1-day window the policy's factors shrink with the window, so the first bad
    # minute fires: its 1-hour window burns 100 × 1/60.
    assert fired.at == BURN + 60
    assert fired.dedup_key == alert_key("checkout", "availability", "page")
    assert fired.burn_rate == pytest.approx(100 / 60)
    # Resolved 15 minutes (resolve_after) after the last evaluation that fired, which
    # is after the errors stopped.
    assert resolved.at >= STOP + 15 * 60
    assert resolved.started_at == fired.at
    with store.transaction() as session:
        history = AlertStates(session).history(fired.dedup_key)
        assert [t.to_state for t in history] == ["firing", "resolved"]
        assert Outbox(session).counts() == {"pending": 0, "sent": 2, "dead": 0}


def test_evaluating_the_same_minute_again_changes_nothing(
    workspace: Workspace, store: StateStore
) -> None:
    pager = CapturingNotifier("pager")
    first = run(workspace, store, range(BURN, BURN + 15 * 60, 60), pager)
    again = run(workspace, store, range(BURN + 14 * 60, BURN + 15 * 60, 60), pager)
    assert sum(o.enqueued for o in first) == 1
    assert again[0].evaluated == 0
    assert again[0].enqueued == 0
    assert again[0].transitions == ()
    assert len(pager.messages) == 1
    with store.transaction() as session:
        assert Outbox(session).counts()["sent"] == 1


def test_a_silence_holds_the_page_but_the_alert_state_is_recorded(
    workspace: Workspace, store: StateStore
) -> None:
    with store.transaction() as session:
        Silences(session).add(
            [m.to_dict() for m in parse_matchers(["service=checkout"])],
            starts_at=BURN - 3600,
            ends_at=STOP + 7200,
            author="ops",
            comment="planned load test",
            now=BURN - 3600,
        )
    pager = CapturingNotifier("pager")
    outcomes = run(workspace, store, range(BURN, BURN + 20 * 60, 60), pager)
    assert pager.attempts == []
    assert outcomes[-1].firing >= 1
    with store.transaction() as session:
        state = AlertStates(session).get(alert_key("checkout", "availability", "page"))
        assert state is not None
        assert state.state == "firing"
        assert Outbox(session).counts() == {"pending": 0, "sent": 0, "dead": 0}


GROUPED = SPEC.replace("      window: 1d\n", "      window: 1d\n      group_by: [route]\n")


def test_each_group_of_a_grouped_slo_is_its_own_alert_and_one_notification_groups_them(
    tmp_path: Path, store: StateStore
) -> None:
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(GROUPED, encoding="utf-8")
    (tmp_path / "sloscope.yaml").write_text(CONFIG, encoding="utf-8")
    ws = Workspace.open(tmp_path, env={})
    sli = ws.services()[0].slos[0].sli
    burning = burn_counts()
    source = FakeSource(
        START,
        {},
        groups={sli: {(("route", "/orders"),): burning, (("route", "/search"),): burning}},
    )
    pager = CapturingNotifier("pager")
    outcomes = [
        evaluate_once(ws, store, at, source=source, notifiers={"pager": pager})
        for at in range(BURN, BURN + 5 * 60, 60)
    ]
    assert outcomes[-1].evaluated == 2
    [message] = pager.messages
    assert message.labels["route"] == "/orders"
    assert [(r.slo, r.relation) for r in message.related if r.severity == "page"] == [
        ("availability", "grouped")
    ]
    with store.transaction() as session:
        for route in ("/orders", "/search"):
            key = alert_key("checkout", "availability", "page", f'{{route="{route}"}}')
            state = AlertStates(session).get(key)
            assert state is not None
            assert state.state == "firing"
            # Spent so far, each group on its own counts: 3 bad minutes of 100 after
            # firing, over a 1440-request budget.
            assert state.fired_at == BURN + 60
            assert state.budget_consumed == pytest.approx(3 * 100 / 1440)
