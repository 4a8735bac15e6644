"""Column charts drawn with block characters, for the terminal's one-SLO view.

A chart is ``height`` text rows; each column is one value drawn as a bar from the bottom
of the scale, in eighths of a row (``▁`` to ``█``), so a chart of height 6 tells 48
levels apart. A value without events is a ``·`` on the bottom row. A y-axis label
column on the left names the top, the middle and the bottom of the scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from sloscope.report.sparkline import LEVELS, NO_EVENTS

_FULL = LEVELS[-1]


def _bar(value: float, low: float, high: float, height: int) -> list[str]:
    """One column, bottom row first."""
    if math.isnan(value):
        return [NO_EVENTS] + [" "] * (height - 1)
    share = (min(max(value, low), high) - low) / (high - low)
    eighths = round(share * height * 8)
    cells = []
    for row in range(height):
        filled = min(max(eighths - row * 8, 0), 8)
        cells.append(_FULL if filled == 8 else (LEVELS[filled - 1] if filled else " "))
    return cells


def scale_marks(
    *, low: float, high: float, height: int, label: Callable[[float], str]
) -> dict[int, str]:
    """The y labels by row (0 the bottom): top, middle and bottom of the scale.

    A row is labelled with the value at its top edge; with an even height the middle
    label is exactly half way.
    """
    middle = max(height // 2 - 1, 1)
    return {
        height - 1: label(high),
        middle: label(low + (middle + 1) / height * (high - low)),
        0: label(low),
    }


def plot_width(
    width: int, low: float, high: float, height: int, label: Callable[[float], str]
) -> int:
    """How many columns of bars fit in ``width`` characters beside the y labels and axis."""
    marks = scale_marks(low=low, high=high, height=height, label=label)
    return max(width - max(len(text) for text in marks.values()) - 2, 1)


def column_chart(
    values: Sequence[float],
    *,
    low: float,
    high: float,
    height: int,
    label: Callable[[float], str],
    bar_width: int = 1,
) -> list[str]:
    """The chart's rows, top first: y labels, an axis ``┤``, then one bar per value.

    Values are clipped to ``[low, high]``; ``label`` words a scale value (``100%``).
    Each bar is ``bar_width`` characters wide.
    """
    if high <= low:
        high = low + 1.0
    bars = [_bar(v, low, high, height) for v in values]
    marks = scale_marks(low=low, high=high, height=height, label=label)
    gutter = max(len(text) for text in marks.values())
    rows = []
    for row in range(height - 1, -1, -1):
        cells = "".join(bar[row] * bar_width for bar in bars)
        rows.append(f"{marks.get(row, ''):>{gutter}} ┤{cells}")
    return rows


def axis_labels(first: str, last: str, width: int, indent: int) -> str:
    """A line under a chart with ``first`` under its first column and ``last`` under its last."""
    gap = max(width - len(first) - len(last), 1)
    return " " * indent + first + " " * gap + last
