"""A gate decision for people and machines: text, the ``gate --json`` contract, and
GitHub Actions annotations with a step-summary table.

``gate --json`` (keys are only ever added)::

    {"service": "checkout", "journey": null, "version": "1.4.2",
     "at": "2026-11-20T12:00:00Z", "decision": "freeze", "exit_code": 1,
     "exception": {"kind": "hotfix", "reason": "..."} | null,
     "override": {"by": "...", "reason": "...", "until": "..."} | null,
     "reasons": ["checkout/place-order-availability: 93.1% of the 28d budget consumed,
                  freeze at 90%"],
     "slos": [{"service": "checkout", "slo": "place-order-availability", "journey": "place-order",
               "window": "28d", "objective": 0.999, "policy": "default", "verdict": "freeze",
               "lifted_by": null, "error_budget": {"consumed": 0.931, "remaining": 0.069},
               "burn_rates": {"5m": 1.2, "1h": 0.8}, "step": {"consumed": 0.9, "burn_rate": null,
               "over": null, "action": "freeze", "release": "freeze"},
               "reason": "...", "note": null}],
     "policy": {"default": {"on_no_data": "open", "steps": [...], "exceptions": [...]}}}

Fractions are 0-1; a figure without data is ``null``.
"""

from __future__ import annotations

import math
from typing import Any

from sloscope.jsontext import dumps_indented
from sloscope.policy.budget import BudgetPolicy, BudgetStep, format_percent
from sloscope.policy.gate import GateDecision, SLOVerdict
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def step_to_dict(step: BudgetStep) -> dict[str, Any]:
    """One budget step as JSON (fractions, durations as text)."""
    return {
        "consumed": step.consumed,
        "burn_rate": step.burn_rate,
        "over": format_duration(step.burn_window) if step.burn_window else None,
        "action": step.action,
        "release": step.release_action,
    }


def policy_to_dict(policy: BudgetPolicy) -> dict[str, Any]:
    """A budget policy as JSON: its steps, what no data means, the exceptions it allows."""
    return {
        "on_no_data": policy.on_no_data,
        "steps": [step_to_dict(s) for s in policy.steps],
        "exceptions": [
            {"kind": e.kind, "granted_by": e.granted_by or None} for e in policy.exceptions
        ],
    }


def _slo_to_dict(verdict: SLOVerdict) -> dict[str, Any]:
    figures = verdict.figures
    return {
        "service": figures.service,
        "slo": figures.slo,
        "journey": figures.journey,
        "window": figures.window,
        "objective": figures.objective,
        "policy": figures.policy.name,
        "verdict": verdict.verdict,
        "lifted_by": verdict.lifted_by,
        "error_budget": {"consumed": _num(figures.consumed), "remaining": _num(figures.remaining)},
        "burn_rates": {format_duration(s): _num(r) for s, r in sorted(figures.burn_rates.items())},
        "step": step_to_dict(verdict.step) if verdict.step else None,
        "reason": verdict.reason,
        "note": figures.note or None,
    }


def gate_to_dict(decision: GateDecision) -> dict[str, Any]:
    """The ``gate --json`` document (see the module docstring)."""
    request = decision.request
    exception = request.exception
    override = decision.override
    policies = {v.figures.policy.name: v.figures.policy for v in decision.slos}
    return {
        "service": request.service,
        "journey": request.journey,
        "version": request.version,
        "at": format_time(request.at),
        "decision": decision.decision,
        "exit_code": decision.exit_code,
        "exception": {"kind": exception.kind, "reason": exception.reason} if exception else None,
        "override": {
            "by": override.by,
            "reason": override.reason,
            "until": format_time(override.until),
        }
        if override
        else None,
        "reasons": list(decision.reasons),
        "slos": [_slo_to_dict(v) for v in decision.slos],
        "policy": {name: policy_to_dict(p) for name, p in sorted(policies.items())},
    }


def render_gate_json(decision: GateDecision) -> str:
    """``gate --json`` as text (indented, a trailing newline)."""
    return gate_json_text(gate_to_dict(decision))


def gate_json_text(document: dict[str, Any]) -> str:
    """A :func:`gate_to_dict` document as ``gate --json`` prints it."""
    return dumps_indented(document) + "\n"


def _title(decision: GateDecision) -> str:
    request = decision.request
    what = request.service + (f" ({request.journey})" if request.journey else "")
    if request.version:
        what += f" {request.version}"
    return what


def render_gate_text(decision: GateDecision) -> str:
    """The decision for a terminal or a log: a headline, then one reason per line."""
    lines = [
        f"{_title(decision)}: {decision.decision.upper()} at {format_time(decision.request.at)}"
    ]
    marks = {v.reason: v.verdict + (" (lifted)" if v.lifted_by else "") for v in decision.slos}
    for reason in decision.reasons:
        mark = marks.get(reason, "")
        lines.append(f"  {mark:<15} {reason}" if mark else f"  {reason}")
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(decision: GateDecision) -> str:
    """Workflow commands: ``::error`` for each SLO that freezes or cannot be judged,
    ``::warning`` for each that warns (a lifted freeze too); nothing when all allow."""
    title = _escape_property(f"sloscope gate: {_title(decision)} {decision.decision}")
    lines = []
    for verdict in decision.slos:
        if verdict.verdict in ("freeze", "unknown"):
            level = "error"
        elif verdict.verdict == "warn":
            level = "warning"
        else:
            continue
        lines.append(f"::{level} title={title}::{_escape_data(verdict.reason)}")
    if not decision.slos:
        lines.append(f"::error title={title}::{_escape_data(decision.reasons[0])}")
    return "".join(line + "\n" for line in lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def github_summary(decision: GateDecision) -> str:
    """A Markdown section for ``$GITHUB_STEP_SUMMARY``: the decision and a table of SLOs."""
    lines = [
        f"### sloscope gate: {_cell(_title(decision))}: **{decision.decision}**",
        "",
        "| SLO | budget consumed | verdict | policy | reason |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for verdict in decision.slos:
        figures = verdict.figures
        consumed = "no data" if figures.consumed is None else format_percent(figures.consumed)
        mark = verdict.verdict + (f" (lifted by {verdict.lifted_by})" if verdict.lifted_by else "")
        lines.append(
            f"| {_cell(figures.id)} | {consumed} | {mark} | {_cell(figures.policy.name)} "
            f"| {_cell(verdict.reason)} |"
        )
    per_slo = {v.reason for v in decision.slos}
    extra = [r for r in decision.reasons if r not in per_slo]
    if extra:
        lines.append("")
        lines += [f"- {_cell(r)}" for r in extra]
    return "\n".join(lines) + "\n\n"
