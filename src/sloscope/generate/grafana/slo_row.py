"""The row of one SLO on a service's dashboard: stats, about, SLI, budget, burn, alerts.

The thresholds come from the spec and the alert policy: the objective, the budget bands,
and each alert row's burn factor for the SLO's own window, mirroring which rows the
generated rules alert on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sloscope import conventions as conv
from sloscope.engine.burn import AlertThreshold, alert_thresholds
from sloscope.engine.windows import AlertPolicy
from sloscope.generate.grafana.panels import (
    BUDGET_LOW,
    BUDGET_WARN,
    GRID_WIDTH,
    SEVERITY_COLOR,
    Layout,
    alerts_table_panel,
    budget_thresholds,
    query_target,
    row_panel,
    stat_panel,
    text_panel,
    threshold_steps,
    timeseries_panel,
)
from sloscope.generate.grafana.text import (
    MARKDOWN_NONE,
    alerts_selector,
    markdown_link,
    markdown_literal,
    number_text,
    percent_text,
    promql_selector,
    safe_url,
    sli_text,
    slo_window_text,
)
from sloscope.generate.prometheus.plan import recorded_windows, row_left_out
from sloscope.spec.durations import format_duration
from sloscope.spec.model import SLO, CalendarWindow, Service


@dataclass(frozen=True)
class _Alerting:
    """What the generated rules alert on for one SLO, as the dashboard draws it.

    Mirrors the rules generator: rows that can never fire (the factor is at or above the
    SLO's highest burn rate) and, for time-slice SLIs, rows whose short window holds no
    whole slice get no alert, so they get no line either; the about panel says why.
    ``table``: every row of the policy in order, with why it is left out ("" when used).
    ``lookbacks``: the alert windows recorded for this SLO.
    """

    table: tuple[tuple[AlertThreshold, str], ...]
    lookbacks: tuple[int, ...]

    @property
    def rows(self) -> tuple[AlertThreshold, ...]:
        """The rows the SLO alerts on."""
        return tuple(row for row, left_out in self.table if not left_out)


def _alerting(slo: SLO, policy: AlertPolicy) -> _Alerting:
    """The SLO's alert rows with their factors for its own window, and its alert windows:
    which rows alert is the rules' decision (:func:`row_left_out`), taken once."""
    recorded = set(recorded_windows(slo, policy))
    lookbacks = tuple(w for w in policy.lookbacks if w in recorded)
    if not slo.alerting.enabled:
        return _Alerting((), lookbacks)
    table = tuple(
        (row, row_left_out(slo, row))
        for row in alert_thresholds(policy, slo.window.nominal_seconds)
    )
    return _Alerting(table, lookbacks)


def _burn_legend(window: int, rows: Sequence[AlertThreshold]) -> str:
    """``1h (page > 13.44 with 5m)``: which line this window's burn is held against."""
    uses = []
    for row in rows:
        if window in (row.long_seconds, row.short_seconds):
            other = row.short_seconds if window == row.long_seconds else row.long_seconds
            uses.append(f"{row.severity} > {number_text(row.factor)} with {format_duration(other)}")
    label = format_duration(window)
    return f"{label} ({'; '.join(uses)})" if uses else label


def _burn_thresholds(rows: Sequence[AlertThreshold]) -> dict[str, Any]:
    """A dashed line per factor: red for page rows, orange for ticket rows (page wins a tie)."""
    colour: dict[float, str] = {}
    for row in rows:
        if colour.get(row.factor) != SEVERITY_COLOR["page"]:
            colour[row.factor] = SEVERITY_COLOR[row.severity]
    return threshold_steps("transparent", *((colour[f], f) for f in sorted(colour)))


def group_variable(label: str) -> str:
    """The dashboard variable of a group label: the label's own name (``route``), or
    ``group_<label>`` where that name is the dashboard's own (``slo``, ``datasource``)."""
    return f"group_{label}" if label in ("slo", "datasource") else label


@dataclass(frozen=True)
class _RowContext:
    """What every panel of one SLO's row reads: its selector labels, window and alert rows."""

    slo: SLO
    by_id: dict[str, str]
    #: A grouped SLO's labels matched against their dashboard variables (``route=~"$route"``).
    groups: tuple[tuple[str, str, str], ...]
    window_label: str
    #: Said under panels of a calendar SLO, which the rules record as a rolling window.
    recorded: str
    alerting: _Alerting

    def select(self, metric: str) -> str:
        """A selector of one of this SLO's recorded series (its group's, when grouped)."""
        return promql_selector(metric, *self.groups, **self.by_id)


def add_slo_row(layout: Layout, service: Service, slo: SLO, policy: AlertPolicy) -> None:
    """The row of one SLO: stats and about, SLI and budget over time, burn and alerts."""
    window_label = format_duration(slo.window.nominal_seconds)
    # Prometheus has no calendar ranges: the rules record a calendar window as its nominal
    # rolling length, and the panels say so rather than pretend to follow the calendar.
    recorded = ""
    if isinstance(slo.window, CalendarWindow):
        recorded = f" Recorded as a rolling {window_label}: Prometheus has no calendar ranges."
    row = _RowContext(
        slo=slo,
        by_id={conv.LABEL_ID: conv.slo_id(service.name, slo.name)},
        groups=tuple((label, "=~", f"${group_variable(label)}") for label in slo.group_by),
        window_label=window_label,
        recorded=recorded,
        alerting=_alerting(slo, policy),
    )
    title = f"{slo.name}: {percent_text(slo.objective)}% over {slo_window_text(slo)}"
    header = row_panel(title)
    if slo.group_by:
        # A grouped SLO repeats its row per value of its first label; every panel of the
        # row selects the group through the variables.
        first = group_variable(slo.group_by[0])
        header["title"] = (
            f'{slo.name}{{{slo.group_by[0]}="${first}"}}: {title[len(slo.name) + 2 :]}'
        )
        header["repeat"] = first
    layout.line(1, (GRID_WIDTH, header))
    about = text_panel(f"About {slo.name}", _slo_about(service, slo, row.alerting))
    layout.line(8, *((4, stat) for stat in _stat_panels(row)), (12, about))
    layout.line(8, *((12, series) for series in _history_panels(row)))
    burn_series, alerts = _burn_panels(row)
    layout.line(8, (16, burn_series), (8, alerts))


def _stat_panels(row: _RowContext) -> tuple[dict[str, Any], ...]:
    """The SLI, budget-left and burn-rate stats of one SLO."""
    slo, window_label = row.slo, row.window_label
    objective = slo.objective
    sli_stat = stat_panel(
        f"SLI over {window_label}",
        f"1 - error ratio over the SLO window; red below the objective {percent_text(objective)}%."
        + row.recorded,
        f"1 - {row.select(conv.error_ratio(slo.window.nominal_seconds))}",
        unit="percentunit",
        decimals=3,
        thresholds=threshold_steps("red", ("green", objective)),
    )
    budget_stat = stat_panel(
        "Error budget remaining",
        f"Share of the {window_label} error budget left (negative when overspent); "
        f"red below {percent_text(BUDGET_LOW)}%, yellow below {percent_text(BUDGET_WARN)}%."
        + row.recorded,
        row.select(conv.BUDGET_REMAINING),
        unit="percentunit",
        decimals=1,
        thresholds=budget_thresholds(),
    )
    page_factors = [r.factor for r in row.alerting.rows if r.severity == "page"]
    burn_steps: list[tuple[str, float]] = [("yellow", 1.0)]
    if page_factors and max(page_factors) > 1:
        burn_steps.append(("red", max(page_factors)))
    burn_stat = stat_panel(
        "Current burn rate",
        f"Burn rate over the shortest recorded window: 1 spends the budget in exactly "
        f"{window_label}; yellow from 1, red from the highest page factor.",
        row.select(conv.CURRENT_BURN_RATE),
        unit="none",
        decimals=2,
        thresholds=threshold_steps("green", *burn_steps),
    )
    return sli_stat, budget_stat, burn_stat


def _history_panels(row: _RowContext) -> tuple[dict[str, Any], ...]:
    """The SLI and the budget left over time."""
    slo, alerting = row.slo, row.alerting
    objective = slo.objective
    fast = min((r.long_seconds for r in alerting.rows), default=min(alerting.lookbacks))
    sli_windows = sorted({slo.window.nominal_seconds, fast}, reverse=True)
    sli_series = timeseries_panel(
        "SLI",
        f"1 - error ratio over {' and '.join(format_duration(w) for w in sli_windows)}; "
        f"the dashed line is the objective {percent_text(objective)}%.",
        [
            query_target(
                f"1 - {row.select(conv.error_ratio(w))}",
                f"SLI over {format_duration(w)}",
                chr(ord("A") + index),
            )
            for index, w in enumerate(sli_windows)
        ],
        unit="percentunit",
        decimals=3,
        thresholds=threshold_steps("transparent", ("red", objective)),
        thresholds_style="dashed",
        color={"mode": "palette-classic"},
        maximum=1.0,
    )
    budget_series = timeseries_panel(
        "Error budget remaining",
        f"Share of the {row.window_label} error budget left at each moment; "
        f"red below {percent_text(BUDGET_LOW)}%, yellow below {percent_text(BUDGET_WARN)}%."
        + row.recorded,
        [
            query_target(
                row.select(conv.BUDGET_REMAINING),
                "budget remaining",
                "A",
            )
        ],
        unit="percentunit",
        decimals=1,
        thresholds=budget_thresholds(),
        thresholds_style="dashed+area",
        color={"fixedColor": "blue", "mode": "fixed"},
        maximum=1.0,
    )
    return sli_series, budget_series


def _burn_panels(row: _RowContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The burn rate of every alert window against its factors, and the SLO's alerts."""
    by_id, rows = row.by_id, row.alerting.rows
    budget = promql_selector(conv.ERROR_BUDGET, **by_id)
    burn_series = timeseries_panel(
        "Burn rate by window",
        "Error ratio over each alert window ÷ the error budget. An alert fires while both its "
        "long and its short window are above its factor: dashed red lines are page factors, "
        "orange ones ticket factors; each legend says which line its window is held against.",
        [
            query_target(
                f"{row.select(conv.error_ratio(w))} / on({conv.LABEL_ID}) group_left() {budget}",
                _burn_legend(w, rows),
                chr(ord("A") + index),
            )
            for index, w in enumerate(row.alerting.lookbacks)
        ],
        unit="none",
        decimals=2,
        thresholds=_burn_thresholds(rows),
        thresholds_style="dashed",
        # Shades of one colour keep red and orange for the alert lines.
        color={"fixedColor": "blue", "mode": "shades"},
        minimum=0.0,
    )
    alerts = alerts_table_panel(
        "Alerts",
        "This SLO's pending and firing sloscope alerts, as Prometheus evaluates them.",
        alerts_selector(*row.groups, **by_id),
        hidden=(conv.LABEL_ID, conv.LABEL_SERVICE, conv.LABEL_SLO),
    )
    runbook = safe_url(row.slo.alerting.runbook or "")
    if runbook is not None:
        link = {"targetBlank": True, "title": "Runbook", "url": runbook}
        burn_series["links"] = [dict(link)]
        alerts["links"] = [dict(link)]
    return burn_series, alerts


def _slo_about(service: Service, slo: SLO, alerting: _Alerting) -> str:
    """Markdown for the SLO's text panel; every spec string escaped."""
    return "\n".join([*_slo_facts(service, slo), "", *_alert_table(slo, alerting)]) + "\n"


def _journey_text(service: Service, slo: SLO) -> str:
    """The SLO's journey and what the customer does in it, as Markdown."""
    if not slo.journey:
        return MARKDOWN_NONE
    text = markdown_literal(slo.journey)
    journey = next((j for j in service.journeys if j.name == slo.journey), None)
    if journey is not None and journey.description:
        text += f": {markdown_literal(journey.description)}"
    return text


def _slo_facts(service: Service, slo: SLO) -> list[str]:
    """Journey, description, objective, SLI, owner and links, one Markdown line each."""
    lines = [
        f"**Journey** {_journey_text(service, slo)}  ",
        f"**Description** {markdown_literal(slo.description) or MARKDOWN_NONE}  ",
        f"**Objective** {markdown_literal(percent_text(slo.objective))}% "
        f"over {markdown_literal(slo_window_text(slo))}, "
        f"error budget {markdown_literal(percent_text(slo.error_budget))}%  ",
        f"**SLI** {markdown_literal(sli_text(slo))}  ",
        f"**Owner** {markdown_literal(service.owner) or MARKDOWN_NONE}  ",
        f"**Runbook** {markdown_link(slo.alerting.runbook)}",
    ]
    if slo.alerting.dashboard:
        lines[-1] += "  "
        lines.append(f"**Dashboard** {markdown_link(slo.alerting.dashboard)}")
    return lines


def _alert_table(slo: SLO, alerting: _Alerting) -> list[str]:
    """Every alert row of the policy with its factor, and why a row gets no alert."""
    if not slo.alerting.enabled:
        return ["_Alerting is disabled for this SLO._"]
    lines = [
        "| alert | long | short | budget spent | burn factor |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row, left_out in alerting.table:
        w = row.window
        factor = number_text(row.factor) + (f" ({left_out})" if left_out else "")
        lines.append(
            f"| {w.severity} | {w.long_label} | {w.short_label} | "
            f"{markdown_literal(number_text(w.budget_percent))}% | {markdown_literal(factor)} |"
        )
    return lines
