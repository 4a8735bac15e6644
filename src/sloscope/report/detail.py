"""One SLO in detail for the terminal (``report --service S --slo NAME``).

Its objective and window, the SLI and the budget; the SLI and the budget left over the
window and the last day's burn as charts; every burn window against the alert thresholds it takes
part in, the alerts, the policy state with its reasons, and the runbook. As in the
table, every state is a word or a symbol besides its colour, and user text is plain
:class:`~rich.text.Text`, never markup.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sloscope.engine.trend import Trend
from sloscope.report.chart import axis_labels, column_chart, plot_width
from sloscope.report.model import SLOResult
from sloscope.report.sparkline import peak_per_group, sample_levels
from sloscope.report.table import STATE_STYLE, burn_text
from sloscope.report.text import (
    duration_words,
    percent,
    policy_words,
    sli_against,
)
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

#: Rows of each chart.
CHART_HEIGHT = 8
#: Widest chart with its labels, in characters (the budget trend holds 96 points).
CHART_MAX = 104


def _facts(result: SLOResult) -> Table:
    status, slo = result.status, result.slo
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    unit = "time slices" if status.unit == "slices" else "events"
    coverage = "" if status.coverage >= 1 else f" (data covers {percent(status.coverage, 1)})"
    grid.add_row(
        "Objective", Text(f"{percent(slo.objective, 4)} of {unit} over {slo.window.label}")
    )
    grid.add_row(
        "Window",
        Text(f"{format_time(status.window_start)} to {format_time(status.at)}{coverage}"),
    )
    sli = Text(sli_against(result))
    if status.good is not None and status.total is not None and result.has_data:
        sli.append(f"  ({status.good:,.0f} good of {status.total:,.0f} {unit})", style="dim")
    grid.add_row("SLI", sli)
    budget = Text("no data")
    if status.remaining is not None and status.consumed is not None:
        budget = Text(
            f"{percent(status.remaining, 1)} left, {percent(status.consumed, 1)} consumed"
        )
    grid.add_row("Budget", budget)
    exhausted = "no data" if status.remaining is None else "never at the current burn"
    if status.exhaustion_seconds == 0:
        exhausted = "already: the budget is spent"
    elif status.exhaustion_seconds is not None:
        exhausted = f"{duration_words(status.exhaustion_seconds)} at the "
        exhausted += f"{format_duration(status.forecast_lookback)} burn rate"
    grid.add_row("Exhausted in", Text(exhausted))
    state = result.decision.state
    policy = Text(policy_words(result), style=STATE_STYLE[state])
    for reason in result.decision.reasons:
        policy.append(f"  {reason}", style="")
    grid.add_row("Policy", policy)
    grid.add_row("Runbook", Text(slo.alerting.runbook or "none in the spec"))
    if result.service.owner:
        grid.add_row("Owner", Text(result.service.owner))
    return grid


def _budget_chart(trend: Trend, since: int, width: int) -> list[Text]:
    known = trend.budget_remaining[~np.isnan(trend.budget_remaining)]
    low = min(0.0, float(known.min())) if len(known) else 0.0

    def label(v: float) -> str:
        return f"{v * 100:.0f}%"

    values = sample_levels(trend.budget_remaining, plot_width(width, low, 1.0, CHART_HEIGHT, label))
    rows = column_chart(
        [float(v) for v in values], low=low, high=1.0, height=CHART_HEIGHT, label=label
    )
    gutter = rows[0].index("┤") + 1
    times = trend.budget_times
    axis = axis_labels(format_time(since), format_time(int(times[-1])), len(values), gutter)
    title = Text("Budget left over the window (as spent since the window began)", style="bold")
    return [title, *(Text(r) for r in rows), Text(axis, style="dim")]


def _sli_chart(result: SLOResult, trend: Trend, width: int) -> list[Text]:
    known = trend.sli[~np.isnan(trend.sli)]
    objective = result.slo.objective
    # Half the scale is the error budget below the objective, more if the SLI fell further.
    low = min(objective - (1.0 - objective), float(known.min()) if len(known) else 1.0)
    height = CHART_HEIGHT // 2

    def label(v: float) -> str:
        return percent(v, 3)

    values = sample_levels(trend.sli, plot_width(width, low, 1.0, height, label))
    rows = column_chart([float(v) for v in values], low=low, high=1.0, height=height, label=label)
    gutter = rows[0].index("┤") + 1
    since, until = format_time(result.status.window_start), format_time(result.status.at)
    axis = axis_labels(since, until, len(values), gutter)
    title = Text(f"SLI since the window began (objective {percent(objective, 4)})", style="bold")
    return [title, *(Text(r) for r in rows), Text(axis, style="dim")]


def _burn_chart(trend: Trend, width: int) -> list[Text]:
    known = trend.burn[~np.isnan(trend.burn)]
    high = max(float(known.max()) if len(known) else 0.0, 1.0)
    height = CHART_HEIGHT // 2

    def label(v: float) -> str:
        return f"{v:.3g}x"

    plot = plot_width(width, 0.0, high, height, label)
    per_bar = max(plot // len(trend.burn), 1)
    values = peak_per_group(trend.burn, plot) if per_bar == 1 else trend.burn
    rows = column_chart(
        [float(v) for v in values],
        low=0.0,
        high=high,
        height=height,
        label=label,
        bar_width=per_bar,
    )
    gutter = rows[0].index("┤") + 1
    span = format_duration(trend.burn_seconds)
    first = format_time(int(trend.burn_times[0]) - trend.burn_seconds)
    last = format_time(int(trend.burn_times[-1]))
    axis = axis_labels(first, last, len(values) * per_bar, gutter)
    title = Text(f"Burn rate over the last day, one bar per {span}", style="bold")
    return [title, *(Text(r) for r in rows), Text(axis, style="dim")]


def _windows(result: SLOResult) -> Table:
    """Every burn window with the alert rows it is a window of, and which it is above."""
    status = result.status
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", padding=(0, 1))
    table.add_column("Window", no_wrap=True)
    table.add_column("Burn", justify="right", no_wrap=True)
    table.add_column("Alert thresholds", no_wrap=True)
    table.add_column("State", no_wrap=True)
    for lookback, rate in status.burn_rates.items():
        rows = [a for a in status.alert_rows if lookback in (a.long_seconds, a.short_seconds)]
        thresholds = ", ".join(
            f"{a.severity} {a.factor:.4g}x ({'long' if a.long_seconds == lookback else 'short'})"
            for a in rows
        )
        above = sorted({a.severity for a in rows if rate is not None and rate > a.factor})
        if not rows:
            state = Text("no alert uses it", style="dim")
        elif rate is None:
            state = Text("no data", style="dim")
        elif above:
            state = Text("above " + ", ".join(above), style="bold red")
        else:
            state = Text("below", style="green")
        table.add_row(format_duration(lookback), burn_text(result, lookback), thresholds, state)
    return table


def _alerts(result: SLOResult) -> Table:
    status = result.status
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", padding=(0, 1))
    for header in ("Alert", "Windows", "Factor", "State"):
        table.add_column(header, no_wrap=True)
    firing = {(a.severity, a.long_seconds, a.short_seconds) for a in status.alerts}
    unreachable = set(status.unreachable_alerts)
    for row in status.alert_rows:
        key = (row.severity, row.long_seconds, row.short_seconds)
        if key in firing:
            state = Text("firing", style="bold red")
        elif row in unreachable:
            state = Text("can never fire (factor above the highest burn)", style="yellow")
        else:
            state = Text("quiet", style="green")
        windows = f"{format_duration(row.long_seconds)}/{format_duration(row.short_seconds)}"
        table.add_row(row.severity, windows, f"{row.factor:.4g}x", state)
    return table


def render_detail(result: SLOResult, width: int = 100) -> RenderableType:
    """One SLO in detail, its charts at most ``width`` characters wide."""
    heading = Text(result.service.name, style="bold")
    heading.append(" / ")
    heading.append(result.name, style="bold")
    parts: list[RenderableType] = [heading]
    about = result.slo.description or ""
    if result.slo.journey:
        about = f"{about} (journey {result.slo.journey})".strip()
    if about:
        parts.append(Text(about, style="italic"))
    parts += [Text(""), _facts(result), Text("")]
    chart_width = max(min(width, CHART_MAX), 24)
    if result.trend is not None and result.has_data:
        parts += [*_sli_chart(result, result.trend, chart_width), Text("")]
        parts += [*_budget_chart(result.trend, result.status.window_start, chart_width), Text("")]
        parts += [*_burn_chart(result.trend, chart_width), Text("")]
    else:
        parts += [Text("No trend: no events matched the SLI.", style="dim"), Text("")]
    parts += [Text("Burn windows against their alert thresholds", style="bold"), _windows(result)]
    parts.append(Text(""))
    if result.status.alert_rows:
        parts += [Text("Alerts", style="bold"), _alerts(result)]
    else:
        parts.append(Text("Alerting is disabled for this SLO.", style="dim"))
    return Group(*parts)
