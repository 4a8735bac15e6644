"""Gather the org report's inputs: specs and catalog, the SLOs' figures over the range,
and what the state store recorded (alerts, incidents, deployments, gate decisions,
overrides, exceptions). The figures themselves are :mod:`sloscope.report.org.figures`'.
The plain report's alert figures (:mod:`sloscope.records.report_sections`) use the same
rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from sloscope.errors import RequestError, SourceError
from sloscope.report.org.figures import (
    AlertRecord,
    OrgFigures,
    OrgInputs,
    ServiceBurn,
    org_figures,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from sloscope.report.model import Report
    from sloscope.store.history import Firing
    from sloscope.workspace import Workspace

#: The longest range an org report covers: a quarter and a bit.
MAX_RANGE_SECONDS = 100 * 86_400
#: The range of an org report given only its end: the week before it.
DEFAULT_RANGE_SECONDS = 7 * 86_400


def _burn(report: Report | None, lookback: int) -> tuple[ServiceBurn, ...]:
    if report is None:
        return ()
    worst: dict[str, tuple[float | None, float | None]] = {}
    for result in report.results:
        name = result.service.name
        burn, consumed = worst.get(name, (None, None))
        if result.has_data:
            rate = result.status.burn_rates.get(lookback)
            if rate is not None:
                burn = rate if burn is None else max(burn, rate)
            if result.status.consumed is not None:
                consumed = (
                    result.status.consumed
                    if consumed is None
                    else max(consumed, result.status.consumed)
                )
        worst[name] = (burn, consumed)
    return tuple(ServiceBurn(name, b, c) for name, (b, c) in sorted(worst.items()))


def alert_records(session: Session, found: Iterable[Firing]) -> tuple[AlertRecord, ...]:
    """The firings ``found`` as the figures count them, each marked acknowledged when
    someone acknowledged that firing (:func:`~sloscope.store.history.acknowledged_firings`)."""
    from sloscope.store.history import acknowledged_firings

    acked = acknowledged_firings(session)
    return tuple(
        AlertRecord(f.service, f.slo, f.severity, f.at, (f.dedup_key, f.at) in acked) for f in found
    )


#: What the org report's burn column is measured at: ``(at, lookback)`` in seconds.
BurnSpan = tuple[int, int]


def burn_span(step: int, begin: int, end: int) -> BurnSpan:
    """Where the burn column of the report over ``[begin, end)`` is measured: at the step
    ``end`` falls in, over the range's whole steps. Reports whose ranges share it share
    the telemetry's figures."""
    return end // step * step, (end - begin) // step * step


def org_burn(ws: Workspace, span: BurnSpan) -> tuple[ServiceBurn, ...]:
    """The burn column (each service's worst burn rate over the range and budget
    consumed), the only part of the org report read from the telemetry; empty when the
    source cannot answer."""
    at, lookback = span
    try:
        report: Report | None = ws.report(at=at, lookbacks=(lookback,))
    except SourceError:
        report = None  # no telemetry: the burn column is n/a, the records still count
    return _burn(report, lookback)


def org_report(
    ws: Workspace,
    *,
    begin: int,
    end: int,
    burn: Callable[[BurnSpan], tuple[ServiceBurn, ...]] | None = None,
) -> OrgFigures:
    """The org report over ``[begin, end)``. ``burn``: how the telemetry's figures are
    had (default :func:`org_burn` on ``ws``; a server passes its cache of them); the
    records are always read from the state store."""
    from sloscope.store.audit import AuditLog
    from sloscope.store.events import Deployments, Incidents
    from sloscope.store.gates import GateRecords, Overrides
    from sloscope.store.history import firings

    if end <= begin:
        raise RequestError("--to must be after --from")
    if end - begin > MAX_RANGE_SECONDS:
        raise RequestError("an org report covers at most 100 days; narrow --from/--to")
    services = ws.services()
    policies = {s.name: [ws.budget_policy(s, slo) for slo in s.slos] for s in services if s.slos}
    span = burn_span(ws.config.step_seconds, begin, end)
    burned = org_burn(ws, span) if burn is None else burn(span)
    with ws.open_state() as store, store.transaction() as session:
        alerts = alert_records(session, firings(session))
        incidents = tuple(i.incident for i in Incidents(session).find())
        deployments = tuple(d.deployment for d in Deployments(session).find())
        decisions = GateRecords(session).find(begin=begin, end=end)
        overrides = len(Overrides(session).find(begin=begin, end=end))
        exceptions = sum(
            e.kind == "exception" for e in AuditLog(session).find(begin=begin, end=end)
        )
    events = ws.config.events
    return org_figures(
        OrgInputs(
            begin=begin,
            end=end,
            catalog=ws.config.catalog_names(),
            policies=policies,
            burn=burned,
            alerts=alerts,
            incidents=incidents,
            deployments=deployments,
            freezes=dict(Counter(d.service for d in decisions if d.decision == "freeze")),
            overrides=overrides,
            exceptions=exceptions,
            failure_window=events.failure_window_seconds,
            repeat_window=events.repeat_window_seconds,
        )
    )
