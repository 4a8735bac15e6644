"""Checks of loaded services that need the alert tables: what ``sloscope validate`` adds
after the specs themselves have loaded.

These are mostly warnings: the spec is valid, but something in it will not work the way
its author expects. An alert row that can never fire (a 90% SLO can burn at most 10x, so
a 14.4x page never comes), an SLO window shorter than an alert window, a slice longer than
an alert's short window, raw PromQL that only a Prometheus source can answer. An unknown
``alerting.policy`` is an error: the SLO could not alert at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sloscope.engine.burn import max_burn_rate
from sloscope.engine.windows import AlertPolicy, AlertWindow, bundled_policies
from sloscope.errors import Problem
from sloscope.spec.durations import format_duration
from sloscope.spec.model import SLO, PromQLSLI, Service, TimeslicesSLI

__all__ = ["check_services", "max_burn_rate"]


def check_services(
    services: Sequence[Service], policies: Mapping[str, AlertPolicy] | None = None
) -> list[Problem]:
    """Problems of loaded services that the spec loaders cannot see.

    ``policies`` are the project's alert policies by name (from ``sloscope.yaml``); the
    bundled tables (``google``) are always known. Problems point at each SLO's origin.
    """
    known = dict(bundled_policies())
    known.update(policies or {})
    problems: list[Problem] = []
    for service in services:
        for slo in service.slos:
            problems.extend(_check_slo(service, slo, known))
    return problems


def _problem(
    service: Service, slo: SLO, message: str, hint: str = "", *, error: bool = False
) -> Problem:
    origin = slo.origin or service.origin
    file = origin.file if origin else "<unknown>"
    line = origin.line if origin else 0
    return Problem(
        file,
        line,
        1 if line else 0,
        f"SLO {service.name}/{slo.name}: {message}",
        hint,
        "error" if error else "warning",
    )


def _check_slo(service: Service, slo: SLO, known: Mapping[str, AlertPolicy]) -> list[Problem]:
    out: list[Problem] = []
    if _uses_promql(slo):
        out.append(
            _problem(
                service,
                slo,
                "its SLI is raw PromQL, which only a Prometheus source can answer",
                "the embedded store evaluates ratio and latency SLIs on selectors; use those "
                "where you can",
            )
        )
    policy = known.get(slo.alerting.policy)
    # Unknown even when alerting is disabled: report and generate look the policy up for
    # every SLO, so validate must not let a name through that they refuse.
    if policy is None:
        out.append(
            _problem(
                service,
                slo,
                f"unknown alert policy {slo.alerting.policy!r}",
                f"known alert policies: {', '.join(sorted(known))}; define others under "
                "alert_policies in sloscope.yaml",
                error=True,
            )
        )
        return out
    if not slo.alerting.enabled:
        return out
    for row in policy.windows:
        out.extend(_check_row(service, slo, policy, row))
    if isinstance(slo.sli, TimeslicesSLI) and policy.lookbacks:
        shortest = policy.lookbacks[0]
        if slo.sli.slice_seconds > shortest:
            out.append(
                _problem(
                    service,
                    slo,
                    f"its time slice ({format_duration(slo.sli.slice_seconds)}) is longer than "
                    f"the shortest alert window ({format_duration(shortest)}) of policy "
                    f"{policy.name!r}",
                    "short alert windows then see at most one slice, or none; use slices no "
                    "longer than the shortest window",
                )
            )
    return out


def _check_row(service: Service, slo: SLO, policy: AlertPolicy, row: AlertWindow) -> list[Problem]:
    window = slo.window.nominal_seconds
    burn = max_burn_rate(slo.objective)
    out: list[Problem] = []
    label = (
        f"the {row.severity} alert of policy {policy.name!r} "
        f"({row.budget_percent:g}% of the budget in {row.long_label})"
    )
    if window < row.long_seconds:
        out.append(
            _problem(
                service,
                slo,
                f"its window ({slo.window.label}) is shorter than the long window of {label}",
                "use a longer SLO window or an alert policy with shorter windows",
            )
        )
    factor = row.factor(window)
    if burn <= factor:
        out.append(
            _problem(
                service,
                slo,
                f"{label} can never fire: a {slo.objective * 100:.10g}% SLO burns at most "
                f"{burn:.4g}x, and the alert needs more than {factor:g}x",
                "raise the objective, or use an alert policy whose rows spend more of the "
                "budget or look over longer windows",
            )
        )
    return out


def _uses_promql(slo: SLO) -> bool:
    sli = slo.sli
    if isinstance(sli, TimeslicesSLI):
        return isinstance(sli.indicator, PromQLSLI)
    return isinstance(sli, PromQLSLI)
