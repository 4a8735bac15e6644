"""``report``: SLO status as a table, Markdown, HTML or JSON, and the org report."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sloscope.cli.collector import held
from sloscope.cli.console import errors, out
from sloscope.cli.options import (
    AtOption,
    ServiceOption,
    WorkspaceOption,
    open_workspace,
    parse_at,
    time_option,
)

if TYPE_CHECKING:
    from sloscope.report.model import Report
    from sloscope.workspace import Workspace


commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


class ReportFormat(StrEnum):
    """Output formats of ``report`` besides the terminal table."""

    table = "table"
    md = "md"
    html = "html"
    json = "json"


@commands.command()
def report(
    at: AtOption = "now",
    service: ServiceOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The JSON contract (see README).")
    ] = False,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table (terminal), md, html or json.")
    ] = ReportFormat.table,
    slo: Annotated[
        str | None,
        typer.Option("--slo", help="One SLO in detail: charts, burn windows, alerts, runbook."),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="table: every column, however wide the terminal."),
    ] = False,
    org: Annotated[
        bool, typer.Option("--org", help="The org report: SLO adoption, alerts, MTTR, CFR.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--from", help="--org: from (default a week before --to).")
    ] = None,
    until: Annotated[str, typer.Option("--to", help="--org: up to this time.")] = "now",
    workspace: WorkspaceOption = None,
) -> None:
    """SLO status now or at a past time: SLI, error budget, burn rates, alerts, policy.

    With --org: the organisation's figures over --from/--to (default the last week)."""
    if org:
        _org_report(since, until, ReportFormat.json if as_json else fmt, workspace)
        return
    when = parse_at(at)
    as_json = as_json or fmt is ReportFormat.json
    # The workspace, its specs and the report live to the end, and a report leaves next
    # to no garbage in cycles (about 400 objects over 10 SLOs): no pass to miss.
    with errors(), held():
        ws = open_workspace(workspace)
        result = ws.report(at=when, service=service, slo=slo, trends=not as_json)
    if as_json:
        sys.stdout.write(report_json_text(ws, result, service))
    elif fmt is ReportFormat.md:
        from sloscope.report.markdown import render_markdown

        sys.stdout.write(render_markdown(result))
        sys.stdout.write(_audit_section(ws, when, service))
    elif fmt is ReportFormat.html:
        from sloscope.report.html import render_html

        sys.stdout.write(render_html(result))
    else:
        print_report(result, detail=slo is not None, wide=wide)

        out.print(_audit_section(ws, when, service), markup=False, end="")


def report_json_text(ws: Workspace, result: Report, service: str | None) -> str:
    """``report --json``, with a top-level ``audit`` key when there are audit entries."""
    from sloscope.records.report_sections import report_json

    with errors():
        return report_json(ws, result, service)


def _audit_section(ws: Workspace, at: int, service: str | None) -> str:
    """The report's sections from the state store: alerts/week and the actionable share,
    and the audit (overrides and exceptions) of the last 28 days."""
    from sloscope.records.render import audit_line
    from sloscope.records.report_sections import alert_volume, alert_volume_lines, recent_audit

    with errors():
        entries = recent_audit(ws, at, service)
        volume = alert_volume(ws, at, service)
    lines = [] if volume is None else alert_volume_lines(volume)
    if entries:
        lines += ["", "## Audit (overrides and exceptions, last 28 days)", ""]
        lines += [f"- {audit_line(e)}" for e in entries]
    return "\n".join(lines) + "\n" if lines else ""


def _org_report(since: str | None, until: str, fmt: ReportFormat, workspace: Path | None) -> None:
    from sloscope.records.org import DEFAULT_RANGE_SECONDS, org_report
    from sloscope.report.org.render import (
        render_org_html,
        render_org_json,
        render_org_markdown,
    )

    end = time_option("--to", until)
    begin = time_option("--from", since) if since is not None else end - DEFAULT_RANGE_SECONDS
    with errors():
        ws = open_workspace(workspace)
        figures = org_report(ws, begin=begin, end=end)
    if fmt is ReportFormat.json:
        sys.stdout.write(render_org_json(figures))
    elif fmt is ReportFormat.html:
        sys.stdout.write(render_org_html(figures))
    else:
        sys.stdout.write(render_org_markdown(figures))


def print_report(result: Report, *, detail: bool, wide: bool) -> None:
    """The terminal table (or one SLO in detail) at the width it has.

    User text must print as written, so the console parses no markup and no emoji
    codes. In a terminal the table fits its width (all columns with ``--wide``);
    output that is not a terminal gets every column at the width they need, the same
    wherever it runs.
    """
    from rich.console import Console

    from sloscope.report.detail import render_detail
    from sloscope.report.table import UNBOUNDED, render_table

    console = Console(highlight=False, markup=False, emoji=False)
    if detail:
        width = console.width if console.is_terminal else 100
        # A grouped SLO is one result per group: each is shown in detail.
        for one in result.results:
            Console(highlight=False, markup=False, emoji=False, width=width).print(
                render_detail(one, width)
            )
        return
    if console.is_terminal and not wide:
        console.print(render_table(result, console.width))
        return
    wide_console = Console(highlight=False, markup=False, emoji=False, width=UNBOUNDED)
    wide_console.print(render_table(result))
