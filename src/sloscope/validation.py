"""Validation of a loaded project: the one owner of what ``sloscope validate`` checks
after the specs themselves have loaded.

The spec loaders (:mod:`sloscope.spec.load`) check each file on its own terms; what needs
the project's settings (its alert policies, budget policies and evaluation step, from
``sloscope.yaml``) is checked here, by :func:`validate_project`, which every caller (the
workspace, so the CLI and the server) goes through.

The alert-table checks are mostly warnings: the spec is valid, but something in it will
not work the way its author expects. An alert row that can never fire (a 90% SLO can burn
at most 10x, so a 14.4x page never comes), an SLO window shorter than an alert window, a
slice longer than an alert's short window, raw PromQL that only a Prometheus source can
answer. An unknown ``alerting.policy`` is an error: the SLO could not alert at all. So are
an unknown ``budget_policy`` and an evaluation step that does not divide an alert window
the SLOs use (their burn rates could not be evaluated).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from sloscope.engine.budget import max_burn_rate
from sloscope.engine.windows import (
    AlertPolicy,
    AlertWindow,
    bundled_policies,
    policy_from_mapping,
)
from sloscope.errors import Problem
from sloscope.policy.budget import BudgetPolicy
from sloscope.spec.durations import format_duration
from sloscope.spec.load import LoadResult
from sloscope.spec.model import SLO, Origin, PromQLSLI, Service, TimeslicesSLI
from sloscope.spec.outputs import output_problems


class ProjectRules(NamedTuple):
    """What a project's specs are checked against: the settings of its ``sloscope.yaml``."""

    #: Alert policies by name (the bundled ones are always known too).
    alert_policies: Mapping[str, AlertPolicy]
    #: Budget policies by name.
    budget_policies: Mapping[str, BudgetPolicy]
    #: The evaluation step as written (``1m``), and in seconds.
    step: str
    step_seconds: int
    #: The config file, named by problems about the step.
    config_file: str


def validate_project(loaded: LoadResult, rules: ProjectRules) -> LoadResult:
    """``loaded`` with every project check added, problems sorted by file and position.

    The project checks run only when the specs loaded without errors: with errors,
    services or SLOs are missing and the checks would report on a partial project.
    """
    problems = list(loaded.problems)
    known = {**rules.alert_policies, **spec_policies(loaded)}
    if not loaded.errors:
        # A service's label problem is found once per SLO of the service: list it once.
        problems += dict.fromkeys(check_services(loaded.services, known))
        problems += check_budget_policies(loaded.services, rules.budget_policies)
        problems += check_step(loaded.services, rules)
        problems += check_burn_steps(rules)
    problems.sort(key=lambda p: (p.file, p.line, p.column, p.severity != "error"))
    return LoadResult(loaded.services, tuple(problems), loaded.files, loaded.alert_policies)


def spec_policies(loaded: LoadResult) -> dict[str, AlertPolicy]:
    """The alert policies spec files bring, as engine tables, by name."""
    return {
        p.name: policy_from_mapping(p.as_mapping(), where=str(p.origin or p.name))
        for p in loaded.alert_policies
    }


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


def _output_problem(origin: Origin | None, message: str, hint: str) -> Problem:
    return Problem(
        origin.file if origin else "<unknown>",
        origin.line if origin else 0,
        1 if origin and origin.line else 0,
        message,
        hint,
        "error",
    )


def _check_slo(service: Service, slo: SLO, known: Mapping[str, AlertPolicy]) -> list[Problem]:
    # What the generators refuse, refused here in their words (one owner of the rules).
    out = [
        _output_problem(where or slo.origin or service.origin, message, hint)
        for where, message, hint in output_problems(service, slo)
    ]
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
    factor = row.factor(window)
    too_short, never_fires = window < row.long_seconds, burn <= factor
    if not (too_short or never_fires):
        return []  # the usual case, checked for every row of every SLO: no message to build
    out: list[Problem] = []
    label = (
        f"the {row.severity} alert of policy {policy.name!r} "
        f"({row.budget_percent:g}% of the budget in {row.long_label})"
    )
    if too_short:
        out.append(
            _problem(
                service,
                slo,
                f"its window ({slo.window.label}) is shorter than the long window of {label}",
                "use a longer SLO window or an alert policy with shorter windows",
            )
        )
    if never_fires:
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


def check_budget_policies(
    services: Sequence[Service], known: Mapping[str, BudgetPolicy]
) -> list[Problem]:
    """An SLO's ``budget_policy`` must be one of the project's: an error at the SLO."""
    problems = []
    for service in services:
        for slo in service.slos:
            if slo.budget_policy not in known:
                origin = slo.origin
                problems.append(
                    Problem(
                        file=origin.file if origin else service.name,
                        line=origin.line if origin else 0,
                        column=1 if origin and origin.line else 0,
                        message=f"SLO {slo.name!r} names unknown budget policy "
                        f"{slo.budget_policy!r}",
                        hint="known: "
                        + ", ".join(sorted(known))
                        + "; define more under budget_policies: in sloscope.yaml",
                    )
                )
    return problems


def check_step(services: Sequence[Service], rules: ProjectRules) -> list[Problem]:
    """The evaluation step must divide every alert window the SLOs use."""
    used = {s.alerting.policy for svc in services for s in svc.slos}
    problems = []
    for name in sorted(used & set(rules.alert_policies)):
        bad = [w for w in rules.alert_policies[name].lookbacks if w % rules.step_seconds]
        if bad:
            problems.append(
                Problem(
                    file=rules.config_file,
                    line=0,
                    column=0,
                    message=f"step {rules.step} does not divide the "
                    f"{format_duration(bad[0])} window of alert policy {name!r}, so "
                    "its burn rates cannot be evaluated",
                    hint="use a step that divides every alert window, such as 1m "
                    "(the default) or 30s",
                )
            )
    return problems


def check_burn_steps(rules: ProjectRules) -> list[Problem]:
    """The evaluation step must divide the lookback of every burn-rate budget step."""
    problems = []
    for policy in rules.budget_policies.values():
        for seconds in (w for w in policy.burn_windows if w % rules.step_seconds):
            problems.append(
                Problem(
                    file=rules.config_file,
                    line=0,
                    column=0,
                    message=f"budget policy {policy.name!r} reads a burn rate over "
                    f"{format_duration(seconds)}, which is not a whole number of "
                    f"{rules.step} steps",
                    hint="use an over: that the step divides, such as 5m or 1h",
                )
            )
    return problems
