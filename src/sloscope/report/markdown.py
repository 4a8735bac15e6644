"""The report as Markdown, for pull requests, chat and wikis."""

from __future__ import annotations

from sloscope.report.model import Report
from sloscope.report.rows import HEADS, cells
from sloscope.report.sparkline import legend
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time


def _cell(text: str) -> str:
    # A pipe would end the cell; names and reasons come from user specs.
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """A Markdown document: one table of every SLO, then the policy reasons."""
    lines = [
        f"# SLO report at {format_time(report.at)}",
        "",
        f"Source: {report.source}, step {format_duration(report.step)}. A burn of 1x spends "
        "the budget exactly over the window; ! marks a burn above an alert threshold.",
        "",
        *(f"- {line}" for line in legend(report)),
        "",
        "| " + " | ".join(h.title for h in HEADS) + " |",
        "|" + "|".join("---" if h.text else "---:" for h in HEADS) + "|",
    ]
    for r in report.results:
        lines.append("| " + " | ".join(_cell(c) for c in cells(r)) + " |")
    reasons = [(r, reason) for r in report.results for reason in r.decision.reasons]
    if reasons:
        lines += ["", "## Budget policy", ""]
        lines += [f"- **{r.service.name} / {r.name}**: {reason}" for r, reason in reasons]
    return "\n".join(lines) + "\n"
