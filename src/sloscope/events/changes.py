"""Change failure rate: the share of deployments that led to a failure.

A deployment *failed* when an SLO-impacting incident or a page on its service starts
within ``failure_window`` after it (default 1h: ``at <= start < at + window``) and before
the service's next deployment (which would be the more likely cause). Change failure
rate = failed / all deployments of the range, per service and overall (DORA's figure,
measured rather than self-reported). ``None`` without deployments, never 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.events.defaults import DEFAULT_FAILURE_WINDOW
from sloscope.events.model import Deployment, Incident, Page
from sloscope.timeparse import format_time


@dataclass(frozen=True)
class DeploymentOutcome:
    """A deployment and what failed it: ``incident ID`` or ``page at T``; None: it held."""

    deployment: Deployment
    failed_by: str | None

    @property
    def failed(self) -> bool:
        """Whether an incident or a page followed it in time."""
        return self.failed_by is not None


@dataclass(frozen=True)
class FailureRate:
    """Deployments and failed deployments of a range, and their ratio."""

    deployments: int
    failed: int

    @property
    def rate(self) -> float | None:
        """failed / deployments, or None without deployments."""
        return self.failed / self.deployments if self.deployments else None


@dataclass(frozen=True)
class ChangeFailureReport:
    """The change failure rate of a range: every deployment's outcome, by service, overall."""

    outcomes: tuple[DeploymentOutcome, ...]
    by_service: Mapping[str, FailureRate]
    overall: FailureRate


def _failures(
    service: str, incidents: Sequence[Incident], pages: Sequence[Page]
) -> list[tuple[int, str]]:
    found = [
        (i.start, f"incident {i.id}") for i in incidents if i.service == service and i.slo_impacting
    ]
    found += [(p.at, f"page at {format_time(p.at)}") for p in pages if p.service == service]
    return sorted(found)


def deployment_outcomes(
    deployments: Sequence[Deployment],
    incidents: Sequence[Incident],
    pages: Sequence[Page] = (),
    *,
    failure_window: int = DEFAULT_FAILURE_WINDOW,
) -> tuple[DeploymentOutcome, ...]:
    """Every deployment with what failed it, in time order (see the module docstring)."""
    by_service: dict[str, list[Deployment]] = defaultdict(list)
    for deployment in sorted(deployments, key=lambda d: (d.at, d.service, d.version)):
        by_service[deployment.service].append(deployment)
    outcomes = []
    for service, own in by_service.items():
        failures = _failures(service, incidents, pages)
        for index, deployment in enumerate(own):
            until = deployment.at + failure_window
            if index + 1 < len(own):
                until = min(until, own[index + 1].at)
            cause = next((what for t, what in failures if deployment.at <= t < until), None)
            outcomes.append(DeploymentOutcome(deployment, cause))
    outcomes.sort(key=lambda o: (o.deployment.at, o.deployment.service))
    return tuple(outcomes)


def change_failure_rate(
    deployments: Sequence[Deployment],
    incidents: Sequence[Incident],
    pages: Sequence[Page] = (),
    *,
    begin: int,
    end: int,
    failure_window: int = DEFAULT_FAILURE_WINDOW,
) -> ChangeFailureReport:
    """The change failure rate of the deployments in ``[begin, end)``.

    Pass every deployment you know, not only the range's: the one after the range's last
    deployment ends that deployment's failure window. Failures after ``end`` still count
    against a deployment inside the range.
    """
    outcomes = [
        o
        for o in deployment_outcomes(deployments, incidents, pages, failure_window=failure_window)
        if begin <= o.deployment.at < end
    ]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        tally = counts[outcome.deployment.service]
        tally[0] += 1
        tally[1] += outcome.failed
    by_service = {s: FailureRate(n, f) for s, (n, f) in sorted(counts.items())}
    overall = FailureRate(len(outcomes), sum(o.failed for o in outcomes))
    return ChangeFailureReport(tuple(outcomes), by_service, overall)
