"""A server's memo of the budget-policy steps it stored: repeated gate calls skip the
store while nothing changed, and a change made elsewhere is seen once the memo is old."""

from __future__ import annotations

import pytest

from sloscope.policy.budget import DEFAULT_POLICY
from sloscope.policy.gate import SLOFigures
from sloscope.records.gating import StepMemo, notify_budget_crossings
from sloscope.store.database import StateStore
from sloscope.store.gates import BudgetStepStates


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _figures(consumed: float) -> list[SLOFigures]:
    return [
        SLOFigures("checkout", "a", None, "28d", 0.999, DEFAULT_POLICY, consumed, None, {}),
    ]


def test_the_memo_trusts_what_it_stored_until_its_ttl() -> None:
    clock = Clock()
    memo = StepMemo(ttl=10, clock=clock)
    held = {"checkout/a": frozenset({0})}
    assert not memo.unchanged(held)  # never stored
    memo.remember(held)
    assert memo.unchanged(held)
    assert not memo.unchanged({"checkout/a": frozenset({0, 1})})  # another step held now
    assert not memo.unchanged({**held, "checkout/b": frozenset()})  # an SLO never stored
    clock.now = 10.5
    assert not memo.unchanged(held)  # too old: ask the store again


def test_a_gate_call_within_the_ttl_skips_the_store_and_one_after_it_sees_a_change(
    store: StateStore,
) -> None:
    clock = Clock()
    memo = StepMemo(ttl=10, clock=clock)

    def notify(consumed: float, at: int) -> int:
        with store.transaction() as session:
            return notify_budget_crossings(session, _figures(consumed), [], at, at, memo=memo)

    notify(0.6, 100)  # crosses the 50% step: stored, and remembered
    with store.transaction() as session:
        assert BudgetStepStates(session).get("checkout/a") == frozenset({0})
        # Another process stores that the SLO fell back under 50%.
        BudgetStepStates(session).swap("checkout/a", frozenset(), 110)
    notify(0.6, 120)  # same steps as remembered, within the ttl: the store is not asked
    with store.transaction() as session:
        assert BudgetStepStates(session).get("checkout/a") == frozenset()
    clock.now = 11
    notify(0.6, 130)  # the memo is old: the store is asked and the crossing is seen again
    with store.transaction() as session:
        assert BudgetStepStates(session).get("checkout/a") == frozenset({0})


@pytest.mark.parametrize("opened", ["session", "connection"])
def test_the_memo_keeps_only_what_was_committed(store: StateStore, opened: str) -> None:
    # The gate writes on a Core connection, the alert evaluator in an ORM session.
    begin = store.transaction if opened == "session" else store.connection
    memo = StepMemo(ttl=10, clock=Clock())
    held = {"checkout/a": frozenset({0})}
    try:
        with begin() as session:
            notify_budget_crossings(session, _figures(0.6), [], 100, 100, memo=memo)
            raise RuntimeError("the rest of the transaction failed")
    except RuntimeError:
        pass
    assert not memo.unchanged(held)  # rolled back: nothing stored, nothing remembered
    with begin() as session:
        notify_budget_crossings(session, _figures(0.6), [], 110, 110, memo=memo)
    assert memo.unchanged(held)
