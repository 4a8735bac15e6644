"""The org report's figures, measured from what is recorded, over ``[begin, end)``.

- **services with SLOs**: catalog services that have a spec with at least one SLO
  (without a catalog, the services of the specs: then 100% by construction, and the
  report says so);
- **tracking budgets**: services with SLOs each of whose SLOs is governed by a budget
  policy that notifies at 50% consumed or earlier and freezes releases at 90% or earlier;
- **alerts per week** (alerts that started firing in the range ÷ weeks) and the share
  that was **actionable**: acknowledged by someone, or linked to an incident (an
  incident of the alert's service, linked to its SLO or to no SLO, was open when it
  fired or opened within ``link_window`` after): :func:`actionable`;
- **burn rate per service**: the highest burn rate over the whole range among its SLOs,
  and the most budget consumed at ``end``;
- MTTA and MTTR, change failure rate and repeat-incident rate (:mod:`sloscope.events`);
- **freezes** (gate decisions that froze), **overrides** granted, **exceptions** used.

Pure: records in, figures out. Figures without data are None, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.events.changes import FailureRate, change_failure_rate
from sloscope.events.model import Deployment, Incident, Page
from sloscope.events.response import ResponseTimes, repeat_rate, response_times
from sloscope.policy.budget import BudgetPolicy

WEEK = 7 * 86_400

#: An incident opened this long after an alert fired still makes the alert actionable.
LINK_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class AlertRecord:
    """An alert that started firing: its service, SLO, severity and time, and whether
    someone acknowledged that firing."""

    service: str
    slo: str
    severity: str
    at: int
    acknowledged: bool = False


@dataclass(frozen=True)
class ServiceBurn:
    """One service's worst SLO figures: burn rate over the range, budget consumed at end."""

    service: str
    burn_rate: float | None
    consumed: float | None


@dataclass(frozen=True)
class OrgInputs:
    """What the org figures are made of (the workspace gathers it)."""

    begin: int
    end: int
    catalog: tuple[str, ...] | None
    policies: Mapping[str, Sequence[BudgetPolicy]]  # service with SLOs → their policies
    burn: tuple[ServiceBurn, ...]
    alerts: tuple[AlertRecord, ...]
    incidents: tuple[Incident, ...]
    deployments: tuple[Deployment, ...]
    freezes: Mapping[str, int]
    overrides: int
    exceptions: int
    failure_window: int
    repeat_window: int
    link_window: int = LINK_WINDOW_SECONDS


@dataclass(frozen=True)
class OrgFigures:
    """The org report."""

    begin: int
    end: int
    catalog_given: bool
    services: int
    services_with_slos: int
    services_tracking: int
    alerts: int
    alerts_actionable: int
    alerts_per_week: float
    weekly_alerts: tuple[tuple[int, int], ...]
    burn: tuple[ServiceBurn, ...]
    response: ResponseTimes
    change_failures: Mapping[str, FailureRate]
    change_failure_overall: FailureRate
    repeat_rate: float | None
    freezes: Mapping[str, int]
    overrides: int
    exceptions: int
    untracked: tuple[str, ...]
    without_slos: tuple[str, ...]

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        """part / whole, None when whole is 0."""
        return part / whole if whole else None


def tracks_budget(policies: Sequence[BudgetPolicy]) -> bool:
    """Whether every policy notifies by 50% consumed and freezes releases by 90%."""

    def ok(policy: BudgetPolicy) -> bool:
        notify = [s for s in policy.steps if s.consumed is not None and s.consumed <= 0.5]
        freeze = [
            s
            for s in policy.steps
            if s.consumed is not None and s.consumed <= 0.9 and s.release_action == "freeze"
        ]
        return bool(notify) and bool(freeze)

    return bool(policies) and all(ok(p) for p in policies)


def actionable(alert: AlertRecord, incidents: Sequence[Incident], link_window: int) -> bool:
    """Whether the alert was actionable: acknowledged, or linked to an incident (one of
    the alert's service, and SLO, covers its start or follows it within ``link_window``).

    The one rule of "actionable" for the plain report, the org report and the API.
    """
    if alert.acknowledged:
        return True
    for incident in incidents:
        if incident.service != alert.service:
            continue
        if incident.slos and alert.slo not in incident.slos:
            continue
        ended = incident.resolved if incident.resolved is not None else alert.at + 1
        if incident.start <= alert.at < ended:
            return True
        if alert.at <= incident.start <= alert.at + link_window:
            return True
    return False


def _weekly(alerts: Sequence[AlertRecord], begin: int, end: int) -> tuple[tuple[int, int], ...]:
    weeks = []
    start = begin
    while start < end:
        stop = min(start + WEEK, end)
        weeks.append((start, sum(start <= a.at < stop for a in alerts)))
        start = stop
    return tuple(weeks)


def org_figures(inputs: OrgInputs) -> OrgFigures:
    """The org report's figures (see the module docstring)."""
    begin, end = inputs.begin, inputs.end
    with_slos = set(inputs.policies)
    everyone = set(inputs.catalog) if inputs.catalog is not None else with_slos
    counted = with_slos & everyone
    tracking = {s for s in counted if tracks_budget(inputs.policies[s])}
    alerts = [a for a in inputs.alerts if begin <= a.at < end]
    linked = sum(actionable(a, inputs.incidents, inputs.link_window) for a in alerts)
    pages = [Page(a.service, a.at, a.slo) for a in inputs.alerts if a.severity == "page"]
    changes = change_failure_rate(
        inputs.deployments,
        inputs.incidents,
        pages,
        begin=begin,
        end=end,
        failure_window=inputs.failure_window,
    )
    return OrgFigures(
        begin=begin,
        end=end,
        catalog_given=inputs.catalog is not None,
        services=len(everyone),
        services_with_slos=len(counted),
        services_tracking=len(tracking),
        alerts=len(alerts),
        alerts_actionable=linked,
        alerts_per_week=len(alerts) / ((end - begin) / WEEK),
        weekly_alerts=_weekly(alerts, begin, end),
        burn=inputs.burn,
        response=response_times(inputs.incidents, begin=begin, end=end),
        change_failures=changes.by_service,
        change_failure_overall=changes.overall,
        repeat_rate=repeat_rate(
            inputs.incidents, begin=begin, end=end, window=inputs.repeat_window
        ),
        freezes=dict(inputs.freezes),
        overrides=inputs.overrides,
        exceptions=inputs.exceptions,
        untracked=tuple(sorted(counted - tracking)),
        without_slos=tuple(sorted(everyone - with_slos)),
    )
