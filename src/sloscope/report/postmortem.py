"""The postmortem of an incident as Markdown: what it cost each SLO, what happened when,
the budget burn-down (a chart beside the same figures as a table), and action items.

Pure text from the facts the caller gathered (:mod:`sloscope.records.postmortem`);
the chart itself is a file the document links to by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sloscope.timeparse import format_time


@dataclass(frozen=True)
class ImpactRow:
    """One linked SLO's loss: budget share and minutes of full outage (None: unknown)."""

    slo: str
    consumed: float | None
    outage_minutes: float | None


@dataclass(frozen=True)
class TimelineItem:
    """Something that happened: when, what kind (alert, deploy, incident, override,
    exception), what."""

    at: int
    kind: str
    text: str


@dataclass(frozen=True)
class PostmortemFacts:
    """Everything the postmortem says."""

    incident_id: int
    service: str
    title: str
    severity: str
    cause_tags: tuple[str, ...]
    links: tuple[str, ...]
    priority: str
    priority_reason: str
    impacts: tuple[ImpactRow, ...]
    timeline: tuple[TimelineItem, ...]
    burn_down: dict[str, list[tuple[int, float | None]]]
    actions: tuple[tuple[int, str, str, str], ...]  # id, text, owner, status
    chart: str | None
    repeat_of: int | None = None
    note: str = ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _impact(facts: PostmortemFacts) -> list[str]:
    lines = [
        "## SLO impact",
        "",
        f"Priority **{facts.priority}**: {_cell(facts.priority_reason)}.",
        "",
        "| SLO | error budget consumed | minutes of full outage |",
        "| --- | ---: | ---: |",
    ]
    for row in facts.impacts:
        minutes = "n/a" if row.outage_minutes is None else f"{row.outage_minutes:.1f}"
        lines.append(f"| {_cell(row.slo)} | {_percent(row.consumed)} | {minutes} |")
    if not facts.impacts:
        lines.append("| (no SLO linked) | n/a | n/a |")
    if facts.note:
        lines += ["", f"_{_cell(facts.note)}_"]
    return [*lines, ""]


def _timeline(items: Sequence[TimelineItem]) -> list[str]:
    lines = ["## Timeline", "", "| time (UTC) | what | |", "| --- | --- | --- |"]
    for item in sorted(items, key=lambda i: (i.at, i.kind)):
        lines.append(f"| {format_time(item.at)} | {item.kind} | {_cell(item.text)} |")
    return [*lines, ""]


def _burn_down(facts: PostmortemFacts) -> list[str]:
    lines = ["## Error budget burn-down", ""]
    if facts.chart:
        lines += [f"![budget burn-down]({facts.chart})", ""]
    names = list(facts.burn_down)
    if not names:
        return [*lines, "_No linked SLO to draw._", ""]
    lines.append("| time (UTC) | " + " | ".join(_cell(n) for n in names) + " |")
    lines.append("| --- |" + " ---: |" * len(names))
    times = [t for t, _ in facts.burn_down[names[0]]]
    for index, at in enumerate(times):
        cells = [_percent(facts.burn_down[n][index][1]) for n in names]
        lines.append(f"| {format_time(at)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _actions(facts: PostmortemFacts) -> list[str]:
    lines = ["## Action items", ""]
    for item_id, text, owner, status in facts.actions:
        mark = "x" if status == "done" else " "
        who = f" ({_cell(owner)})" if owner else ""
        lines.append(f"- [{mark}] #{item_id} {_cell(text)}{who}")
    if not facts.actions:
        lines.append(f"_None yet: add them with `sloscope action add {facts.incident_id} TEXT`._")
    return [*lines, ""]


def render_postmortem(facts: PostmortemFacts) -> str:
    """The postmortem document."""
    head = [
        f"# Postmortem: incident {facts.incident_id}: {_cell(facts.title)}",
        "",
        f"- service: {facts.service}",
        f"- severity: {facts.severity}",
        f"- cause tags: {', '.join(facts.cause_tags) or 'none'}",
    ]
    if facts.repeat_of:
        head.append(f"- **repeat** of incident {facts.repeat_of} (same SLO and cause tag)")
    head += [f"- link: {link}" for link in facts.links]
    body = _impact(facts) + _timeline(facts.timeline) + _burn_down(facts) + _actions(facts)
    return "\n".join([*head, "", *body]).rstrip("\n") + "\n"
