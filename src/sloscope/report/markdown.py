"""The report as Markdown, for pull requests, chat and wikis."""

from __future__ import annotations

from sloscope.report.model import Report
from sloscope.report.text import TABLE_LOOKBACKS, alerts_text, burn, duration_words, percent
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time


def _cell(text: str) -> str:
    # A pipe would end the cell; names and reasons come from user specs.
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """A Markdown document: one table of every SLO, then the policy reasons."""
    burn_heads = [f"Burn {format_duration(lb)}" for lb in TABLE_LOOKBACKS]
    heads = ["Service", "SLO", "Objective", "Window", "SLI", "Budget left", *burn_heads]
    heads += ["Exhausted in", "Alerts", "Policy"]
    lines = [
        f"# SLO report at {format_time(report.at)}",
        "",
        f"Source: {report.source}, step {format_duration(report.step)}.",
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "|".join("---" if i < 2 or i == 3 else "---:" for i in range(len(heads))) + "|",
    ]
    for r in report.results:
        cells = [
            r.service.name,
            r.slo.name,
            percent(r.slo.objective, 4),
            r.slo.window.label,
            percent(r.status.sli, 3),
            percent(r.status.remaining, 1),
            *(burn(r.status.burn_rates.get(lb)) for lb in TABLE_LOOKBACKS),
            duration_words(r.status.exhaustion_seconds),
            alerts_text(r) or "none",
            r.decision.state,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    reasons = [(r, reason) for r in report.results for reason in r.decision.reasons]
    if reasons:
        lines += ["", "## Budget policy", ""]
        lines += [f"- **{r.service.name} / {r.slo.name}**: {reason}" for r, reason in reasons]
    return "\n".join(lines) + "\n"
