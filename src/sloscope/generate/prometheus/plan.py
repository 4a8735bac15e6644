"""What is generated for one SLO: its windows, usable alert rows and labels (:class:`SLOPlan`).

Planning checks what Prometheus cannot carry (label names) and which alert rows of the
policy can fire, before any rule is written; the recording rules, the alert rules, the
promtool tests and the dashboards all read the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sloscope import conventions as names
from sloscope.engine.burn import AlertThreshold, alert_thresholds
from sloscope.engine.windows import AlertPolicy, AlertSeverity, TrafficGuard, bundled_policies
from sloscope.errors import ConfigError, Problem, SpecError
from sloscope.generate import promql
from sloscope.spec.model import SLO, PromQLSLI, Service, TimeslicesSLI
from sloscope.spec.outputs import LABEL_HINT, label_name_problem, output_problems

#: Every SLO records its 5m rates: the base the long windows are summed from.
BASE_WINDOW = 300

#: Which alert policy, low-traffic guard resolved, an SLO's rules follow (the workspace's
#: ``alert_policy_for``, which ``evaluate`` follows too).
PolicyOf = Callable[[Service, SLO], AlertPolicy]

TIERS: tuple[AlertSeverity, ...] = ("page", "ticket")
ALERT_NAMES: Mapping[AlertSeverity, str] = {
    "page": names.ALERT_PAGE,
    "ticket": names.ALERT_TICKET,
}


@dataclass(frozen=True)
class SLOPlan:
    """What is generated for one SLO: windows, usable alert rows, labels.

    ``thresholds`` holds the alert rows that can fire, in policy order; ``skipped`` says
    why the others were left out. ``alerting`` is False when the SLO's alerting is
    disabled (its rules are still recorded). ``guard`` is the low-traffic guard the alert
    rules carry (:func:`rule_guard`; the zero guard when they carry none).
    """

    service: Service
    slo: SLO
    id: str
    policy: AlertPolicy
    thresholds: tuple[AlertThreshold, ...]
    skipped: tuple[str, ...]
    windows: tuple[int, ...]
    slo_window: int
    budget: str
    labels: Mapping[str, str]
    alerting: bool
    guard: TrafficGuard = field(default_factory=TrafficGuard)

    @property
    def budget_value(self) -> float:
        """The error budget as Prometheus reads it from the rules (``0.001``)."""
        return float(self.budget)

    def tier_rows(self, tier: AlertSeverity) -> tuple[AlertThreshold, ...]:
        """Usable alert rows of one tier, in policy order; none when the tier is off."""
        if not self.slo.alerting.tier(tier).enabled:
            return ()
        return tuple(t for t in self.thresholds if t.severity == tier)

    def window_labels(self, seconds: int) -> dict[str, str]:
        """Labels of a recorded series of this SLO over a window."""
        return {**self.labels, names.LABEL_WINDOW: promql.window_text(seconds)}

    def selector(self, metric: str) -> str:
        """A selector of one of this SLO's recorded series (by the id label)."""
        return f'{metric}{{{names.LABEL_ID}="{self.id}"}}'


def policy_for(slo: SLO, service: Service, policies: Mapping[str, AlertPolicy]) -> AlertPolicy:
    """The SLO's alert policy from ``policies`` or the bundled tables; ConfigError if none."""
    name = slo.alerting.policy
    known = {**bundled_policies(), **policies}
    if name in known:
        return known[name]
    where = f" ({slo.origin})" if slo.origin else ""
    raise ConfigError(
        f"SLO {service.name}/{slo.name}{where} uses alert policy {name!r}, which is not "
        f"defined; known policies: {', '.join(sorted(known))}. Define it under "
        "alert_policies in sloscope.yaml or set alerting.policy to a known one"
    )


def _check_outputs(service: Service, slo: SLO) -> None:
    """Raise :class:`SpecError` for what the rules cannot carry (the rules ``validate``
    checks too, owned by :mod:`sloscope.spec.outputs`)."""
    problems = []
    for where, message, hint in output_problems(service, slo):
        origin = where or slo.origin or service.origin
        problems.append(
            Problem(
                origin.file if origin else "<spec>", origin.line if origin else 0, 0, message, hint
            )
        )
    if problems:
        raise SpecError(problems)


def row_left_out(slo: SLO, row: AlertThreshold) -> str:
    """Why an alert row of ``slo`` gets no alert ("" when it gets one).

    The one rule the alert rules, their promtool tests and the dashboards follow: a row
    whose factor is at or above the SLO's highest burn rate can never fire, and a
    time-slice SLI's row whose short window holds no whole slice cannot be judged. An
    event SLI's row alerts whatever its short window (1m too), as ``evaluate`` pages on
    it; such a window needs a scrape interval of half the window or less to hold two
    samples for ``rate()``.
    """
    if not row.can_fire(slo.objective):
        highest = promql.format_number(1 / slo.error_budget)
        percent = promql.format_number(slo.objective * 100)
        return f"it can never fire, a {percent}% SLO burns at most {highest}x"
    if isinstance(slo.sli, TimeslicesSLI) and row.short_seconds < slo.sli.slice_seconds:
        return (
            "its short window holds no whole "
            f"{promql.window_text(slo.sli.slice_seconds)} time slice"
        )
    return ""


def recorded_windows(slo: SLO, policy: AlertPolicy) -> tuple[int, ...]:
    """The windows whose rates and ratios the rules record for ``slo``, shortest first:
    the 5m base, the SLO window and every alert window, for a time-slice SLI only those
    that hold a whole slice."""
    windows = {BASE_WINDOW, slo.window.nominal_seconds, *policy.lookbacks}
    if isinstance(slo.sli, TimeslicesSLI):
        slice_seconds = slo.sli.slice_seconds
        windows = {w for w in windows if w >= slice_seconds}
    return tuple(sorted(windows))


def rule_guard(slo: SLO, policy: AlertPolicy) -> TrafficGuard:
    """The low-traffic guard the alert rules of ``slo`` carry: the policy's, when the SLI
    counts events the rules record (bad and total rates).

    The zero guard (none) for a time-slice SLI, whose counts are slices (the engine
    guards events only), for an ``error_ratio``-only PromQL SLI, which records no counts
    (see :func:`guard_note`), and for a policy without a guard or with the zero one.
    """
    guard = policy.guard or TrafficGuard()
    sli = slo.sli
    if isinstance(sli, TimeslicesSLI) or (isinstance(sli, PromQLSLI) and sli.total is None):
        return TrafficGuard()
    return guard


def guard_note(service: Service, slo: SLO, policy: AlertPolicy) -> str:
    """Why the rules leave out an active guard of the policy ("" when they carry it)."""
    if policy.guard is None or not policy.guard.active:
        return ""
    if isinstance(slo.sli, PromQLSLI) and slo.sli.total is None:
        return (
            f"{service.name}/{slo.name}: its alerts have no low-traffic guard: an "
            "error_ratio PromQL SLI records no event counts (write total: and bad: or good:)"
        )
    return ""


def plan_slo(
    service: Service,
    slo: SLO,
    policies: Mapping[str, AlertPolicy],
    extra_labels: Mapping[str, str] | None = None,
    policy_of: PolicyOf | None = None,
) -> SLOPlan:
    """Decide the windows, alert rows, guard and labels of one SLO.

    ``policy_of`` picks the SLO's policy with its guard resolved (the workspace's, as
    ``evaluate`` does); without it the spec's ``alerting.policy`` from ``policies``, with
    the table's own guard (none for the bundled tables). Raises :class:`ConfigError` for
    an unknown alert policy and :class:`SpecError` for labels Prometheus cannot carry.
    """
    policy = policy_of(service, slo) if policy_of else policy_for(slo, service, policies)
    _check_outputs(service, slo)
    slo_id = names.slo_id(service.name, slo.name)
    slo_window = slo.window.nominal_seconds
    skipped: list[str] = []
    usable: list[AlertThreshold] = []
    for row in alert_thresholds(policy, slo_window):
        left_out = row_left_out(slo, row)
        if left_out:
            skipped.append(
                f"{service.name}/{slo.name}: {row.severity} row {row.window.long_label}/"
                f"{row.window.short_label} (factor {promql.format_number(row.factor)}) "
                f"left out: {left_out}"
            )
        else:
            usable.append(row)
    labels = {
        **service.labels,
        **slo.labels,
        **(extra_labels or {}),
        names.LABEL_SERVICE: service.name,
        names.LABEL_SLO: slo.name,
        names.LABEL_ID: slo_id,
    }
    return SLOPlan(
        service=service,
        slo=slo,
        id=slo_id,
        policy=policy,
        thresholds=tuple(usable),
        skipped=tuple(skipped),
        windows=recorded_windows(slo, policy),
        slo_window=slo_window,
        budget=promql.format_number(slo.error_budget),
        labels=dict(sorted(labels.items())),
        alerting=slo.alerting.enabled,
        guard=rule_guard(slo, policy),
    )


def alert_name(plan: SLOPlan, tier: AlertSeverity) -> str:
    """The alert name of one tier: the SLO's ``alerting.name``, else sloscope's."""
    return plan.slo.alerting.name or ALERT_NAMES[tier]


def check_extra_labels(extra_labels: Mapping[str, str] | None) -> None:
    """Raise :class:`ConfigError` when a label to add to every rule is invalid or reserved.

    The labels come from the command line (``--label``), not from a spec: the message
    names the option, not ``validate``.
    """
    for key in extra_labels or {}:
        problem = label_name_problem(key)
        if problem:
            raise ConfigError(f"--label {key!r} {problem} ({LABEL_HINT})")


def plans(
    services: Iterable[Service],
    policies: Mapping[str, AlertPolicy],
    extra_labels: Mapping[str, str] | None = None,
    policy_of: PolicyOf | None = None,
) -> list[SLOPlan]:
    """Plans of every SLO, services sorted by name, SLOs in spec order (see
    :func:`plan_slo` for ``policy_of``)."""
    out: list[SLOPlan] = []
    for service in sorted(services, key=lambda s: s.name):
        for slo in service.slos:
            out.append(plan_slo(service, slo, policies, extra_labels, policy_of))
    return out
