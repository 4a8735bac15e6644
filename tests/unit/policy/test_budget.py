"""Budget policy decisions: the steps, the wording, and no data."""

from __future__ import annotations

import pytest

from sloscope.policy.budget import (
    DEFAULT_POLICY,
    BudgetPolicy,
    BudgetStep,
    PolicyDecision,
    PolicyScope,
    crossed,
    decide,
    held_steps,
    policy_for,
    worst,
)


@pytest.mark.parametrize(
    ("consumed", "state", "reasons"),
    [
        (0.0, "ok", ()),
        (0.4999, "ok", ()),
        (0.5, "notify", ("50% of the error budget consumed (notify at 50%)",)),
        (0.58, "notify", ("58% of the error budget consumed (notify at 50%)",)),
        (0.896, "notify", ("89.6% of the error budget consumed (notify at 50%)",)),
        (0.9, "freeze", ("90% of the error budget consumed (freeze at 90%)",)),
        (1.37, "freeze", ("137% of the error budget consumed (freeze at 90%)",)),
    ],
)
def test_default_policy_notifies_at_half_and_freezes_at_ninety_percent(
    consumed: float, state: str, reasons: tuple[str, ...]
) -> None:
    assert decide(DEFAULT_POLICY, consumed) == PolicyDecision(state, reasons)  # type: ignore[arg-type]


def test_no_data_is_unknown_with_a_reason() -> None:
    decision = decide(DEFAULT_POLICY, None)
    assert decision.state == "unknown"
    assert decision.reasons == ("no data in the SLO window: the budget cannot be judged",)


def test_freeze_wins_over_a_later_notify_step() -> None:
    policy = BudgetPolicy("odd", (BudgetStep(0.3, "freeze"), BudgetStep(0.6, "notify")))
    assert decide(policy, 0.7).state == "freeze"
    assert decide(policy, 0.7).reasons == ("70% of the error budget consumed (freeze at 30%)",)


def test_worst_state_ignores_unknown_unless_all_are() -> None:
    assert worst(["ok", "unknown", "notify"]) == "notify"
    assert worst(["freeze", "notify", "ok"]) == "freeze"
    assert worst(["unknown", "unknown"]) == "unknown"
    assert worst([]) == "unknown"


def test_a_burn_rate_step_holds_only_while_the_lookback_burns_that_fast() -> None:
    policy = BudgetPolicy(
        "fast",
        (BudgetStep(0.5, "notify"), BudgetStep(None, "freeze", burn_rate=10, burn_window=3600)),
    )
    assert decide(policy, 0.2, {3600: 12.0}) == PolicyDecision(
        "freeze",
        ("20% of the error budget consumed, burn rate 12 (freeze at a burn rate of 10 over 1h)",),
    )
    assert decide(policy, 0.2, {3600: 9.9}).state == "ok"
    assert decide(policy, 0.2, {3600: None}).state == "ok"
    assert decide(policy, 0.2).state == "ok"


def test_a_step_with_both_conditions_needs_both() -> None:
    step = BudgetStep(0.5, "freeze", burn_rate=2, burn_window=3600)
    assert step.holds(0.6, {3600: 2.0})
    assert not step.holds(0.4, {3600: 5.0})
    assert not step.holds(0.6, {3600: 1.9})


def test_each_action_has_a_default_meaning_for_releases() -> None:
    assert BudgetStep(0.5, "notify").release_action == "warn"
    assert BudgetStep(0.9, "freeze").release_action == "freeze"
    assert BudgetStep(0.5, "notify", release="allow").release_action == "allow"


def test_the_policy_of_an_slo_is_its_specs_choice_then_the_most_specific_scope() -> None:
    def scoped(name: str, **scope: tuple[str, ...]) -> BudgetPolicy:
        return BudgetPolicy(name, (BudgetStep(0.5, "notify"),), scope=PolicyScope(**scope))

    policies = {
        "default": DEFAULT_POLICY,
        "svc": scoped("svc", services=("checkout",)),
        "jrn": scoped("jrn", journeys=("checkout/cart",)),
        "one": scoped("one", slos=("checkout/cart-latency",)),
        "named": scoped("named"),
    }
    assert policy_for("checkout", "place-order", "orders", "default", policies).name == "svc"
    assert policy_for("checkout", "cart-availability", "cart", "default", policies).name == "jrn"
    assert policy_for("checkout", "cart-latency", "cart", "default", policies).name == "one"
    assert policy_for("checkout", "cart-latency", "cart", "named", policies).name == "named"
    assert policy_for("search", "find", None, "default", policies).name == "default"


def test_the_default_exceptions_are_security_incident_fixes_and_rollbacks() -> None:
    assert DEFAULT_POLICY.exception_kinds == ("security", "incident-fix", "rollback")


def test_a_step_is_crossed_once_until_the_budget_recovers_below_it() -> None:
    """Evaluations at 40%, 55%, 60%, 92%, 45%, 51%: notify at 55% and again at 51%
    (after recovering to 45%), freeze once at 92%."""
    held = frozenset[int]()
    crossings = []
    for consumed in (0.4, 0.55, 0.6, 0.92, 0.45, 0.51):
        now = held_steps(DEFAULT_POLICY, consumed)
        crossings.append(crossed(held, now))
        held = now
    assert crossings == [(), (0,), (), (1,), (), (0,)]


def test_no_data_holds_no_step() -> None:
    assert held_steps(DEFAULT_POLICY, None) == frozenset()
