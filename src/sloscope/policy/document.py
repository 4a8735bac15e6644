"""The error budget policy as a Markdown document (``sloscope policy doc``).

Written from the same configuration the gate enforces, so the document a team signs
off is the policy that runs: thresholds, what a freeze means, the exceptions and who may
grant them, what happens without data, escalation, review cadence, and (for the
incident side) the priorities that follow from an incident's budget impact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.events.priority import PriorityRule
from sloscope.policy.budget import BudgetPolicy, BudgetStep, format_percent, format_rate
from sloscope.spec.durations import format_duration

_ACTIONS = {"notify": "notify the owners", "freeze": "freeze releases"}
_RELEASES = {
    "allow": "allowed",
    "warn": "allowed, with a warning",
    "freeze": "refused (exit 1) unless an exception or override applies",
}
_FREEZE_DEFAULT = (
    "While a freeze holds, `sloscope gate` refuses releases of the service (exit 1). "
    "Only the exceptions below pass, each with a recorded reason, and an override lifts "
    "the freeze until it expires. The team's work turns to reliability until the budget "
    "recovers below the freeze step."
)


@dataclass(frozen=True)
class IncidentRules:
    """The incident side of the policy: priorities and the windows of the DORA figures."""

    priorities: tuple[PriorityRule, ...]
    lowest_priority: str
    failure_window: int
    repeat_window: int


def _when(step: BudgetStep) -> str:
    parts = []
    if step.consumed is not None:
        parts.append(f"{format_percent(step.consumed)} of the budget consumed")
    if step.burn_rate is not None and step.burn_window:
        parts.append(
            f"burn rate at least {format_rate(step.burn_rate)} over "
            f"{format_duration(step.burn_window)}"
        )
    return " and ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _scope(policy: BudgetPolicy, governs: Sequence[str]) -> list[str]:
    scope = policy.scope
    claims = [
        *(f"service `{s}`" for s in scope.services),
        *(f"journey `{j}`" for j in scope.journeys),
        *(f"SLO `{s}`" for s in scope.slos),
    ]
    lines = []
    if policy.name == "default":
        lines.append("Applies to every SLO that names no policy and no other policy claims.")
    elif claims:
        lines.append("Applies to " + ", ".join(claims) + ", and to SLOs whose spec names it.")
    else:
        lines.append(f"Applies to the SLOs whose spec says `budget_policy: {policy.name}`.")
    if governs:
        lines += ["", "SLOs governed now: " + ", ".join(f"`{g}`" for g in governs) + "."]
    return lines


def _thresholds(policy: BudgetPolicy) -> list[str]:
    lines = ["| step | when | action | releases |", "| ---: | --- | --- | --- |"]
    for index, step in enumerate(policy.steps, 1):
        lines.append(
            f"| {index} | {_when(step)} | {_ACTIONS[step.action]} | "
            f"{_RELEASES[step.release_action]} |"
        )
    return lines


def _exceptions(policy: BudgetPolicy) -> list[str]:
    if not policy.exceptions:
        return ["None: nothing passes a freeze but an override."]
    lines = [
        "Each exception needs a reason (`sloscope gate SERVICE --exception KIND --reason TEXT`).",
        "",
        "| kind | who may grant it | covers |",
        "| --- | --- | --- |",
    ]
    for kind in policy.exceptions:
        lines.append(
            f"| `{kind.kind}` | {_cell(kind.granted_by) or 'not set'} | "
            f"{_cell(kind.description) or '-'} |"
        )
    return lines


def _section(policy: BudgetPolicy, governs: Sequence[str]) -> list[str]:
    text = policy.text
    lines = [f"## Policy `{policy.name}`", ""]
    if text.owner:
        lines += [f"Owner: {text.owner}.", ""]
    if text.description:
        lines += [text.description, ""]
    lines += [*_scope(policy, governs), "", "### Thresholds", "", *_thresholds(policy), ""]
    lines += ["### What a freeze means", "", text.freeze_means or _FREEZE_DEFAULT, ""]
    lines += ["### Without data", ""]
    if policy.on_no_data == "open":
        lines.append("The gate fails open: an SLO without data warns and the release goes on.")
    else:
        lines.append(
            "The gate fails closed: an SLO without data means the gate cannot decide (exit 2)."
        )
    lines += ["", "### Exceptions during a freeze", "", *_exceptions(policy), ""]
    lines += ["### Escalation", ""]
    if text.escalation:
        lines += [f"{n}. {e}" for n, e in enumerate(text.escalation, 1)]
    else:
        lines.append("Not set: add `escalation:` to this policy in sloscope.yaml.")
    lines += ["", "### Review", ""]
    lines.append(f"Reviewed {text.review}." if text.review else "No cadence set: add `review:`.")
    if text.approvers:
        lines.append("Approved by: " + ", ".join(text.approvers) + ".")
    return [*lines, ""]


def _incidents(rules: IncidentRules) -> list[str]:
    lines = [
        "## Incidents",
        "",
        "An incident's priority follows the largest share of an SLO's error budget it "
        "consumed between its start and its mitigation:",
        "",
        "| priority | from |",
        "| --- | ---: |",
    ]
    lines += [
        f"| {_cell(r.priority)} | {format_percent(r.budget_share)} of the budget |"
        for r in rules.priorities
    ]
    lines.append(f"| {_cell(rules.lowest_priority)} | below that |")
    lines += [
        "",
        f"A deployment failed when an SLO-impacting incident or a page on its service starts "
        f"within {format_duration(rules.failure_window)} after it and before the next "
        f"deployment. An incident repeats an earlier one of the same SLO and cause tag "
        f"within {format_duration(rules.repeat_window)}.",
        "",
    ]
    return lines


def render_policy_document(
    policies: Mapping[str, BudgetPolicy],
    incidents: IncidentRules,
    governs: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The Markdown document of every budget policy (``default`` first) and the incident
    rules; ``governs`` lists, per policy name, the SLOs (``service/slo``) it governs."""
    governs = governs or {}
    ordered = sorted(policies.values(), key=lambda p: (p.name != "default", p.name))
    lines = [
        "# Error budget policy",
        "",
        "Generated by `sloscope policy doc` from `sloscope.yaml`; `sloscope gate` enforces "
        "exactly these rules, so change the configuration, not this file.",
        "",
    ]
    for policy in ordered:
        lines += _section(policy, governs.get(policy.name, ()))
    lines += _incidents(incidents)
    return "\n".join(lines).rstrip("\n") + "\n"
