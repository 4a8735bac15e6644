"""The columns of the Markdown and HTML reports, so both documents show the same figures.

Documents have no width to fit, so they hold every column of the terminal's full layout:
the figures, both sparklines, the alerts spelled out and the policy state in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sloscope.report.model import SLOResult
from sloscope.report.sparkline import sparklines
from sloscope.report.text import (
    NO_DATA,
    TABLE_LOOKBACKS,
    alerts_text,
    burn_marked,
    duration_words,
    percent,
    policy_words,
)
from sloscope.spec.durations import format_duration


@dataclass(frozen=True)
class Head:
    """A column's title, whether its cells are text (left) or figures (right), and
    whether they are sparklines (drawn in a monospace font)."""

    title: str
    text: bool = False
    spark: bool = False


HEADS: tuple[Head, ...] = (
    Head("Service", text=True),
    Head("SLO", text=True),
    Head("Objective"),
    Head("Window", text=True),
    Head("SLI"),
    Head("Budget left"),
    Head("Budget over window", text=True, spark=True),
    *(Head(f"Burn {format_duration(lb)}") for lb in TABLE_LOOKBACKS),
    Head("Burn last 1d", text=True, spark=True),
    Head("Exhausted in"),
    Head("Alerts", text=True),
    Head("Policy", text=True),
)


def cells(result: SLOResult) -> list[str]:
    """One SLO's row, a cell per :data:`HEADS` entry."""
    budget_line, burn_line = sparklines(result) or (NO_DATA, NO_DATA)
    return [
        result.service.name,
        result.name,
        percent(result.slo.objective, 4),
        result.slo.window.label,
        percent(result.status.sli, 3),
        percent(result.status.remaining, 1),
        budget_line,
        *(burn_marked(result, lb) for lb in TABLE_LOOKBACKS),
        burn_line,
        duration_words(result.status.exhaustion_seconds),
        alerts_text(result) or "none",
        policy_words(result),
    ]
