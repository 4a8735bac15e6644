"""What an incident cost: the error budget each linked SLO lost.

Impact of one SLO = the bad events between the incident's start and its mitigation,
as a share of the error budget of the SLO window that ends at the mitigation::

    consumed       = bad(start, mitigated] / (total(window) × (1 − objective))
    outage minutes = consumed × window minutes × (1 − objective)

The second figure says the same in time: the minutes of a *full* outage (every event
bad) that would have cost as much budget at the window's average traffic. A 28-day
99.9% SLO has 40.32 budget minutes, so an incident that took 25% of its budget cost
10.08 minutes of full outage. A step counts when its right edge lies in
``(start, mitigated]``, as everywhere in the engine. Time-slice SLIs count bad slices.

The priority that follows from these figures is :mod:`sloscope.events.priority`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from sloscope.engine import budget as budget_math
from sloscope.engine.calendar import window_length, window_start
from sloscope.engine.counts import FloatArray, cumulative
from sloscope.engine.evaluate import sli_counts
from sloscope.spec.model import SLO


@dataclass(frozen=True)
class SLOImpact:
    """The budget one SLO lost to an incident; None figures: no events in its window."""

    slo: str
    consumed: float | None
    outage_minutes: float | None
    bad: float
    window_total: float


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
    good, total, _ = sli_counts(
        slo, good, total, start=start, step=step, end=start + len(total) * step
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


def budget_consumed_at(
    slo: SLO,
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    times: list[int],
) -> list[float | None]:
    """The share of its budget ``slo`` had consumed at each of ``times`` (None: no events
    in the window then), for a burn-down chart.

    ``good``/``total`` are per-step counts on the grid from ``start`` at ``step``,
    covering the SLO window before the first time through the last.
    """
    good, total, _ = sli_counts(
        slo, good, total, start=start, step=step, end=start + len(total) * step
    )
    cum = cumulative(good, total, start=start, step=step)
    found: list[float | None] = []
    for t in times:
        bad, window_total = cum.bad_total(window_start(slo.window, t), t)
        found.append(budget_math.budget_spent(max(bad, 0.0), window_total, slo.objective))
    return found
