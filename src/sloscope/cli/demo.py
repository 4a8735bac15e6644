"""``demo``: sample specs, telemetry and records in a workspace, then the report."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sloscope.cli.console import err, errors, fail, iso, out, progress, visible
from sloscope.cli.files import make_folder
from sloscope.cli.options import WorkspaceOption, open_workspace, parse_at
from sloscope.cli.report import print_report, report_json_text

if TYPE_CHECKING:
    from sloscope.alerting.backtest import BacktestResult
    from sloscope.demo.generate import DemoTelemetry
    from sloscope.demo.workspace import DemoFiles
    from sloscope.report.model import Report
    from sloscope.workspace import Workspace


commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


@commands.command()
def demo(
    days: Annotated[int, typer.Option("--days", min=4, max=90, help="Days of telemetry.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the generator.")] = 7,
    at: Annotated[
        str, typer.Option("--at", help="Where the data ends (RFC 3339 or Unix seconds).")
    ] = "now",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the dashboard (public read, 127.0.0.1)."),
    ] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="With --serve.")] = 8080,
    workspace: WorkspaceOption = None,
) -> None:
    """Sample specs and 30 days of telemetry with incidents in a workspace, then the report."""
    from sloscope.demo.workspace import prepare_demo

    end = parse_at(at) // 60 * 60
    root = workspace or Path()
    if root.exists() and not root.is_dir():
        fail(
            f"--workspace {root} is a file, not a folder; pass a new or existing folder "
            "(the demo writes slos/ and .sloscope/ into it)"
        )
    with errors():
        make_folder(
            root,
            root,
            purpose="the demo",
            hint="give a writable place: sloscope demo --workspace DIR",
        )
        ws = open_workspace(root)
        err.print(visible(f"writing sample specs and {days} days of telemetry into {root} ..."))
        files = prepare_demo(root, ws.telemetry_path, end=end, days=days, seed=seed)
        with progress() as advance:
            result = ws.ingest(files.telemetry, "openmetrics", progress=advance)
        err.print(visible(result.summary()))
        replay = ws.backtest(
            end - days * 86400, end, truth=files.truth.absolute(), compare_static=True
        )
        _record_demo(ws, files.generated, replay, end)
        report_result = ws.report(at=end)
    if as_json:
        sys.stdout.write(report_json_text(ws, report_result, None))
    else:
        _print_demo(ws, report_result, files, replay, end=end, days=days)
    if serve:
        from sloscope.server.commands import run_server
        from sloscope.server.settings import ServerSettings

        with errors():
            settings = ServerSettings(
                host="127.0.0.1", port=port, public_read=True, evaluation_worker=True
            )
            run_server(ws, settings)


def _print_demo(
    ws: Workspace,
    report_result: Report,
    files: DemoFiles,
    replay: BacktestResult,
    *,
    end: int,
    days: int,
) -> None:
    from sloscope.alerting.render import summary_line

    root = ws.root
    print_report(report_result, detail=False, wide=False)
    out.print(summary_line(replay))
    out.print(
        f"\nThe demo workspace is {root}. Try:\n"
        f"  sloscope backtest -w {root} --from {iso(end - days * 86400)} --to {iso(end)} "
        f"--truth {files.truth} --compare static\n"
        f"  sloscope report -w {root} --service checkout --format md\n"
        f"  sloscope report -w {root} --at {iso(files.generated.incidents[0].end)}\n"
        f"  sloscope validate -w {root}\n"
        f"  sloscope report -w {root} --org --to {iso(end)} --format html > org.html\n"
        f"  sloscope incident list -w {root}; sloscope incident postmortem 1 -w {root}\n"
        f"Injected incidents (the truth file for backtests is {files.truth}):"
    )
    for incident in files.generated.incidents:
        out.print(
            f"  {incident.kind:<18} {incident.service}/{incident.slo}: "
            f"{iso(incident.start)} → {iso(incident.end)}"
        )


def _record_demo(ws: Workspace, generated: DemoTelemetry, replay: BacktestResult, end: int) -> None:
    """The demo's deployments, incidents, the alerts its backtest sent, and a gate
    decision per service, in the store."""
    from sloscope.records.demo import record_demo_alerts, record_demo_history
    from sloscope.records.gating import gate_and_record

    now = int(time.time())
    history = record_demo_history(ws, generated.deployments, generated.incidents, end=end, now=now)
    alerts = record_demo_alerts(ws, replay.replays[0].alerts, end=end)
    for service in sorted({d.service for d in generated.deployments}):
        gate_and_record(
            ws, service, end, asked_by="demo", now=now, request_id=f"demo-{service}-{end}"
        )
    err.print(
        f"recorded {history.deployments} deployment(s), {history.incidents} incident(s) and "
        f"{alerts} alert(s) in the state store"
    )
