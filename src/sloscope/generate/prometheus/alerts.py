"""Alert rules of one SLO: multi-window burn-rate alerts per tier and the exhausted alert.

A row fires while both its long and short error ratios are above ``factor × budget``
and, under the low-traffic guard, both windows hold enough events; rows of one tier are
joined with ``or``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from sloscope import conventions as names
from sloscope.engine.burn import AlertThreshold
from sloscope.engine.windows import AlertSeverity
from sloscope.errors import ConfigError
from sloscope.generate import promql
from sloscope.generate.grafana.dashboard import dashboard_uid
from sloscope.generate.prometheus.plan import TIERS, SLOPlan, alert_name
from sloscope.generate.prometheus.recording import rule_group
from sloscope.spec.model import CalendarWindow

#: How long the budget must stay spent before the exhausted alert fires.
EXHAUSTED_FOR = "5m"


def _windowless(condition: str) -> str:
    """A condition over one window's recorded series, without the window label, so the
    conditions of a row's two windows match on the SLO's (and its group's) labels."""
    return f"max without ({names.LABEL_WINDOW}) ({condition})"


def guard_conditions(plan: SLOPlan, seconds: int) -> list[str]:
    """The low-traffic guard over one window: at least ``min_total`` events and
    ``min_bad`` bad events in it (none when the plan's guard is the zero one).

    Events are the window's recorded rate × its length, what ``increase()`` over the
    window is; each group of a grouped SLO is held to the guard on its own counts, as
    ``evaluate`` holds it.
    """
    guard = plan.guard
    out = []
    for minimum, metric in (
        (guard.min_total, names.total_rate(seconds)),
        (guard.min_bad, names.error_rate(seconds)),
    ):
        if minimum > 0:
            out.append(
                _windowless(
                    f"{plan.selector(metric)} * {seconds} >= {promql.format_number(minimum)}"
                )
            )
    return out


def _row_condition(plan: SLOPlan, row: AlertThreshold) -> str:
    threshold = f"({promql.format_number(row.factor)} * {plan.budget})"
    windows = (row.long_seconds, row.short_seconds)
    parts = [
        _windowless(f"{plan.selector(names.error_ratio(seconds))} > {threshold}")
        for seconds in windows
    ]
    # The burn conditions first: ``and`` keeps the left side's value, the long burn.
    parts += [cond for seconds in windows for cond in guard_conditions(plan, seconds)]
    return "(\n  " + "\n  and\n  ".join(parts) + "\n)"


def alert_expression(plan: SLOPlan, tier: AlertSeverity) -> str:
    """The multi-window expression of one tier; its value is the long window's burn rate."""
    rows = plan.tier_rows(tier)
    conditions = "\nor\n".join(_row_condition(plan, row) for row in rows)
    body = "\n".join("  " + line for line in conditions.splitlines())
    guard = ""
    if plan.guard.active:
        guard = (
            "# Low-traffic guard: each of the row's windows holds at least "
            f"{promql.format_number(plan.guard.min_total)} events and "
            f"{promql.format_number(plan.guard.min_bad)} bad ones.\n"
        )
    return (
        "# Fires while a row's long and short error ratios both exceed factor × budget.\n"
        f"{guard}"
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


def _guard_text(plan: SLOPlan) -> str:
    """`` (each window holding at least 100 events and 5 bad ones)`` under a guard."""
    guard = plan.guard
    if not guard.active:
        return ""
    return (
        f" (each window holding at least {promql.format_number(guard.min_total)} events "
        f"and {promql.format_number(guard.min_bad)} bad ones)"
    )


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

    ``severity`` is the tier unless the user's labels set it: routes, silences and
    inhibitions match on the user's value (Sloth's ``severity: critical``), while
    ``sloscope_tier`` always says page or ticket. The identity labels are on the alert's
    series already; repeating them makes every rule distinct for ``promtool check
    rules`` (its duplicate-rules lint).
    """
    alerting = plan.slo.alerting
    labels = {
        names.LABEL_SEVERITY: tier,
        **alerting.labels,
        **alerting.tier(tier).labels,
        names.LABEL_SERVICE: plan.service.name,
        names.LABEL_SLO: plan.slo.name,
        names.LABEL_ID: plan.id,
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
    # A grouped SLO alerts per group: the summary names it from the alert's own labels.
    groups = ", ".join(f'{label}="{{{{ $labels.{label} }}}}"' for label in plan.slo.group_by)
    who = f"{plan.service.name}/{plan.slo.name}" + (f"{{{groups}}}" if groups else "")
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
            f"{_condition_text(plan.tier_rows(tier))}{_guard_text(plan)}."
        )
    out = {"summary": summary, "description": description}
    alerting = plan.slo.alerting
    # A runbook the user's annotations already carry (Sloth's runbook:) is not repeated.
    if alerting.runbook and alerting.runbook not in alerting.annotations.values():
        out["runbook_url"] = alerting.runbook
    dashboard = alerting.dashboard
    if not dashboard and dashboard_url:
        dashboard = dashboard_link(
            dashboard_url,
            {
                "service": plan.service.name,
                "slo": plan.slo.name,
                "id": plan.id,
                "dashboard_uid": dashboard_uid(plan.service.name),
            },
        )
    if dashboard:
        out["dashboard"] = dashboard
    out.update(alerting.annotations)
    if tier != "exhausted":
        out.update(alerting.tier(tier).annotations)
    return out


#: The placeholders of ``--dashboard-url``.
DASHBOARD_PLACEHOLDERS = ("service", "slo", "id", "dashboard_uid")


def dashboard_link(template: str, values: Mapping[str, str]) -> str:
    """``template`` with ``{service}``, ``{slo}``, ``{id}`` and ``{dashboard_uid}`` filled in.

    Only those names, with no format spec or attribute: the template is user text, so
    ``{service.__class__}`` is refused, never evaluated. ``{{`` and ``}}`` are braces.
    Raises :class:`ConfigError` saying what is wrong.

    >>> dashboard_link("https://g/d/{dashboard_uid}?slo={slo}", {"slo": "a", "dashboard_uid": "u"})
    'https://g/d/u?slo=a'
    """
    known = ", ".join("{" + name + "}" for name in DASHBOARD_PLACEHOLDERS)
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(
            f"--dashboard-url {template!r}: {exc}; write {{{{ and }}}} for literal braces"
        ) from None
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if name not in DASHBOARD_PLACEHOLDERS or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ConfigError(
                f"--dashboard-url {template!r}: unknown placeholder {shown}; use {known}"
            )
        out.append(values[name])
    return "".join(out)


def alert_group(
    plan: SLOPlan, exhausted_alert: bool, dashboard_url: str | None
) -> dict[str, Any] | None:
    """The alert group of one SLO, or None when it has no alert to fire."""
    rules: list[dict[str, Any]] = []
    for tier in TIERS:
        if plan.tier_rows(tier):
            rules.append(
                {
                    "alert": alert_name(plan, tier),
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
    return rule_group(names.GROUP_ALERTS.format(id=plan.id), rules)
