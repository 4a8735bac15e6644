"""Geometry of the HTML report's charts: inline SVG, drawn by its template.

Only numbers are computed here (coordinates in a fixed ``viewBox``); the template
writes the elements, autoescaped, so nothing a spec says can become markup. Two charts
per SLO:

- the budget left over the window (the burndown of :mod:`sloscope.engine.trend`) as a
  line over 0% to 100% (lower when overspent), with gridlines at 0%, 50% and 100%;
- the burn rate of each hour of the last day as bars on a log scale (each doubling as
  tall, from 1/16x), with lines at 1/4x, 1x, 4x and at the lowest factor of the alert
  rows with a 1h window (a bar above it is marked ``!``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sloscope.engine.trend import Trend
from sloscope.report.model import SLOResult
from sloscope.report.text import burn, percent
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

#: The charts' coordinate box (the page scales it).
WIDTH = 480
HEIGHT = 120
#: Left margin for the y labels, bottom margin for the time labels.
LEFT = 64
BOTTOM = 16


@dataclass(frozen=True)
class Gridline:
    """A horizontal line at ``y`` with its label."""

    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    """One bar of the burn chart; ``title`` is its tooltip."""

    x: float
    y: float
    width: float
    height: float
    title: str
    above: bool


@dataclass(frozen=True)
class Chart:
    """One chart: a polyline (``points``, may be empty), bars, gridlines, time labels."""

    title: str
    points: str
    bars: tuple[Bar, ...]
    gridlines: tuple[Gridline, ...]
    first: str
    last: str


def _y(value: float, low: float, high: float) -> float:
    plot = HEIGHT - BOTTOM
    return round(plot - (value - low) / (high - low) * (plot - 4), 2)


def budget_chart(trend: Trend, since: int) -> Chart:
    """The budget left over the window as a line from ``since`` (the window's start)."""
    values = trend.budget_remaining
    known = values[~np.isnan(values)]
    low = min(0.0, float(known.min())) if len(known) else 0.0
    span = max(int(trend.budget_times[-1]) - since, 1)
    points = [f"{LEFT},{_y(1.0, low, 1.0)}"] if len(known) else []
    for t, v in zip(trend.budget_times, values, strict=True):
        if not math.isnan(v):
            x = LEFT + (int(t) - since) / span * (WIDTH - LEFT)
            points.append(f"{round(x, 2)},{_y(float(v), low, 1.0)}")
    grid = [Gridline(_y(f, low, 1.0), f"{f * 100:.0f}%") for f in (1.0, 0.5, 0.0)]
    if low < 0:
        grid.append(Gridline(_y(low, low, 1.0), percent(low, 0)))
    return Chart(
        title="Budget left over the window",
        points=" ".join(points),
        bars=(),
        gridlines=tuple(grid),
        first=format_time(since),
        last=format_time(int(trend.budget_times[-1])),
    )


#: The burn chart's log scale starts here: a bar of no height burned this or less.
BURN_FLOOR = 1 / 16


def _burn_y(rate: float, high: float) -> float:
    """A burn rate on the log scale from :data:`BURN_FLOOR` to ``high`` (each x2 as tall)."""
    share = math.log2(max(rate, BURN_FLOOR) / BURN_FLOOR) / math.log2(high / BURN_FLOOR)
    return _y(share, 0.0, 1.0)


def burn_chart(result: SLOResult, trend: Trend) -> Chart:
    """The burn of each interval of the last day as bars on a log scale (see the module)."""
    rates = trend.burn
    known = rates[~np.isnan(rates)]
    # An interval's burn compares with the alert rows that have a window of its length.
    factors = [
        a.factor
        for a in result.status.alert_rows
        if trend.burn_seconds in (a.long_seconds, a.short_seconds)
    ]
    alert = min(factors) if factors else None
    high = max([16.0, float(known.max()) if len(known) else 0.0, alert or 0.0]) * 1.25
    slot = (WIDTH - LEFT) / len(rates)
    span = format_duration(trend.burn_seconds)
    floor = _burn_y(0.0, high)
    bars = []
    for i, (end, rate) in enumerate(zip(trend.burn_times, rates, strict=True)):
        if math.isnan(rate):
            continue
        top = _burn_y(float(rate), high)
        bars.append(
            Bar(
                x=round(LEFT + i * slot + 1, 2),
                y=top,
                width=round(max(slot - 2, 1), 2),
                height=round(floor - top, 2),
                title=f"{span} to {format_time(int(end))}: {burn(float(rate))}",
                above=alert is not None and rate > alert,
            )
        )
    grid = [Gridline(_burn_y(v, high), f"{v:g}x") for v in (0.25, 1.0, 4.0)]
    if alert is not None:
        grid.append(Gridline(_burn_y(alert, high), f"{alert:.3g}x alert"))
    return Chart(
        title=f"Burn rate of each {span} of the last day (log scale)",
        points="",
        bars=tuple(bars),
        gridlines=tuple(grid),
        first=format_time(int(trend.burn_times[0]) - trend.burn_seconds),
        last=format_time(int(trend.burn_times[-1])),
    )


def charts(result: SLOResult) -> tuple[Chart, ...]:
    """The SLO's charts; none without a trend or without data."""
    if result.trend is None or not result.has_data:
        return ()
    return (
        budget_chart(result.trend, result.status.window_start),
        burn_chart(result, result.trend),
    )
