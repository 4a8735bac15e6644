"""The report as a rich table for the terminal, coloured by how worried to be."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from sloscope.report.model import Report, SLOResult
from sloscope.report.text import (
    NO_DATA,
    TABLE_LOOKBACKS,
    alerts_text,
    burn,
    duration_words,
    percent,
)
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

_STATE_STYLE = {"ok": "green", "notify": "yellow", "freeze": "bold red", "unknown": "dim"}


def _remaining_style(remaining: float | None) -> str:
    if remaining is None:
        return "dim"
    if remaining < 0.1:
        return "bold red"
    if remaining < 0.5:
        return "yellow"
    return "green"


def _burn_cell(result: SLOResult, lookback: int) -> Text:
    rate = result.status.burn_rates.get(lookback)
    if rate is None:
        return Text(NO_DATA, style="dim")
    # Colour by the smallest alert factor whose long window is this lookback, else by 1x.
    factors = [a.factor for a in result.status.alert_rows if a.long_seconds == lookback]
    threshold = min(factors) if factors else 1.0
    style = "bold red" if rate > threshold else ("yellow" if rate > 1.0 else "")
    return Text(burn(rate), style=style)


def render_table(report: Report) -> Table:
    """A rich :class:`~rich.table.Table` of every SLO in the report."""
    table = Table(
        title=f"SLO status at {format_time(report.at)}",
        caption=f"source: {report.source}, step {format_duration(report.step)}; "
        "burn rate 1x spends the budget exactly over the window",
        header_style="bold",
    )
    table.add_column("Service")
    table.add_column("SLO")
    table.add_column("Objective", justify="right")
    table.add_column("Window")
    table.add_column("SLI", justify="right")
    table.add_column("Budget left", justify="right")
    for lookback in TABLE_LOOKBACKS:
        table.add_column(f"Burn {format_duration(lookback)}", justify="right")
    table.add_column("Exhausted in", justify="right")
    table.add_column("Alerts")
    table.add_column("Policy")
    for result in report.results:
        status = result.status
        sli_style = "" if status.sli is None or status.sli >= result.slo.objective else "red"
        table.add_row(
            result.service.name,
            result.slo.name,
            percent(result.slo.objective, 4),
            result.slo.window.label,
            Text(percent(status.sli, 3), style=sli_style or ("dim" if status.sli is None else "")),
            Text(percent(status.remaining, 1), style=_remaining_style(status.remaining)),
            *(_burn_cell(result, lb) for lb in TABLE_LOOKBACKS),
            duration_words(status.exhaustion_seconds),
            Text(alerts_text(result), style="bold red" if status.alerts else ""),
            Text(result.decision.state, style=_STATE_STYLE[result.decision.state]),
        )
    return table
