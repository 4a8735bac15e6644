"""Recording rules of one SLO: error and total rates, error ratios, budget metadata.

Windows under a day are recorded from the raw series; longer ones are summed from the 5m
recordings (see :mod:`sloscope.generate.prometheus` for why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sloscope import conventions as names
from sloscope.generate import promql
from sloscope.generate.prometheus.plan import BASE_WINDOW, SLOPlan
from sloscope.spec.model import PromQLSLI, TimeslicesSLI

#: Windows of this length and more are summed from the 5m recordings.
SUMMED_FROM = 86400
#: Evaluation interval of the slow groups (long windows, metadata).
SLOW_INTERVAL = "5m"


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
        return [_record(ratio, promql.direct_error_ratio(sli, seconds, plan.slo.group_by), labels)]
    if seconds < SUMMED_FROM or seconds == BASE_WINDOW:
        return [
            _record(err, promql.error_rate(sli, seconds, plan.slo.group_by), labels),
            _record(tot, promql.total_rate(sli, seconds, plan.slo.group_by), labels),
            _record(ratio, f"{plan.selector(err)} / {plan.selector(tot)}", labels),
        ]
    base_err = plan.selector(names.error_rate(BASE_WINDOW))
    base_tot = plan.selector(names.total_rate(BASE_WINDOW))
    return [
        _record(err, f"avg_over_time({base_err}[{w}])", labels),
        _record(tot, f"avg_over_time({base_tot}[{w}])", labels),
        _record(ratio, f"sum_over_time({base_err}[{w}]) / sum_over_time({base_tot}[{w}])", labels),
    ]


def _windows_rules(plan: SLOPlan, windows: Iterable[int]) -> list[dict[str, Any]]:
    """The rules of every window, window by window."""
    return [rule for seconds in windows for rule in _window_rules(plan, seconds)]


def rule_group(
    name: str, rules: list[dict[str, Any]], interval: str | None = None
) -> dict[str, Any]:
    """A rule group; ``interval`` overrides the global evaluation interval."""
    group: dict[str, Any] = {"name": name}
    if interval:
        group["interval"] = interval
    group["rules"] = rules
    return group


def _slice_group(plan: SLOPlan, sli: TimeslicesSLI) -> dict[str, Any]:
    """The 0/1 bad-slice indicator of a time-slice SLO, evaluated once a slice."""
    return rule_group(
        names.GROUP_SLICES.format(id=plan.id),
        [
            _record(
                names.slice_bad(sli.slice_seconds),
                promql.slice_bad_indicator(sli, plan.slo.group_by),
                plan.window_labels(sli.slice_seconds),
            )
        ],
        promql.window_text(sli.slice_seconds),
    )


def recording_groups(plan: SLOPlan) -> list[dict[str, Any]]:
    """The slice, short-window and long-window recording groups of one SLO."""
    sli = plan.slo.sli
    groups: list[dict[str, Any]] = []
    if isinstance(sli, TimeslicesSLI):
        groups.append(_slice_group(plan, sli))
    short = [w for w in plan.windows if w < SUMMED_FROM]
    long = [w for w in plan.windows if w >= SUMMED_FROM]
    groups.append(
        rule_group(
            names.GROUP_RECORDING.format(id=plan.id),
            _windows_rules(plan, short),
        )
    )
    if long:
        groups.append(
            rule_group(
                names.GROUP_LONG_RECORDING.format(id=plan.id),
                _windows_rules(plan, long),
                SLOW_INTERVAL,
            )
        )
    return groups


def meta_group(plan: SLOPlan) -> dict[str, Any]:
    """Objective, budget, period and burn-rate recordings of one SLO."""
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
    return rule_group(names.GROUP_META.format(id=plan.id), rules, SLOW_INTERVAL)
