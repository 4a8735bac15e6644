"""One-line sparklines of an SLO's trend, for the table and the Markdown report.

Both use the eight block characters ``▁▂▃▄▅▆▇█`` on a fixed scale, so rows compare
with each other at a glance, and ``·`` where there were no events:

- **Budget left** over the SLO window (the burndown of :mod:`sloscope.engine.trend`):
  ``▁`` is 12.5% or less (an overspent budget too), ``█`` above 87.5%.
- **Burn over the last day**, one character per interval: each level doubles the burn,
  ``▅`` is 1x (the budget spent exactly over the window), ``█`` 8x and faster, ``▁``
  below 1/8x.
"""

from __future__ import annotations

import math

import numpy as np

from sloscope.engine.counts import FloatArray
from sloscope.engine.trend import Trend
from sloscope.report.model import Report, SLOResult
from sloscope.spec.durations import format_duration

LEVELS = "▁▂▃▄▅▆▇█"
NO_EVENTS = "·"
#: Characters of each sparkline in the table and the Markdown report.
SPARK_WIDTH = 12
#: Lower bounds of the burn levels above the first: 1/8x, 1/4x, ... 8x.
_BURN_BOUNDS = np.array([0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0])


def sample_levels(values: FloatArray, width: int) -> FloatArray:
    """``width`` values picked evenly from a level series, the last one always kept."""
    if len(values) <= width:
        return values
    picks = (np.arange(1, width + 1) * len(values)) // width - 1
    sampled: FloatArray = values[picks]
    return sampled


def peak_per_group(values: FloatArray, width: int) -> FloatArray:
    """The highest value of each of ``width`` consecutive groups, so no spike is lost.

    A group without any value (all NaN) stays NaN.
    """
    if len(values) <= width:
        return values
    bounds = (np.arange(width + 1) * len(values)) // width
    out = np.full(width, np.nan)
    for i in range(width):
        group = values[bounds[i] : bounds[i + 1]]
        group = group[~np.isnan(group)]
        if len(group):
            out[i] = group.max()
    return out


def budget_level(remaining: float) -> str:
    """The block of one budget-left fraction (fixed scale 0 to 1)."""
    if math.isnan(remaining):
        return NO_EVENTS
    index = math.ceil(remaining * len(LEVELS)) - 1
    return LEVELS[min(max(index, 0), len(LEVELS) - 1)]


def burn_level(rate: float) -> str:
    """The block of one burn rate (each level doubles; ``▅`` is 1x)."""
    if math.isnan(rate):
        return NO_EVENTS
    return LEVELS[int(np.searchsorted(_BURN_BOUNDS, rate, side="right"))]


def budget_sparkline(trend: Trend, width: int = SPARK_WIDTH) -> str:
    """Budget left over the window, oldest on the left, ending at the budget left now."""
    return "".join(budget_level(v) for v in sample_levels(trend.budget_remaining, width))


def burn_sparkline(trend: Trend, width: int = SPARK_WIDTH) -> str:
    """Burn over the last day, oldest on the left; each character the peak of its hours."""
    return "".join(burn_level(v) for v in peak_per_group(trend.burn, width))


def sparklines(result: SLOResult) -> tuple[str, str] | None:
    """Both sparklines of an SLO: the budget over the window, the burn over the last day.

    None without a trend (a report asked without) or without data.
    """
    if result.trend is None or not result.has_data:
        return None
    return budget_sparkline(result.trend), burn_sparkline(result.trend)


def burn_char_seconds(trend: Trend, width: int = SPARK_WIDTH) -> int:
    """How many seconds of the last day one character of :func:`burn_sparkline` covers."""
    return trend.burn_seconds * -(-len(trend.burn) // width)


def legend(report: Report) -> tuple[str, str]:
    """How to read the two sparklines, one sentence each (budget, burn)."""
    trend = next((r.trend for r in report.results if r.trend is not None), None)
    span = "" if trend is None else f" {format_duration(burn_char_seconds(trend))} a character,"
    return (
        "Budget over window: the budget left as spent since the window began, ▁ 0% to █ 100%.",
        f"Burn last 1d:{span} ▅ 1x, each level doubles; · no events.",
    )
