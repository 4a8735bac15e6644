"""An incident's priority from its impact, not a guess.

Priority follows the largest impact of the linked SLOs (see
:mod:`sloscope.events.impact`): the first rule, most severe first, whose share of an
error budget the impact reaches (``P1`` at 20% by default: the SRE workbook's threshold
for a mandatory postmortem), else the lowest priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sloscope.events.defaults import DEFAULT_LOWEST_PRIORITY, DEFAULT_PRIORITY_SHARES
from sloscope.policy.budget import format_percent

if TYPE_CHECKING:
    from sloscope.events.impact import SLOImpact


@dataclass(frozen=True)
class PriorityRule:
    """``priority`` once an incident took ``budget_share`` (a fraction) of an SLO's budget."""

    priority: str
    budget_share: float


#: The default rules (:data:`~sloscope.events.defaults.DEFAULT_PRIORITY_SHARES`).
DEFAULT_PRIORITIES = tuple(PriorityRule(name, share) for name, share in DEFAULT_PRIORITY_SHARES)


@dataclass(frozen=True)
class Priority:
    """An incident's priority and why."""

    priority: str
    reason: str


def incident_priority(
    impacts: Sequence[SLOImpact],
    rules: Sequence[PriorityRule] = DEFAULT_PRIORITIES,
    lowest: str = DEFAULT_LOWEST_PRIORITY,
) -> Priority:
    """The priority of an incident from its largest SLO impact (rules most severe first)."""
    known = [i for i in impacts if i.consumed is not None]
    if not known:
        return Priority(lowest, "no linked SLO had events to measure the impact by")
    worst = max(known, key=lambda i: i.consumed or 0.0)
    consumed = worst.consumed or 0.0
    for rule in sorted(rules, key=lambda r: -r.budget_share):
        if consumed >= rule.budget_share:
            return Priority(
                rule.priority,
                f"{worst.slo} lost {format_percent(consumed)} of its error budget "
                f"({rule.priority} from {format_percent(rule.budget_share)})",
            )
    smallest = min((r.budget_share for r in rules), default=0.0)
    return Priority(
        lowest,
        f"{worst.slo} lost {format_percent(consumed)} of its error budget "
        f"(below {format_percent(smallest)})",
    )
