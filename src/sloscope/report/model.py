"""What a report is: every SLO's status at one time, with its budget-policy decision."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NamedTuple

from sloscope.policy.budget import worst

if TYPE_CHECKING:
    # Types only: the gate judges no trend (engine.trend is the report's charts).
    from sloscope.engine.evaluate import SLOStatus
    from sloscope.engine.trend import Trend
    from sloscope.policy.budget import PolicyDecision, PolicyState
    from sloscope.spec.model import SLO, Service


class SLOResult(NamedTuple):
    """One SLO of one service, evaluated.

    ``has_data`` is False when no telemetry series matched the SLI at all; every figure
    is then ``None`` (``null`` in JSON), never 0. ``trend`` is the budget burndown and
    the last day's burn for sparklines and charts (None when the report was asked
    without trends, as ``report --json`` is). ``group`` is the label values of one group
    of a grouped SLO (``(("route", "/orders"),)``; empty for an ungrouped SLO).
    """

    service: Service
    slo: SLO
    status: SLOStatus
    decision: PolicyDecision
    has_data: bool
    note: str = ""
    trend: Trend | None = None
    group: tuple[tuple[str, str], ...] = ()

    @property
    def group_text(self) -> str:
        """The group as PromQL writes a label set (``{route="/orders"}``); ``""`` when
        the SLO is not grouped."""
        return group_text(self.group)

    @property
    def name(self) -> str:
        """The SLO's name, with its group when grouped (``availability{route="/orders"}``)."""
        return self.slo.name + self.group_text


def group_text(group: tuple[tuple[str, str], ...]) -> str:
    """Label values as PromQL writes them: ``{route="/orders", method="GET"}``."""
    if not group:
        return ""
    body = ", ".join(f"{label}={json.dumps(value)}" for label, value in group)
    return "{" + body + "}"


class Report(NamedTuple):
    """Every selected SLO at ``at`` (Unix seconds), evaluated at ``step`` from ``source``."""

    at: int
    step: int
    source: str
    results: tuple[SLOResult, ...]

    @property
    def state(self) -> PolicyState:
        """The most severe policy state of all SLOs."""
        return worst([r.decision.state for r in self.results])
