"""What an incident cost: the error budget each linked SLO lost, and the priority that
follows from it.

Impact of one SLO = the bad events between the incident's start and its mitigation,
as a share of the error budget of the SLO window that ends at the mitigation::

    consumed       = bad(start, mitigated] / (total(window) × (1 − objective))
    outage minutes = consumed × window minutes × (1 − objective)

The second figure says the same in time: the minutes of a *full* outage (every event
bad) that would have cost as much budget at the window's average traffic. A 28-day
99.9% SLO has 40.32 budget minutes, so an incident that took 25% of its budget cost
10.08 minutes of full outage. A step counts when its right edge lies in
``(start, mitigated]``, as everywhere in the engine. Time-slice SLIs count bad slices.

Priority follows the largest impact of the linked SLOs: the first rule whose share the
impact reaches (``P1`` at 20% of a budget by default: the SRE workbook's threshold for a
mandatory postmortem), else the lowest priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sloscope.engine import budget as budget_math
from sloscope.engine.calendar import window_length, window_start
from sloscope.engine.counts import FloatArray, cumulative
from sloscope.engine.timeslices import to_timeslices
from sloscope.policy.budget import format_percent
from sloscope.spec.model import SLO, TimeslicesSLI


@dataclass(frozen=True)
class SLOImpact:
    """The budget one SLO lost to an incident; None figures: no events in its window."""

    slo: str
    consumed: float | None
    outage_minutes: float | None
    bad: float
    window_total: float


@dataclass(frozen=True)
class PriorityRule:
    """``priority`` once an incident took ``budget_share`` (a fraction) of an SLO's budget."""

    priority: str
    budget_share: float


DEFAULT_PRIORITIES = (
    PriorityRule("P1", 0.20),
    PriorityRule("P2", 0.05),
    PriorityRule("P3", 0.01),
)
DEFAULT_LOWEST_PRIORITY = "P4"


@dataclass(frozen=True)
class Priority:
    """An incident's priority and why."""

    priority: str
    reason: str


def incident_impact(
    slo: SLO,
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    began: int,
    mitigated: int,
) -> SLOImpact:
    """The budget ``slo`` lost between ``began`` and ``mitigated`` (see the module docstring).

    ``good``/``total`` are per-step counts on the grid from ``start`` at ``step`` (as a
    source returns them), covering the SLO window that ends at ``mitigated``.
    """
    if isinstance(slo.sli, TimeslicesSLI):
        good, total = to_timeslices(
            good,
            total,
            start=start,
            step=step,
            slice_seconds=slo.sli.slice_seconds,
            target=slo.sli.target,
            end=start + len(total) * step,
        )
    cum = cumulative(good, total, start=start, step=step)
    bad, _ = cum.bad_total(began, mitigated)
    bad = max(bad, 0.0)
    _, window_total = cum.bad_total(window_start(slo.window, mitigated), mitigated)
    consumed = budget_math.budget_spent(bad, window_total, slo.objective)
    minutes = None
    if consumed is not None:
        budget_minutes = window_length(slo.window, mitigated) / 60.0 * slo.error_budget
        minutes = consumed * budget_minutes
    return SLOImpact(slo.name, consumed, minutes, bad, window_total)


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
