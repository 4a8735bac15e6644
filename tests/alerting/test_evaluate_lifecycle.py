"""The evaluator's records over an alert's life: the budget it spent while firing, the
``inactive`` end of a pending alert that never fired, silences judged at every
evaluation, and budget-policy crossings notified once per crossing.

Counts as in :mod:`tests.alerting.test_evaluate`: 1000 requests a minute on a 1-day,
99.9 % SLO, so the window's budget is 1440 bad requests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sloscope.alerting.evaluate import evaluate_once
from sloscope.alerting.silences import parse_matchers
from sloscope.store.alerts import AlertStates, alert_key
from sloscope.store.database import StateStore
from sloscope.store.silences import Silences
from sloscope.testing import CapturingNotifier, FakeSource
from sloscope.workspace import Workspace
from tests.alerting.test_evaluate import BURN, CONFIG, SPEC, START, STOP, run
from tests.store.conftest import Target

PAGE = alert_key("checkout", "availability", "page")
MINUTE = 60


def workspace_with(tmp_path: Path, config: str) -> Workspace:
    """The checkout workspace with ``config`` as its sloscope.yaml."""
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "checkout.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "sloscope.yaml").write_text(config, encoding="utf-8")
    return Workspace.open(tmp_path, env={})


def silence(store: StateStore, start: int, end: int) -> None:
    """Silence every checkout alert from ``start`` to ``end``."""
    with store.transaction() as session:
        Silences(session).add(
            [m.to_dict() for m in parse_matchers(["service=checkout"])],
            starts_at=start,
            ends_at=end,
            author="ops",
            comment="test",
            now=start,
        )


def test_a_resolved_page_records_the_budget_spent_between_firing_and_resolution(
    tmp_path: Path, store: StateStore
) -> None:
    ws = workspace_with(tmp_path, CONFIG)
    pager = CapturingNotifier("pager")
    run(ws, store, range(BURN, STOP + 60 * MINUTE, MINUTE), pager)
    fired, resolved = pager.messages
    with store.transaction() as session:
        state = AlertStates(session).get(PAGE)
        history = AlertStates(session).history(PAGE)
    assert state is not None
    assert state.state == "resolved"
    assert (state.fired_at, state.resolved_at) == (fired.at, resolved.at)
    # Minutes whose right edge lies in (fired, resolved]: the burn's minutes ending at
    # BURN+2m .. BURN+30m, 29 of them, 100 bad each; the window ending at the resolution
    # holds 1440 minutes of 1000 requests: a budget of 1440 bad requests.
    assert state.budget_consumed == pytest.approx(29 * 100 / 1440)
    assert history[-1].to_state == "resolved"
    assert history[-1].budget_consumed == pytest.approx(29 * 100 / 1440)
    # The peak burn rate: the 1-hour window's burn at its worst, 30 bad minutes of 60.
    assert state.peak_burn_rate == pytest.approx(100 * 30 / 60)
    assert history[-1].burn_rate == pytest.approx(100 * 30 / 60)


def test_the_budget_spent_while_firing_leaves_out_what_an_adjustment_excludes(
    tmp_path: Path, store: StateStore
) -> None:
    ws = workspace_with(tmp_path, CONFIG)
    pager = CapturingNotifier("pager")
    run(ws, store, range(BURN, BURN + 20 * MINUTE, MINUTE), pager)
    # Declared while the page fires: the minutes ending BURN+3m and BURN+4m were bad data.
    (tmp_path / "sloscope.yaml").write_text(
        CONFIG
        + "adjustments:\n"
        + f"  - {{reason: replayed traffic, start: {BURN + 2 * MINUTE}, duration: 2m,"
        + " kind: bad-data}\n",
        encoding="utf-8",
    )
    ws = Workspace.open(tmp_path, env={})
    run(ws, store, range(BURN + 20 * MINUTE, STOP + 60 * MINUTE, MINUTE), pager)
    assert [m.transition for m in pager.messages] == ["firing", "resolved"]
    with store.transaction() as session:
        state = AlertStates(session).get(PAGE)
    assert state is not None
    assert state.state == "resolved"
    # 27 of the 29 bad minutes count, in a window budget without the 2 minutes' events.
    assert state.budget_consumed == pytest.approx(27 * 100 / 1438)
    # The resolution's message tells the window's budget consumed, without them too: the
    # burn's 30 bad minutes less the 2.
    assert pager.messages[-1].budget_consumed == pytest.approx(28 * 100 / 1438)


def test_a_pending_alert_that_never_fires_ends_inactive_not_resolved(
    tmp_path: Path, store: StateStore
) -> None:
    # Three bad minutes hold the page's and ticket's conditions for at most their
    # longest short window (30 minutes here), never for the 2-hour pending time.
    ws = workspace_with(tmp_path, CONFIG + "alerting:\n  pending_for: 2h\n")
    good, total = np.full(1440 + 180, 1000.0), np.full(1440 + 180, 1000.0)
    good[1440:1443] = 900.0
    source = FakeSource.from_minutes(start=START, good=good, total=total)
    pager = CapturingNotifier("pager")
    for at in range(BURN, BURN + 150 * MINUTE, MINUTE):
        evaluate_once(ws, store, at, source=source, notifiers={"pager": pager})
    assert pager.messages == []
    with store.transaction() as session:
        states = AlertStates(session)
        page = states.get(PAGE)
        assert page is not None
        assert page.state == "inactive"
        assert (page.fired_at, page.resolved_at) == (None, None)
        assert [t.to_state for t in states.history(PAGE)] == ["pending", "inactive"]
        assert states.find(state="resolved") == []


def test_a_silence_made_while_a_page_fires_holds_its_resolution(
    tmp_path: Path, store: StateStore
) -> None:
    ws = workspace_with(tmp_path, CONFIG)
    pager = CapturingNotifier("pager")
    run(ws, store, range(BURN, BURN + 5 * MINUTE, MINUTE), pager)
    assert [m.transition for m in pager.messages] == ["firing"]
    silence(store, BURN + 5 * MINUTE, STOP + 120 * MINUTE)
    run(ws, store, range(BURN + 5 * MINUTE, STOP + 60 * MINUTE, MINUTE), pager)
    assert [m.transition for m in pager.messages] == ["firing"]
    with store.transaction() as session:
        state = AlertStates(session).get(PAGE)
    assert state is not None
    assert state.state == "resolved"


def test_a_page_held_by_a_silence_notifies_once_the_silence_expires(
    tmp_path: Path, store: StateStore
) -> None:
    ws = workspace_with(tmp_path, CONFIG)
    silence(store, BURN - 60 * MINUTE, BURN + 10 * MINUTE)
    pager = CapturingNotifier("pager")
    run(ws, store, range(BURN, BURN + 10 * MINUTE, MINUTE), pager)
    assert pager.messages == []
    run(ws, store, range(BURN + 10 * MINUTE, STOP + 60 * MINUTE, MINUTE), pager)
    fired, resolved = pager.messages
    assert (fired.transition, fired.at, fired.started_at) == (
        "firing",
        BURN + 10 * MINUTE,
        BURN + MINUTE,
    )
    assert resolved.transition == "resolved"


BUDGET_CONFIG = CONFIG.replace(
    "routes:\n",
    "  - {name: budget, type: webhook, url: 'http://127.0.0.1:9/budget'}\n"
    "routes:\n  - {matchers: [kind=budget-step], notifiers: [budget]}\n",
)


def two_burns() -> FakeSource:
    """Ten minutes of 10 % errors at ``BURN`` (69 % of the budget), and again a day and
    ten hours later, once the first burn has left the 1-day window."""
    minutes = 3 * 1440
    good, total = np.full(minutes, 1000.0), np.full(minutes, 1000.0)
    for first in (1440, 2 * 1440 + 600):
        good[first : first + 10] = 900.0
    return FakeSource.from_minutes(start=START, good=good, total=total)


def test_a_budget_step_is_notified_once_per_crossing_across_restarts(
    tmp_path: Path, target: Target
) -> None:
    ws = workspace_with(tmp_path, BUDGET_CONFIG)
    source = two_burns()
    budget = CapturingNotifier("budget")
    notifiers = {"pager": CapturingNotifier("pager"), "budget": budget}
    times = [BURN - 60 * MINUTE, BURN + 20 * MINUTE, BURN + 40 * MINUTE, BURN + 120 * MINUTE]
    for at in times:  # each evaluation with the store opened anew, as after a restart
        with target.open() as store:
            evaluate_once(ws, store, at, source=source, notifiers=notifiers)
    [crossed] = budget.messages
    assert crossed.labels["kind"] == "budget-step"
    assert crossed.at == BURN + 20 * MINUTE
    assert crossed.budget_consumed == pytest.approx(1000 / 1440)
    assert "notify step" in crossed.annotations["summary"]
    later = [BURN + 1440 * MINUTE + 60 * MINUTE, BURN + 1440 * MINUTE + 620 * MINUTE]
    for at in later:  # the first burn has left the window; the second crosses again
        with target.open() as store:
            evaluate_once(ws, store, at, source=source, notifiers=notifiers)
    assert [m.at for m in budget.messages] == [BURN + 20 * MINUTE, later[1]]
