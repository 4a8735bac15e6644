"""Budget policy decisions: the steps, the wording, and no data."""

from __future__ import annotations

import pytest

from sloscope.policy.budget import (
    DEFAULT_POLICY,
    BudgetPolicy,
    BudgetStep,
    PolicyDecision,
    decide,
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
