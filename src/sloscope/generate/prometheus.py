"""Prometheus recording and alert rules from SLO specs.

Per SLO, in rule groups named by :mod:`sloscope.conventions` (one group per SLO and kind):

``sloscope-<id>-sli-recordings``
    Bad-event rate, all-event rate and error ratio over every window under a day that
    the alert policy needs (5m, 30m, 1h, 2h, 6h), from the raw series.
``sloscope-<id>-sli-long-recordings`` (``interval: 5m``)
    The same over windows of a day and more (1d, 3d) and over the SLO window (28d),
    *summed from the 5m recordings*::

        sum_over_time(slo:sli_error:rate5m{sloscope_id="x"}[28d])
          / sum_over_time(slo:sli_total:rate5m{sloscope_id="x"}[28d])

    Every 5m sample is weighted by its traffic, so the ratio is bad events ÷ all events
    over the window, which is what the budget is. Sloth records
    ``avg_over_time(ratio_rate5m[30d])``, the mean of 5m ratios, which counts a quiet
    night's 5m ratio (1 failure in 10 requests) as much as a busy hour's: on spiky traffic
    it is biased towards the quiet periods. Summing recorded series is also what makes
    long windows cheap: ``rate(x[28d])`` reads every raw sample of every series of the SLI
    (40,320 per series at a 1m scrape, times the pods and status codes), the sum reads
    one recorded series, and the group runs every 5m instead of every evaluation.
    Short windows stay on raw series so they react (and reset) at once.
``sloscope-<id>-slice-recordings`` (time-slice SLIs; ``interval``: the slice)
    A 0/1 bad-slice indicator (see :func:`sloscope.generate.promql.slice_bad_indicator`);
    every window's ratio is ``sum_over_time(ind[W]) / count_over_time(ind[W])``, the share
    of bad slices among slices with events.
``sloscope-<id>-meta-recordings`` (``interval: 5m``)
    Objective, error budget, period in days, current burn rate (shortest window), period
    burn rate and the budget left over the SLO window.
``sloscope-<id>-alerts``
    ``SLOErrorBudgetBurnPage`` and ``SLOErrorBudgetBurnTicket`` from the SLO's alert
    policy: a row fires while both its long and short error ratios are above
    ``factor × budget``, rows of one tier are joined with ``or``. The alert's value is
    the burn rate over the long window of the first row that fires. Optionally
    ``SLOErrorBudgetExhausted``.

Calendar windows (``month``) are recorded as their nominal rolling window (30d), the
length the burn factors use too; Prometheus has no calendar ranges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from sloscope import conventions as names
from sloscope.engine.burn import AlertThreshold, alert_thresholds
from sloscope.engine.windows import AlertPolicy, AlertSeverity, bundled_policies
from sloscope.errors import ConfigError, Problem, SpecError
from sloscope.generate import promql
from sloscope.spec.model import SLO, CalendarWindow, PromQLSLI, Service, TimeslicesSLI

#: Every SLO records its 5m rates: the base the long windows are summed from.
BASE_WINDOW = 300
#: Windows of this length and more are summed from the 5m recordings.
SUMMED_FROM = 86400
#: Evaluation interval of the slow groups (long windows, metadata).
SLOW_INTERVAL = "5m"
#: How long the budget must stay spent before the exhausted alert fires.
EXHAUSTED_FOR = "5m"

RuleFormat = Literal["rules", "operator"]

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_RESERVED = {
    names.LABEL_SERVICE,
    names.LABEL_SLO,
    names.LABEL_ID,
    names.LABEL_WINDOW,
    names.LABEL_TIER,
    names.LABEL_SEVERITY,
    "alertname",
}
TIERS: tuple[AlertSeverity, ...] = ("page", "ticket")
ALERT_NAMES: Mapping[AlertSeverity, str] = {
    "page": names.ALERT_PAGE,
    "ticket": names.ALERT_TICKET,
}


class RulesDocument(dict[str, Any]):
    """A generated rules document (``{"groups": [...]}``) and what generation noticed.

    ``warnings`` lists alert rows left out because they can never fire and SLOs without
    alerts; :func:`render_rules` prints them as comments at the top of the file.
    """

    def __init__(self, groups: list[dict[str, Any]], warnings: Sequence[str] = ()) -> None:
        super().__init__(groups=groups)
        self.warnings: tuple[str, ...] = tuple(warnings)


@dataclass(frozen=True)
class SLOPlan:
    """What is generated for one SLO: windows, usable alert rows, labels.

    ``thresholds`` holds the alert rows that can fire, in policy order; ``skipped`` says
    why the others were left out. ``alerting`` is False when the SLO's alerting is
    disabled (its rules are still recorded).
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

    @property
    def budget_value(self) -> float:
        """The error budget as Prometheus reads it from the rules (``0.001``)."""
        return float(self.budget)

    def tier_rows(self, tier: AlertSeverity) -> tuple[AlertThreshold, ...]:
        """Usable alert rows of one tier, in policy order."""
        return tuple(t for t in self.thresholds if t.severity == tier)

    def window_labels(self, seconds: int) -> dict[str, str]:
        """Labels of a recorded series of this SLO over a window."""
        return {**self.labels, names.LABEL_WINDOW: promql.window_text(seconds)}

    def selector(self, metric: str) -> str:
        """A selector of one of this SLO's recorded series (by the id label)."""
        return f'{metric}{{{names.LABEL_ID}="{self.id}"}}'


def _policy_for(slo: SLO, service: Service, policies: Mapping[str, AlertPolicy]) -> AlertPolicy:
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


def _check_labels(
    labels: Mapping[str, str], where: Service | SLO, what: str, problems: list[Problem]
) -> None:
    origin = where.origin
    for key in labels:
        message = ""
        if not _LABEL_NAME.match(key):
            message = f"{what} label {key!r} is not a valid Prometheus label name"
            hint = "use letters, digits and '_', not starting with a digit"
        elif key in _RESERVED or key.startswith("__"):
            message = f"{what} label {key!r} is reserved for the generated rules"
            hint = "rename the label"
        if message:
            problems.append(
                Problem(
                    origin.file if origin else "<spec>",
                    origin.line if origin else 0,
                    0,
                    message,
                    hint,
                )
            )


def plan_slo(
    service: Service,
    slo: SLO,
    policies: Mapping[str, AlertPolicy],
    extra_labels: Mapping[str, str] | None = None,
) -> SLOPlan:
    """Decide the windows, alert rows and labels of one SLO.

    Raises :class:`ConfigError` for an unknown alert policy and :class:`SpecError` for
    labels Prometheus cannot carry.
    """
    policy = _policy_for(slo, service, policies)
    problems: list[Problem] = []
    _check_labels(service.labels, service, f"service {service.name!r}:", problems)
    _check_labels(slo.labels, slo, f"SLO {slo.name!r}:", problems)
    _check_labels(slo.alerting.labels, slo, f"SLO {slo.name!r} alerting:", problems)
    if problems:
        raise SpecError(problems)
    slo_id = names.slo_id(service.name, slo.name)
    slo_window = slo.window.nominal_seconds
    skipped: list[str] = []
    min_window = BASE_WINDOW
    if isinstance(slo.sli, TimeslicesSLI):
        min_window = slo.sli.slice_seconds
    usable: list[AlertThreshold] = []
    for row in alert_thresholds(policy, slo_window):
        what = (
            f"{service.name}/{slo.name}: {row.severity} row {row.window.long_label}/"
            f"{row.window.short_label} (factor {promql.format_number(row.factor)})"
        )
        if not row.can_fire(slo.objective):
            highest = promql.format_number(1 / slo.error_budget)
            percent = promql.format_number(slo.objective * 100)
            skipped.append(
                f"{what} left out: it can never fire, a {percent}% SLO burns at most {highest}x"
            )
        elif row.short_seconds < min_window:
            skipped.append(
                f"{what} left out: its short window holds no whole "
                f"{promql.window_text(min_window)} time slice"
            )
        else:
            usable.append(row)
    windows = {BASE_WINDOW, slo_window, *policy.lookbacks}
    if isinstance(slo.sli, TimeslicesSLI):
        windows = {w for w in windows if w >= min_window}
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
        windows=tuple(sorted(windows)),
        slo_window=slo_window,
        budget=promql.format_number(slo.error_budget),
        labels=dict(sorted(labels.items())),
        alerting=slo.alerting.enabled,
    )


# --- recording rules --------------------------------------------------------------------


def _record(metric: str, expr: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"record": metric, "expr": expr, "labels": dict(sorted(labels.items()))}


def _window_rules(plan: SLOPlan, seconds: int) -> list[dict[str, Any]]:
    """Error rate, total rate and error ratio of one window."""
    sli = plan.slo.sli
    labels = plan.window_labels(seconds)
    err, tot, ratio = (
        names.error_rate(seconds),
        names.total_rate(seconds),
        names.error_ratio(seconds),
    )
    w = promql.window_text(seconds)
    if isinstance(sli, TimeslicesSLI):
        slices = plan.selector(names.slice_bad(sli.slice_seconds))
        return [
            _record(err, f"sum_over_time({slices}[{w}]) / {seconds}", labels),
            _record(tot, f"count_over_time({slices}[{w}]) / {seconds}", labels),
            _record(
                ratio, f"sum_over_time({slices}[{w}]) / count_over_time({slices}[{w}])", labels
            ),
        ]
    if isinstance(sli, PromQLSLI) and sli.total is None:
        return [_record(ratio, promql.direct_error_ratio(sli, seconds), labels)]
    if seconds < SUMMED_FROM or seconds == BASE_WINDOW:
        return [
            _record(err, promql.error_rate(sli, seconds), labels),
            _record(tot, promql.total_rate(sli, seconds), labels),
            _record(ratio, f"{plan.selector(err)} / {plan.selector(tot)}", labels),
        ]
    base_err = plan.selector(names.error_rate(BASE_WINDOW))
    base_tot = plan.selector(names.total_rate(BASE_WINDOW))
    return [
        _record(err, f"avg_over_time({base_err}[{w}])", labels),
        _record(tot, f"avg_over_time({base_tot}[{w}])", labels),
        _record(ratio, f"sum_over_time({base_err}[{w}]) / sum_over_time({base_tot}[{w}])", labels),
    ]


def _group(name: str, rules: list[dict[str, Any]], interval: str | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"name": name}
    if interval:
        group["interval"] = interval
    group["rules"] = rules
    return group


def _recording_groups(plan: SLOPlan) -> list[dict[str, Any]]:
    sli = plan.slo.sli
    groups: list[dict[str, Any]] = []
    if isinstance(sli, TimeslicesSLI):
        groups.append(
            _group(
                names.GROUP_SLICES.format(id=plan.id),
                [
                    _record(
                        names.slice_bad(sli.slice_seconds),
                        promql.slice_bad_indicator(sli),
                        plan.window_labels(sli.slice_seconds),
                    )
                ],
                promql.window_text(sli.slice_seconds),
            )
        )
    short = [w for w in plan.windows if w < SUMMED_FROM]
    long = [w for w in plan.windows if w >= SUMMED_FROM]
    groups.append(
        _group(
            names.GROUP_RECORDING.format(id=plan.id),
            [rule for w in short for rule in _window_rules(plan, w)],
        )
    )
    if long:
        groups.append(
            _group(
                names.GROUP_LONG_RECORDING.format(id=plan.id),
                [rule for w in long for rule in _window_rules(plan, w)],
                SLOW_INTERVAL,
            )
        )
    return groups


def _meta_group(plan: SLOPlan) -> dict[str, Any]:
    labels = plan.labels
    slo = plan.slo
    shortest = plan.windows[0]
    period = plan.window_labels(plan.slo_window)
    rules = [
        _record(names.OBJECTIVE, f"vector({promql.format_number(slo.objective)})", labels),
        _record(names.ERROR_BUDGET, f"vector({plan.budget})", labels),
        _record(
            names.PERIOD_DAYS, f"vector({promql.format_number(plan.slo_window / 86400)})", labels
        ),
        _record(
            names.CURRENT_BURN_RATE,
            f"{plan.selector(names.error_ratio(shortest))} / {plan.budget}",
            plan.window_labels(shortest),
        ),
        _record(
            names.PERIOD_BURN_RATE,
            f"{plan.selector(names.error_ratio(plan.slo_window))} / {plan.budget}",
            period,
        ),
        _record(names.BUDGET_REMAINING, f"1 - {plan.selector(names.PERIOD_BURN_RATE)}", period),
    ]
    return _group(names.GROUP_META.format(id=plan.id), rules, SLOW_INTERVAL)


# --- alerts -----------------------------------------------------------------------------


def _row_condition(plan: SLOPlan, row: AlertThreshold) -> str:
    threshold = f"({promql.format_number(row.factor)} * {plan.budget})"
    parts = [
        f"max without ({names.LABEL_WINDOW}) "
        f"({plan.selector(names.error_ratio(seconds))} > {threshold})"
        for seconds in (row.long_seconds, row.short_seconds)
    ]
    return "(\n  " + "\n  and\n  ".join(parts) + "\n)"


def alert_expression(plan: SLOPlan, tier: AlertSeverity) -> str:
    """The multi-window expression of one tier; its value is the long window's burn rate."""
    rows = plan.tier_rows(tier)
    conditions = "\nor\n".join(_row_condition(plan, row) for row in rows)
    body = "\n".join("  " + line for line in conditions.splitlines())
    return (
        "# Fires while a row's long and short error ratios both exceed factor × budget.\n"
        "# The value is the burn rate: the long window's error ratio ÷ the error budget.\n"
        f"(\n{body}\n)\n/ {plan.budget}"
    )


def _condition_text(rows: Iterable[AlertThreshold]) -> str:
    parts = [
        f"the {row.window.long_label} and {row.window.short_label} burn rates both exceed "
        f"{promql.format_number(row.factor)} "
        f"({promql.format_number(row.window.budget_percent)}% of the budget in "
        f"{row.window.long_label})"
        for row in rows
    ]
    return "; or ".join(parts)


def _objective_text(plan: SLOPlan) -> str:
    window = plan.slo.window
    span = (
        f"the {window.label} (recorded over a rolling {promql.window_text(plan.slo_window)})"
        if isinstance(window, CalendarWindow)
        else f"{window.label}"
    )
    return f"{promql.format_number(plan.slo.objective * 100)}% over {span}"


def alert_labels(plan: SLOPlan, tier: AlertSeverity) -> dict[str, str]:
    """The labels an alert rule sets: the SLO's identity, user alerting labels, tier.

    The identity labels are on the alert's series already; repeating them makes every
    rule distinct for ``promtool check rules`` (its duplicate-rules lint).
    """
    labels = {
        **plan.slo.alerting.labels,
        names.LABEL_SERVICE: plan.service.name,
        names.LABEL_SLO: plan.slo.name,
        names.LABEL_ID: plan.id,
        names.LABEL_SEVERITY: tier,
        names.LABEL_TIER: tier,
    }
    return dict(sorted(labels.items()))


def alert_annotations(
    plan: SLOPlan, tier: AlertSeverity | Literal["exhausted"], dashboard_url: str | None
) -> dict[str, str]:
    """Annotations of an alert: summary, description, runbook_url, dashboard; user ones win.

    The description holds the Go template ``{{ $value | humanize }}`` (the burn rate), or
    for the exhausted alert ``{{ $value | humanizePercentage }}`` (the budget left).
    """
    who = f"{plan.service.name}/{plan.slo.name}"
    if tier == "exhausted":
        summary = (
            f"{who}: the error budget of the last {promql.window_text(plan.slo_window)} is spent"
        )
        description = (
            f"SLO {who} ({_objective_text(plan)}) has "
            "{{ $value | humanizePercentage }} of its error budget left (below 0: overspent)."
        )
    else:
        pace = "fast" if tier == "page" else "steadily"
        summary = f"{who}: the error budget burns {pace}"
        description = (
            f"SLO {who} ({_objective_text(plan)}) burns its error budget "
            "{{ $value | humanize }}x as fast as the window allows (over the alert's long "
            f"window). The {tier} alert fires while "
            f"{_condition_text(plan.tier_rows(tier))}."
        )
    out = {"summary": summary, "description": description}
    alerting = plan.slo.alerting
    if alerting.runbook:
        out["runbook_url"] = alerting.runbook
    dashboard = alerting.dashboard
    if not dashboard and dashboard_url:
        dashboard = dashboard_url.format_map(
            {"service": plan.service.name, "slo": plan.slo.name, "id": plan.id}
        )
    if dashboard:
        out["dashboard"] = dashboard
    out.update(alerting.annotations)
    return out


def _alert_group(
    plan: SLOPlan, exhausted_alert: bool, dashboard_url: str | None
) -> dict[str, Any] | None:
    rules: list[dict[str, Any]] = []
    for tier in TIERS:
        if plan.tier_rows(tier):
            rules.append(
                {
                    "alert": ALERT_NAMES[tier],
                    "expr": alert_expression(plan, tier),
                    "labels": alert_labels(plan, tier),
                    "annotations": alert_annotations(plan, tier, dashboard_url),
                }
            )
    if exhausted_alert:
        rules.append(
            {
                "alert": names.ALERT_EXHAUSTED,
                "expr": f"{plan.selector(names.BUDGET_REMAINING)} <= 0",
                "for": EXHAUSTED_FOR,
                "labels": alert_labels(plan, "ticket"),
                "annotations": alert_annotations(plan, "exhausted", dashboard_url),
            }
        )
    if not rules:
        return None
    return _group(names.GROUP_ALERTS.format(id=plan.id), rules)


def plans(
    services: Iterable[Service],
    policies: Mapping[str, AlertPolicy],
    extra_labels: Mapping[str, str] | None = None,
) -> list[SLOPlan]:
    """Plans of every SLO, services sorted by name, SLOs in spec order."""
    out: list[SLOPlan] = []
    for service in sorted(services, key=lambda s: s.name):
        for slo in service.slos:
            out.append(plan_slo(service, slo, policies, extra_labels))
    return out


def generate_rules(
    services: Iterable[Service],
    policies: Mapping[str, AlertPolicy],
    *,
    exhausted_alert: bool = False,
    dashboard_url: str | None = None,
    extra_labels: Mapping[str, str] | None = None,
) -> RulesDocument:
    """The Prometheus rules document (``{"groups": [...]}``) of every SLO of ``services``.

    ``policies`` are the project's alert policies by name (the bundled ``google`` table is
    always known). ``dashboard_url`` is a template for the ``dashboard`` annotation of SLOs
    whose spec names none: ``{service}``, ``{slo}`` and ``{id}`` are replaced.
    ``extra_labels`` go on every recorded series and alert.

    Raises :class:`ConfigError` for an unknown alert policy, :class:`SpecError` for labels
    Prometheus cannot carry.
    """
    if extra_labels:
        problems: list[Problem] = []
        for key in extra_labels:
            if not _LABEL_NAME.match(key) or key in _RESERVED or key.startswith("__"):
                problems.append(
                    Problem("<extra labels>", 0, 0, f"label {key!r} cannot be added to rules")
                )
        if problems:
            raise SpecError(problems)
    groups: list[dict[str, Any]] = []
    warnings: list[str] = []
    for plan in plans(services, policies, extra_labels):
        groups.extend(_recording_groups(plan))
        groups.append(_meta_group(plan))
        if not plan.alerting:
            warnings.append(f"{plan.service.name}/{plan.slo.name}: alerting disabled, no alerts")
            continue
        warnings.extend(plan.skipped)
        alerts = _alert_group(plan, exhausted_alert, dashboard_url)
        if alerts is not None:
            groups.append(alerts)
    return RulesDocument(groups, warnings)


# --- YAML -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as ``|`` literals, keys in insertion order."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Mapping[str, Any], comments: Sequence[str] = ()) -> str:
    """YAML text of a generated document, with ``comments`` as ``#`` lines on top."""
    body = yaml.dump(
        _plain_data(data),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        # Never fold long expressions: a folded PromQL line is hard to read and diff.
        width=1_000_000,
    )
    head = "".join(f"# {line}\n" for comment in comments for line in comment.splitlines())
    return head + body


def _plain_data(value: Any) -> Any:
    """Mappings as plain dicts (the safe dumper refuses subclasses)."""
    if isinstance(value, Mapping):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v) for v in value]
    return value


def render_rules(
    doc: Mapping[str, Any], fmt: RuleFormat = "rules", name: str = "sloscope-slos"
) -> str:
    """YAML text of a rules document: a Prometheus rule file, or a ``PrometheusRule``.

    ``operator`` wraps the groups in a Prometheus-operator ``PrometheusRule`` object
    (``apiVersion: monitoring.coreos.com/v1``) called ``name``.
    """
    warnings = getattr(doc, "warnings", ())
    comments = ["Generated by sloscope from SLO specs; regenerate instead of editing."]
    comments.extend(f"warning: {w}" for w in warnings)
    if fmt == "rules":
        return dump_yaml(doc, comments)
    if fmt == "operator":
        obj = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "sloscope"}},
            "spec": {"groups": doc["groups"]},
        }
        return dump_yaml(obj, comments)
    raise ValueError(f"unknown rules format {fmt!r}; use rules or operator")
