"""Budget policies: steps on the share of the error budget consumed.

The default policy is the one most teams agree on first: **notify** the owners at 50%
consumed, **freeze** risky releases at 90%. A policy is data (project config), the
decision is a pure function of the budget consumed, so the report, the gate and the
server agree on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

PolicyState = Literal["ok", "notify", "freeze", "unknown"]
StepAction = Literal["notify", "freeze"]

_RANK: Mapping[str, int] = {"ok": 0, "notify": 1, "freeze": 2}


@dataclass(frozen=True)
class BudgetStep:
    """Take ``action`` once ``consumed`` (a fraction, 0.5 = 50%) of the budget is spent."""

    consumed: float
    action: StepAction


@dataclass(frozen=True)
class BudgetPolicy:
    """A named list of budget steps and what a freeze allows.

    ``on_no_data`` says what a gate decides when there is no data to judge: ``open``
    (allow, with a warning) or ``closed`` (refuse). ``exceptions`` are the kinds of
    change a freeze still lets through (e.g. ``security``, ``incident-fix``).
    """

    name: str
    steps: tuple[BudgetStep, ...]
    on_no_data: Literal["open", "closed"] = "open"
    exceptions: tuple[str, ...] = ("security", "incident-fix", "rollback")


DEFAULT_POLICY = BudgetPolicy(
    name="default",
    steps=(BudgetStep(0.5, "notify"), BudgetStep(0.9, "freeze")),
)


@dataclass(frozen=True)
class PolicyDecision:
    """The state a budget policy puts an SLO in, with the reasons a person can read."""

    state: PolicyState
    reasons: tuple[str, ...] = field(default=())


def _percent(fraction: float) -> str:
    # One decimal: 89.6% must not read as "90%" next to a freeze step at 90%.
    return f"{fraction * 100.0:.1f}".removesuffix(".0") + "%"


def decide(policy: BudgetPolicy, consumed: float | None) -> PolicyDecision:
    """The policy state for a budget consumed fraction (None: no data).

    >>> decide(DEFAULT_POLICY, 0.58)
    PolicyDecision(state='notify', reasons=('58% of the error budget consumed (notify at 50%)',))
    """
    if consumed is None:
        return PolicyDecision(
            "unknown", ("no data in the SLO window: the budget cannot be judged",)
        )
    reached = [s for s in policy.steps if consumed >= s.consumed]
    if not reached:
        return PolicyDecision("ok", ())
    step = max(reached, key=lambda s: (_RANK[s.action], s.consumed))
    return PolicyDecision(
        step.action,
        (
            f"{_percent(consumed)} of the error budget consumed "
            f"({step.action} at {_percent(step.consumed)})",
        ),
    )


def worst(states: Sequence[PolicyState]) -> PolicyState:
    """The most severe of several states (freeze > notify > ok); unknown only if all are."""
    known = [s for s in states if s != "unknown"]
    if not known:
        return "unknown"
    return max(known, key=lambda s: _RANK[s])
