"""``deploy record|list|failure-rate``: deployments and the change failure rate."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from sloscope.cli.console import errors, iso, out, print_rows
from sloscope.cli.options import (
    ByOption,
    ServiceOption,
    SinceOption,
    UntilOption,
    WorkspaceOption,
    open_workspace,
    parse_at,
    time_option,
    time_range,
    who,
)

commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


# --- deployments ------------------------------------------------------------------------

deploy_app = typer.Typer(help="Deployments and the change failure rate.", no_args_is_help=True)
commands.add_typer(deploy_app, name="deploy")


@deploy_app.command("record")
def deploy_record(
    service: Annotated[str, typer.Argument(help="The deployed service.")],
    version: Annotated[str, typer.Option("--version", help="The deployed version.")],
    commit: Annotated[str | None, typer.Option("--commit", help="The deployed commit.")] = None,
    at: Annotated[str, typer.Option("--at", help="When: RFC 3339 or Unix seconds.")] = "now",
    by: ByOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a deployment of SERVICE (the same service, version and time again: once)."""
    from sloscope.records.incidents import record_deployment
    from sloscope.records.render import deployment_to_dict

    when = parse_at(at)
    with errors():
        ws = open_workspace(workspace)
        kept = record_deployment(
            ws, service, version=version, at=when, by=who(by), now=int(time.time()), commit=commit
        )
    if as_json:
        out.print_json(json.dumps(deployment_to_dict(kept)))
    else:
        out.print(f"deployment {kept.id}: {service} {version} at {iso(when)}")


@deploy_app.command("list")
def deploy_list(
    service: ServiceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Recorded deployments, oldest first."""
    from sloscope.records.incidents import deployments
    from sloscope.records.render import deployment_to_dict

    begin, end = time_range(since, until)
    with errors():
        ws = open_workspace(workspace)
        rows = [
            deployment_to_dict(d) for d in deployments(ws, service=service, begin=begin, end=end)
        ]
    lines = [
        f"{row['id']:>5}  {row['at']}  {row['service']} {row['version']}"
        + (f" ({row['commit']})" if row["commit"] else "")
        for row in rows
    ]
    print_rows(rows, as_json, lines, empty="no deployments recorded")


@deploy_app.command("failure-rate")
def deploy_failure_rate(
    since: Annotated[str, typer.Option("--from", help="From this time.")] = "1970-01-01T00:00:00Z",
    until: Annotated[str, typer.Option("--to", help="Up to this time.")] = "now",
    service: ServiceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Change failure rate: deployments followed by an incident or page, per service."""
    from sloscope.records.incidents import change_failures
    from sloscope.records.render import change_failures_to_dict

    begin, end = time_option("--from", since), time_option("--to", until)
    with errors():
        ws = open_workspace(workspace)
        doc = change_failures_to_dict(
            change_failures(ws, begin=begin, end=end, service=service), begin, end
        )
    if as_json:
        out.print_json(json.dumps(doc))
        return
    for name, rate in [("overall", doc["overall"]), *doc["services"].items()]:
        shown = "n/a" if rate["rate"] is None else f"{rate['rate'] * 100:.1f}%"
        out.print(f"{name:<20} {shown:>7}  ({rate['failed']} of {rate['deployments']} failed)")
