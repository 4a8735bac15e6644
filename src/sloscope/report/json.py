"""The ``report --json`` contract of DESIGN.md.

Fractions are 0 to 1; every figure is at full float precision (lossless: JSON numbers are
never rounded); a figure with no data is ``null``, never 0. Keys are only ever added,
never renamed or removed: CI pipelines and other tools read them.
"""

from __future__ import annotations

import math
from typing import Any

from sloscope.jsontext import dumps_indented
from sloscope.report.model import Report, SLOResult
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time


def _num(value: float | None) -> float | None:
    """A finite figure at full float precision, or None (JSON null) for no data.

    Never rounded: a burn rate of 0.00004 is not "no errors", and consumers compare
    figures exactly. Rounding is for the table, Markdown and HTML. ``-0.0`` is written 0.0.
    """
    if value is None or not math.isfinite(value):
        return None
    number = float(value)
    return 0.0 if number == 0 else number


def slo_to_dict(result: SLOResult) -> dict[str, Any]:
    """One SLO's entry of ``report --json``."""
    status = result.status
    slo = result.slo
    # No matching series at all: the event counts are unknown, not zero.
    good = status.good if result.has_data else None
    total = status.total if result.has_data else None
    grouped = {"group": dict(result.group)} if slo.group_by else {}
    return {
        "service": result.service.name,
        "slo": slo.name,
        # A grouped SLO's entry names its group; an ungrouped SLO's has no "group" key.
        **grouped,
        "journey": slo.journey,
        "objective": _num(slo.objective),
        "window": slo.window.label,
        "sli": _num(status.sli),
        "good": _num(good),
        "total": _num(total),
        "error_budget": {
            "consumed": _num(status.consumed),
            "remaining": _num(status.remaining),
        },
        "burn_rates": {
            format_duration(lookback): _num(rate) for lookback, rate in status.burn_rates.items()
        },
        "alerts": [
            {
                "severity": alert.severity,
                "long_window": format_duration(alert.long_seconds),
                "short_window": format_duration(alert.short_seconds),
                "factor": alert.factor,
            }
            for alert in status.alerts
        ],
        "policy": {"state": result.decision.state, "reasons": list(result.decision.reasons)},
        # Extensions beyond the DESIGN.md example (added keys only).
        "window_start": format_time(status.window_start),
        "budget_exhausted_in_seconds": _num(status.exhaustion_seconds),
        "owner": result.service.owner or None,
        "read_from": result.note or None,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole ``report --json`` document."""
    return {
        "at": format_time(report.at),
        "slos": [slo_to_dict(r) for r in report.results],
        "step": format_duration(report.step),
        "source": report.source,
    }


def render_json(report: Report) -> str:
    """``report --json`` as text (indented, stable key order, a trailing newline)."""
    return dumps_indented(report_to_dict(report)) + "\n"
