"""Budget policies as written in ``sloscope.yaml`` (``budget_policies:``).

::

    budget_policies:
      - name: checkout
        scope: {services: [checkout]}          # or journeys: [svc/journey], slos: [svc/slo]
        steps:                                  # in order of consumed
          - {consumed: 50, action: notify}                  # release: warn
          - {burn_rate: 10, over: 1h, action: freeze}       # a fast burn freezes too
          - {consumed: 90, action: freeze}
        on_no_data: closed                      # no data: cannot decide (open: warn)
        exceptions:                             # kinds a freeze lets through, with a reason
          - {kind: hotfix, granted_by: the on-call lead}
          - rollback
        owner: team-payments                    # the rest is for `sloscope policy doc`
        freeze_means: Only fixes for reliability ship until the budget recovers.
        escalation: [the team lead, the head of engineering]
        review: quarterly
        approvers: [team-payments, sre]

The models turn into the plain :class:`~sloscope.policy.budget.BudgetPolicy` (fractions,
seconds) that the report and the gate use; :func:`scope_problems` finds two policies
claiming the same service, journey or SLO.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sloscope.policy.budget import (
    DEFAULT_POLICY,
    BudgetPolicy,
    BudgetStep,
    ExceptionKind,
    PolicyScope,
    PolicyText,
)
from sloscope.spec.durations import parse_duration

#: Exception kinds, scope names and texts are identifiers or short prose, not documents.
# Matched whole (fullmatch): "$" would let a name end in a newline.
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_TARGET = r"[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)?"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class BudgetStepConfig(_Strict):
    """One budget step: ``consumed`` percent and/or ``burn_rate`` ``over`` a lookback."""

    consumed: float | None = Field(default=None, gt=0, le=1000)
    burn_rate: float | None = Field(default=None, gt=0, le=100_000)
    over: str | None = None
    action: Literal["notify", "freeze"]
    release: Literal["allow", "warn", "freeze"] | None = None

    @field_validator("over")
    @classmethod
    def _over_is_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _conditions(self) -> BudgetStepConfig:
        if self.consumed is None and self.burn_rate is None:
            raise ValueError("a step needs consumed: (percent) and/or burn_rate: with over:")
        if (self.burn_rate is None) != (self.over is None):
            raise ValueError("burn_rate: and over: go together (e.g. burn_rate: 10, over: 1h)")
        if self.release is not None and (self.release == "freeze") != (self.action == "freeze"):
            raise ValueError(
                "release: freeze goes with action: freeze only; a notify step may allow or warn"
            )
        return self

    def to_step(self) -> BudgetStep:
        """The plain step (fractions and seconds)."""
        return BudgetStep(
            consumed=None if self.consumed is None else round(self.consumed / 100.0, 12),
            action=self.action,
            burn_rate=self.burn_rate,
            burn_window=None if self.over is None else parse_duration(self.over),
            release=self.release,
        )


class ExceptionKindConfig(_Strict):
    """An exception kind: its name, who may grant it, what it covers."""

    # pydantic matches with Rust's regex, whose "$" is the end of the text.
    kind: str = Field(pattern=f"^{_NAME}$", max_length=64)
    granted_by: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=1000)


class ScopeConfig(_Strict):
    """Which SLOs a policy governs: services, ``service/journey``, ``service/slo``."""

    services: list[str] = Field(default_factory=list)
    journeys: list[str] = Field(default_factory=list)
    slos: list[str] = Field(default_factory=list)

    @field_validator("services")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return _checked(value, _NAME, "a service name")

    @field_validator("journeys", "slos")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for item in value:
            if "/" not in item:
                raise ValueError(f"{item!r}: write SERVICE/NAME, e.g. checkout/{item}")
        return _checked(value, _TARGET, "SERVICE/NAME")


def _checked(values: list[str], pattern: str, what: str) -> list[str]:
    for value in values:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r} is not {what}")
    return values


def _default_exceptions() -> list[ExceptionKindConfig | str]:
    return list(DEFAULT_POLICY.exception_kinds)


class BudgetPolicyConfig(_Strict):
    """A budget policy as written in ``sloscope.yaml``."""

    name: str = Field(min_length=1)
    steps: list[BudgetStepConfig] = Field(min_length=1)
    on_no_data: Literal["open", "closed"] = "open"
    exceptions: list[ExceptionKindConfig | str] = Field(default_factory=_default_exceptions)
    scope: ScopeConfig = Field(default_factory=ScopeConfig)
    owner: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    freeze_means: str = Field(default="", max_length=4000)
    escalation: list[str] = Field(default_factory=list)
    review: str = Field(default="", max_length=200)
    approvers: list[str] = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def _ordered(cls, steps: list[BudgetStepConfig]) -> list[BudgetStepConfig]:
        last: float | None = None
        for index, step in enumerate(steps):
            if step.consumed is None:
                continue
            if last is not None and step.consumed <= last:
                raise ValueError(
                    f"steps are in order of consumed: step {index} ({step.consumed:g}%) "
                    f"comes after a step at {last:g}%; list the lower threshold first"
                )
            last = step.consumed
        return steps

    @field_validator("exceptions")
    @classmethod
    def _kinds(cls, value: list[ExceptionKindConfig | str]) -> list[ExceptionKindConfig | str]:
        kinds = [e if isinstance(e, str) else e.kind for e in value]
        _checked([k for k in kinds if isinstance(k, str)], _NAME, "an exception kind")
        doubled = sorted({k for k in kinds if kinds.count(k) > 1})
        if doubled:
            raise ValueError(f"exception kind {doubled[0]!r} is listed twice")
        return value

    @model_validator(mode="after")
    def _default_has_no_scope(self) -> BudgetPolicyConfig:
        scoped = self.scope.services or self.scope.journeys or self.scope.slos
        if self.name == DEFAULT_POLICY.name and scoped:
            raise ValueError(
                "the default policy governs every SLO no other policy claims; give the "
                "scoped policy its own name"
            )
        return self

    def to_policy(self) -> BudgetPolicy:
        """The engine-facing policy (fractions, not percents)."""
        return BudgetPolicy(
            name=self.name,
            steps=tuple(s.to_step() for s in self.steps),
            on_no_data=self.on_no_data,
            exceptions=tuple(
                ExceptionKind(e)
                if isinstance(e, str)
                else ExceptionKind(e.kind, e.granted_by, e.description)
                for e in self.exceptions
            ),
            scope=PolicyScope(
                tuple(self.scope.services), tuple(self.scope.journeys), tuple(self.scope.slos)
            ),
            text=PolicyText(
                owner=self.owner,
                description=self.description,
                freeze_means=self.freeze_means,
                escalation=tuple(self.escalation),
                review=self.review,
                approvers=tuple(self.approvers),
            ),
        )


def scope_problems(policies: Sequence[BudgetPolicyConfig]) -> list[str]:
    """Two policies claiming the same service, journey or SLO (which would win?)."""
    problems = []
    names = [p.name for p in policies]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"budget policy {name!r} is defined twice")
    claimed: dict[tuple[str, str], str] = {}
    for policy in policies:
        scope = policy.scope
        for kind, targets in (
            ("service", scope.services),
            ("journey", scope.journeys),
            ("SLO", scope.slos),
        ):
            for target in targets:
                owner = claimed.setdefault((kind, target), policy.name)
                if owner != policy.name:
                    problems.append(
                        f"{kind} {target!r} is in the scope of both {owner!r} and "
                        f"{policy.name!r}; keep it in one"
                    )
    return problems
