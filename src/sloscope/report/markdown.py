"""The report as Markdown, for pull requests, chat and wikis."""

from __future__ import annotations

from collections.abc import Callable

from sloscope.engine.trend import Trend
from sloscope.report.model import Report, SLOResult
from sloscope.report.sparkline import budget_sparkline, burn_sparkline, legend
from sloscope.report.text import (
    NO_DATA,
    TABLE_LOOKBACKS,
    alerts_text,
    burn,
    duration_words,
    over_threshold,
    percent,
    policy_words,
)
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

#: Columns of text, aligned left; the figures align right.
_LEFT = {"Service", "SLO", "Window", "Budget over window", "Burn last 1d", "Alerts", "Policy"}


def _cell(text: str) -> str:
    # A pipe would end the cell; names and reasons come from user specs.
    return text.replace("|", "\\|").replace("\n", " ")


def _spark(result: SLOResult, draw: Callable[[Trend], str]) -> str:
    if result.trend is None or not result.has_data:
        return NO_DATA
    return draw(result.trend)


def _burn(result: SLOResult, lookback: int) -> str:
    mark = "!" if over_threshold(result, lookback) else ""
    return burn(result.status.burn_rates.get(lookback)) + mark


def render_markdown(report: Report) -> str:
    """A Markdown document: one table of every SLO, then the policy reasons."""
    burn_heads = [f"Burn {format_duration(lb)}" for lb in TABLE_LOOKBACKS]
    heads = ["Service", "SLO", "Objective", "Window", "SLI", "Budget left", "Budget over window"]
    heads += [*burn_heads, "Burn last 1d", "Exhausted in", "Alerts", "Policy"]
    lines = [
        f"# SLO report at {format_time(report.at)}",
        "",
        f"Source: {report.source}, step {format_duration(report.step)}. A burn of 1x spends "
        "the budget exactly over the window; ! marks a burn above an alert threshold.",
        "",
        *(f"- {line}" for line in legend(report)),
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "|".join("---" if h in _LEFT else "---:" for h in heads) + "|",
    ]
    for r in report.results:
        cells = [
            r.service.name,
            r.slo.name,
            percent(r.slo.objective, 4),
            r.slo.window.label,
            percent(r.status.sli, 3),
            percent(r.status.remaining, 1),
            _spark(r, budget_sparkline),
            *(_burn(r, lb) for lb in TABLE_LOOKBACKS),
            _spark(r, burn_sparkline),
            duration_words(r.status.exhaustion_seconds),
            alerts_text(r) or "none",
            policy_words(r),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    reasons = [(r, reason) for r in report.results for reason in r.decision.reasons]
    if reasons:
        lines += ["", "## Budget policy", ""]
        lines += [f"- **{r.service.name} / {r.slo.name}**: {reason}" for r, reason in reasons]
    return "\n".join(lines) + "\n"
