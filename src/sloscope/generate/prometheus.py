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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sloscope.engine.windows import AlertPolicy
from sloscope.generate.alert_rules import (
    EXHAUSTED_FOR,
    alert_annotations,
    alert_expression,
    alert_group,
    alert_labels,
)
from sloscope.generate.recording_rules import (
    SLOW_INTERVAL,
    SUMMED_FROM,
    meta_group,
    recording_groups,
)
from sloscope.generate.rule_plan import (
    ALERT_NAMES,
    BASE_WINDOW,
    TIERS,
    SLOPlan,
    check_extra_labels,
    plan_slo,
    plans,
)
from sloscope.generate.yaml_text import RuleFormat, dump_yaml, render_rules
from sloscope.spec.model import Service

__all__ = [
    "ALERT_NAMES",
    "BASE_WINDOW",
    "EXHAUSTED_FOR",
    "SLOW_INTERVAL",
    "SUMMED_FROM",
    "TIERS",
    "RuleFormat",
    "RulesDocument",
    "SLOPlan",
    "alert_annotations",
    "alert_expression",
    "alert_labels",
    "dump_yaml",
    "generate_rules",
    "plan_slo",
    "plans",
    "render_rules",
]


class RulesDocument(dict[str, Any]):
    """A generated rules document (``{"groups": [...]}``) and what generation noticed.

    ``warnings`` lists alert rows left out because they can never fire and SLOs without
    alerts; :func:`render_rules` prints them as comments at the top of the file.
    """

    def __init__(self, groups: list[dict[str, Any]], warnings: Sequence[str] = ()) -> None:
        super().__init__(groups=groups)
        self.warnings: tuple[str, ...] = tuple(warnings)


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
    check_extra_labels(extra_labels)
    groups: list[dict[str, Any]] = []
    warnings: list[str] = []
    for plan in plans(services, policies, extra_labels):
        groups.extend(recording_groups(plan))
        groups.append(meta_group(plan))
        if not plan.alerting:
            warnings.append(f"{plan.service.name}/{plan.slo.name}: alerting disabled, no alerts")
            continue
        warnings.extend(plan.skipped)
        alerts = alert_group(plan, exhausted_alert, dashboard_url)
        if alerts is not None:
            groups.append(alerts)
    return RulesDocument(groups, warnings)
