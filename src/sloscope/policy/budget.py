"""Budget policies: steps on the error budget consumed and the burn rate.

The default policy is the one most teams agree on first: **notify** the owners at 50%
consumed, **freeze** risky releases at 90%. A policy is data (project config), the
decision is a pure function of the figures an evaluation measured, so the report, the
gate and the server agree on it.

A step holds when every condition it states holds: ``consumed`` (a share of the SLO
window's budget) and/or ``burn_rate`` over a lookback (``burn_window`` seconds). Steps
are alternatives: of the steps that hold, the most severe one decides (freeze over
warn over allow, then the higher threshold). Each step also says what it means for a
release (``release``): ``allow``, ``warn`` or ``freeze``; by default ``notify`` warns and
``freeze`` freezes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from sloscope.spec.durations import format_duration

PolicyState = Literal["ok", "notify", "freeze", "unknown"]
StepAction = Literal["notify", "freeze"]
ReleaseAction = Literal["allow", "warn", "freeze"]

_RANK: Mapping[str, int] = {"ok": 0, "notify": 1, "freeze": 2}
#: How severe each release meaning is: the most severe step that holds decides.
RELEASE_RANK: Mapping[str, int] = {"allow": 0, "warn": 1, "freeze": 2}
_DEFAULT_RELEASE: Mapping[str, ReleaseAction] = {"notify": "warn", "freeze": "freeze"}


class BudgetStep(NamedTuple):
    """Take ``action`` once ``consumed`` (a fraction, 0.5 = 50%) of the budget is spent.

    ``burn_rate`` with ``burn_window`` (seconds) adds a burn-rate condition: the step
    holds while the SLO burns at least that fast over that lookback. A step with both
    conditions holds when both do. ``release`` (default from ``action``: ``notify``
    warns, ``freeze`` freezes) is what the step means for a release.
    """

    consumed: float | None
    action: StepAction
    burn_rate: float | None = None
    burn_window: int | None = None
    release: ReleaseAction | None = None

    @property
    def release_action(self) -> ReleaseAction:
        """What this step means for a release."""
        return self.release or _DEFAULT_RELEASE[self.action]

    def holds(self, consumed: float, burn_rates: Mapping[int, float | None]) -> bool:
        """Whether every condition of the step holds for these figures."""
        if self.consumed is not None and consumed < self.consumed:
            return False
        if self.burn_rate is not None:
            burn = burn_rates.get(self.burn_window or 0)
            if burn is None or burn < self.burn_rate:
                return False
        return True


class ExceptionKind(NamedTuple):
    """A kind of change a freeze still lets through, and who may grant it.

    Every use needs a reason; ``granted_by`` names the role that may approve one (for
    the policy document), ``description`` says what the kind covers.
    """

    kind: str
    granted_by: str = ""
    description: str = ""


class PolicyScope(NamedTuple):
    """The SLOs a policy governs without their specs naming it.

    ``services`` (names), ``journeys`` (``service/journey``), ``slos`` (``service/slo``);
    the most specific match wins: an SLO, then a journey, then a service.
    """

    services: tuple[str, ...] = ()
    journeys: tuple[str, ...] = ()
    slos: tuple[str, ...] = ()

    def specificity(self, service: str, journey: str | None, slo: str) -> int:
        """3 for a named SLO, 2 for its journey, 1 for its service, 0 for no match."""
        if f"{service}/{slo}" in self.slos:
            return 3
        if journey is not None and f"{service}/{journey}" in self.journeys:
            return 2
        return 1 if service in self.services else 0


class PolicyText(NamedTuple):
    """What the written policy says beyond the numbers (see ``sloscope policy doc``)."""

    owner: str = ""
    description: str = ""
    freeze_means: str = ""
    escalation: tuple[str, ...] = ()
    review: str = ""
    approvers: tuple[str, ...] = ()


class BudgetPolicy(NamedTuple):
    """A named list of budget steps and what a freeze allows.

    ``on_no_data`` says what a gate decides when there is no data to judge: ``open``
    (allow, with a warning) or ``closed`` (cannot decide). ``exceptions`` are the kinds
    of change a freeze still lets through (e.g. ``security``, ``incident-fix``).
    """

    name: str
    steps: tuple[BudgetStep, ...]
    on_no_data: Literal["open", "closed"] = "open"
    exceptions: tuple[ExceptionKind, ...] = (
        ExceptionKind("security"),
        ExceptionKind("incident-fix"),
        ExceptionKind("rollback"),
    )
    scope: PolicyScope = PolicyScope()
    text: PolicyText = PolicyText()

    @property
    def exception_kinds(self) -> tuple[str, ...]:
        """The names of the exception kinds this policy allows during a freeze."""
        return tuple(e.kind for e in self.exceptions)

    @property
    def burn_windows(self) -> tuple[int, ...]:
        """The lookbacks (seconds) the steps read burn rates over, shortest first."""
        return tuple(sorted({s.burn_window for s in self.steps if s.burn_window}))


DEFAULT_POLICY = BudgetPolicy(
    name="default",
    steps=(BudgetStep(0.5, "notify"), BudgetStep(0.9, "freeze")),
)


class PolicyDecision(NamedTuple):
    """The state a budget policy puts an SLO in, with the reasons a person can read."""

    state: PolicyState
    reasons: tuple[str, ...] = ()


def format_percent(fraction: float) -> str:
    """A fraction as a percent with at most one decimal (0.896 → ``89.6%``)."""
    # One decimal: 89.6% must not read as "90%" next to a freeze step at 90%.
    return f"{fraction * 100.0:.1f}".removesuffix(".0") + "%"


def format_rate(rate: float) -> str:
    """A burn rate with at most one decimal (14.44 → ``14.4``)."""
    return f"{rate:.1f}".removesuffix(".0")


def reached_step(
    policy: BudgetPolicy, consumed: float, burn_rates: Mapping[int, float | None] | None = None
) -> BudgetStep | None:
    """The step that decides for these figures: the most severe that holds, or None."""
    rates = burn_rates or {}
    held = [s for s in policy.steps if s.holds(consumed, rates)]
    if not held:
        return None
    return max(
        held,
        key=lambda s: (RELEASE_RANK[s.release_action], _RANK[s.action], s.consumed or 0.0),
    )


def held_steps(
    policy: BudgetPolicy,
    consumed: float | None,
    burn_rates: Mapping[int, float | None] | None = None,
) -> frozenset[int]:
    """The indices of the policy's steps that hold for these figures (none without data).

    Kept per SLO between evaluations, it makes notifications fire once per crossing:
    see :func:`crossed`.
    """
    if consumed is None:
        return frozenset()
    rates = burn_rates or {}
    return frozenset(i for i, step in enumerate(policy.steps) if step.holds(consumed, rates))


def crossed(before: frozenset[int], now: frozenset[int]) -> tuple[int, ...]:
    """The steps crossed since the last evaluation: held now, not held before.

    A step that stays held is not crossed again; one that stops holding (the budget
    recovered) and holds again later is a new crossing.
    """
    return tuple(sorted(now - before))


def describe_step(step: BudgetStep, verb: str) -> str:
    """A step's conditions after ``verb`` (``freeze at 90%``, ``warn at 2 over 1h``)."""
    parts = []
    if step.consumed is not None:
        parts.append(format_percent(step.consumed))
    if step.burn_rate is not None and step.burn_window:
        parts.append(
            f"a burn rate of {format_rate(step.burn_rate)} over {format_duration(step.burn_window)}"
        )
    return f"{verb} at {' and '.join(parts)}"


def decide(
    policy: BudgetPolicy,
    consumed: float | None,
    burn_rates: Mapping[int, float | None] | None = None,
) -> PolicyDecision:
    """The policy state for a budget consumed fraction (None: no data).

    ``burn_rates`` (lookback seconds → burn rate) feed the steps with a burn condition.

    >>> decide(DEFAULT_POLICY, 0.58)
    PolicyDecision(state='notify', reasons=('58% of the error budget consumed (notify at 50%)',))
    """
    if consumed is None:
        return PolicyDecision(
            "unknown", ("no data in the SLO window: the budget cannot be judged",)
        )
    step = reached_step(policy, consumed, burn_rates)
    if step is None:
        return PolicyDecision("ok", ())
    reason = f"{format_percent(consumed)} of the error budget consumed"
    if step.burn_window and burn_rates:
        burn = burn_rates.get(step.burn_window)
        if burn is not None:
            reason += f", burn rate {format_rate(burn)}"
    return PolicyDecision(step.action, (f"{reason} ({describe_step(step, step.action)})",))


def policy_for(
    service: str,
    slo_name: str,
    journey: str | None,
    chosen: str,
    policies: Mapping[str, BudgetPolicy],
) -> BudgetPolicy:
    """The policy that governs an SLO: the one its spec names (``chosen``) unless that is
    ``default``, then the most specific scoped policy, then ``default``."""
    if chosen != DEFAULT_POLICY.name:
        return policies[chosen]
    best, best_rank = policies.get(DEFAULT_POLICY.name, DEFAULT_POLICY), 0
    for policy in policies.values():
        rank = policy.scope.specificity(service, journey, slo_name)
        if rank > best_rank:
            best, best_rank = policy, rank
    return best


def worst(states: Sequence[PolicyState]) -> PolicyState:
    """The most severe of several states (freeze > notify > ok); unknown only if all are."""
    known = [s for s in states if s != "unknown"]
    if not known:
        return "unknown"
    return max(known, key=lambda s: _RANK[s])
