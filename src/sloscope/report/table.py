"""The report as a rich table for the terminal, fitted to the width it has.

Every layout shows, per SLO: its name (never cut; rows are grouped under a heading per
service), the SLI against the objective, the budget left, the fastest burn with its
window, the firing alerts as one word per severity, and the policy state. Wider
terminals add, in this order, the budget's sparkline over the window, the last day's
burn sparkline, "exhausted in", the window, and the burn over each table lookback;
``width=None`` (``--wide``, and output that is not a terminal) shows every column and
spells out the alerts (``page 1h/5m``), so piped output has one stable layout.

Colour only repeats what a word or symbol already says: ``≥``/``<`` between SLI and
objective, ``!`` after a burn above an alert threshold, a word for every alert and
policy state, so the table reads the same with ``NO_COLOR``.

User text (service and SLO names) is always a :class:`~rich.text.Text`, never markup:
a name like ``[bold]`` or ``:smile:`` prints as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from sloscope.report.model import Report, SLOResult
from sloscope.report.sparkline import legend, sparklines
from sloscope.report.text import (
    NO_DATA,
    TABLE_LOOKBACKS,
    alert_words,
    alerts_text,
    burn_marked,
    duration_words,
    fastest_burn,
    over_threshold,
    percent,
    policy_words,
    sli_against,
)
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

#: A console width no table row reaches: the full layout prints at its natural width,
#: as a table never stretches to fill its console.
UNBOUNDED = 10_000
STATE_STYLE = {"ok": "green", "notify": "yellow", "freeze": "bold red", "unknown": "dim"}
#: Indent of an SLO's name under its service heading.
_INDENT = "  "


@dataclass(frozen=True, eq=False)
class _Column:
    header: str
    cell: Callable[[SLOResult], Text]
    justify: Literal["left", "right"] = "left"


def _remaining_style(remaining: float | None) -> str:
    if remaining is None:
        return "dim"
    if remaining < 0.1:
        return "bold red"
    if remaining < 0.5:
        return "yellow"
    return "green"


def burn_text(result: SLOResult, lookback: int) -> Text:
    """A burn rate, with ``!`` and in red when above an alert threshold of its window."""
    rate = result.status.burn_rates.get(lookback)
    text = burn_marked(result, lookback)
    if rate is None:
        return Text(text, style="dim")
    if over_threshold(result, lookback):
        return Text(text, style="bold red")
    return Text(text, style="yellow" if rate > 1.0 else "")


def _fastest_cell(result: SLOResult) -> Text:
    fastest = fastest_burn(result)
    if fastest is None:
        return Text("no data", style="dim")
    seconds, _ = fastest
    text = burn_text(result, seconds)
    text.append(f" {format_duration(seconds)}")
    return text


def _sli_cell(result: SLOResult) -> Text:
    sli = result.status.sli
    if sli is None:
        return Text(sli_against(result), style="dim")
    return Text(sli_against(result), style="" if sli >= result.slo.objective else "red")


def _alerts_cell(result: SLOResult, detailed: bool) -> Text:
    if not result.status.alerts:
        return Text("none", style="dim")
    return Text(alerts_text(result) if detailed else alert_words(result), style="bold red")


def _spark(index: int) -> Callable[[SLOResult], Text]:
    def cell(result: SLOResult) -> Text:
        lines = sparklines(result)
        return Text(NO_DATA, style="dim") if lines is None else Text(lines[index])

    return cell


def _burn_column(lookback: int) -> _Column:
    return _Column(f"Burn\n{format_duration(lookback)}", lambda r: burn_text(r, lookback), "right")


_NAME = _Column("SLO", lambda r: Text(_INDENT + r.name))
_SLI = _Column("SLI /\nobjective", _sli_cell, "right")
_BUDGET = _Column(
    "Budget\nleft",
    lambda r: Text(percent(r.status.remaining, 1), style=_remaining_style(r.status.remaining)),
    "right",
)
_BUDGET_TREND = _Column("Budget\nover window", _spark(0))
_FASTEST = _Column("Fastest\nburn", _fastest_cell, "right")
_BURNS = tuple(_burn_column(lb) for lb in TABLE_LOOKBACKS)
_BURN_TREND = _Column("Burn\nlast 1d", _spark(1))
_EXHAUSTED = _Column(
    "Exhausted\nin", lambda r: Text(duration_words(r.status.exhaustion_seconds)), "right"
)
_WINDOW = _Column("Window", lambda r: Text(r.slo.window.label))
_ALERTS = _Column("Alerts", lambda r: _alerts_cell(r, detailed=False))
_ALERT_DETAILS = _Column("Alerts", lambda r: _alerts_cell(r, detailed=True))
_POLICY = _Column("Policy", lambda r: Text(policy_words(r), style=STATE_STYLE[r.decision.state]))

#: Optional columns, most wanted first: added while the table still fits.
_OPTIONAL: tuple[_Column, ...] = (_BUDGET_TREND, _BURN_TREND, _EXHAUSTED, _WINDOW, *_BURNS)
#: Every column in the order they are shown.
_ORDER: tuple[_Column, ...] = (
    _NAME,
    _WINDOW,
    _SLI,
    _BUDGET,
    _BUDGET_TREND,
    _FASTEST,
    *_BURNS,
    _BURN_TREND,
    _EXHAUSTED,
    _ALERTS,
    _ALERT_DETAILS,
    _POLICY,
)


Cells = dict[int, list[Text]]


def _cells(report: Report, columns: Sequence[_Column]) -> Cells:
    """Every cell of each column (keyed by ``id``), worded once however often measured."""
    return {id(c): [c.cell(result) for result in report.results] for c in columns}


def _natural_width(report: Report, column: _Column, cells: Cells) -> int:
    """The column's width without wrapping: its widest header line or cell."""
    widest = max(cell_len(line) for line in column.header.split("\n"))
    widest = max([widest, *(text.cell_len for text in cells[id(column)])])
    if column is _NAME:
        widest = max([widest, *(cell_len(r.service.name) for r in report.results)])
    return widest


def _build(report: Report, columns: Sequence[_Column], cells: Cells) -> Table:
    table = Table(
        title=f"SLO status at {format_time(report.at)}",
        caption=_caption(report, columns),
        caption_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=0,
    )
    for column in columns:
        table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=column is not _NAME,
            overflow="fold" if column is _NAME else "ellipsis",
        )
    blank = [Text("")] * (len(columns) - 1)
    service = None
    for row, result in enumerate(report.results):
        if result.service.name != service:
            service = result.service.name
            table.add_row(Text(service, style="bold"), *blank)
        table.add_row(*(cells[id(column)][row] for column in columns))
    return table


def _caption(report: Report, columns: Sequence[_Column]) -> str:
    parts = [
        f"source: {report.source}, step {format_duration(report.step)}.",
        "Burn 1x spends the budget exactly over the window; ! above an alert threshold.",
    ]
    budget_legend, burn_legend = legend(report)
    if _BUDGET_TREND in columns:
        parts.append(budget_legend)
    if _BURN_TREND in columns:
        parts.append(burn_legend)
    return " ".join(parts)


def render_table(report: Report, width: int | None = None) -> Table:
    """A rich table of every SLO in the report that fits in ``width`` columns.

    ``width=None``: every column and the alerts in full (``--wide``, piped output). The
    name column is never cut: when even the essential columns do not fit, it wraps.
    """
    if width is None:
        chosen = [c for c in _ORDER if c is not _ALERTS]
        return _build(report, chosen, _cells(report, chosen))
    cells = _cells(report, _ORDER)
    natural = {id(c): _natural_width(report, c, cells) for c in _ORDER}
    chosen = [_NAME, _SLI, _BUDGET, _FASTEST, _ALERTS, _POLICY]
    # Columns are separated by one character (the box's blank divider, no padding).
    used = sum(natural[id(c)] for c in chosen) + len(chosen) - 1
    for column in _OPTIONAL:
        if used + 1 + natural[id(column)] <= width:
            chosen.append(column)
            used += 1 + natural[id(column)]
    return _build(report, [c for c in _ORDER if c in chosen], cells)
