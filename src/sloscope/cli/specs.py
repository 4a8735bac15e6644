"""Specs and telemetry: ``validate``, ``ingest`` and ``store info|delete-series``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sloscope.cli.collector import held
from sloscope.cli.console import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    errors,
    fail,
    out,
    print_problems,
    progress,
    say,
    visible,
)
from sloscope.cli.options import WorkspaceOption, open_workspace, time_option

commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


class IngestFormat(StrEnum):
    """Telemetry formats ``ingest`` reads."""

    openmetrics = "openmetrics"  # OpenMetrics text, timestamps in seconds
    prometheus = "prometheus"  # Prometheus text exposition, timestamps in milliseconds


@commands.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Spec files or folders. Default: the workspace's specs (slos/)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Load and check specs: every problem of every file, as FILE:LINE:COL. Exit 1 on errors."""
    # The workspace and its specs are what validate makes: all kept to the end.
    with errors(), held():
        ws = open_workspace(workspace)
        result = ws.validate(paths or (), traffic=True)
    failed = bool(result.errors) or (strict and bool(result.warnings))
    if as_json:
        doc = {
            "ok": not failed,
            "files": list(result.files),
            "services": [s.name for s in result.services],
            "slos": sum(len(s.slos) for s in result.services),
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "column": p.column,
                    "severity": p.severity,
                    "message": p.message,
                    "hint": p.hint,
                }
                for p in result.problems
            ],
        }
        out.print_json(json.dumps(doc))
    else:
        print_problems(result.problems)
        slo_count = sum(len(s.slos) for s in result.services)
        summary = (
            f"{len(result.files)} file(s), {len(result.services)} service(s), {slo_count} SLO(s): "
            f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
        )
        say("red" if failed else "green", summary)
    raise typer.Exit(EXIT_CHECK_FAILED if failed else EXIT_OK)


@commands.command()
def ingest(
    file: Annotated[str, typer.Argument(help="Telemetry file, or - for standard input.")],
    fmt: Annotated[
        IngestFormat, typer.Option("--format", "-f", help="Input format.")
    ] = IngestFormat.openmetrics,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Load telemetry into the embedded store. All or nothing: a bad line stores nothing."""
    with errors():
        ws = open_workspace(workspace)
        if file == "-":
            result = ws.ingest(sys.stdin.buffer, fmt.value)
        else:
            path = Path(file)
            if not path.is_file():
                if path.is_dir():
                    fail(f"{file}: a folder, not a file; pass a telemetry file or - for stdin")
                if path.exists():
                    fail(
                        f"{file}: {_kind_of(path)}, not a regular file; read it through "
                        f"standard input: sloscope ingest - < {file}"
                    )
                fail(f"{file}: no such file")
            with progress() as advance:
                result = ws.ingest(path, fmt.value, progress=advance)
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
    else:
        out.print(visible(result.summary()))


def _kind_of(path: Path) -> str:
    """What a path that exists but is not a regular file is, for a message."""
    kinds = (
        (path.is_dir, "a folder"),
        (path.is_fifo, "a named pipe"),
        (path.is_socket, "a socket"),
        (path.is_char_device, "a character device"),
        (path.is_block_device, "a block device"),
    )
    return next((name for test, name in kinds if test()), "not a regular file")


store_app = typer.Typer(
    help="Look after the embedded telemetry store: what it holds, deleting bad samples.",
    no_args_is_help=True,
)
commands.add_typer(store_app, name="store")


@store_app.command("info")
def store_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Series, samples, time span and file size of the embedded store."""
    with errors():
        info = open_workspace(workspace).store_info()
    if as_json:
        out.print_json(json.dumps(info.to_dict()))
    else:
        out.print(info.summary(), markup=False, emoji=False)


@store_app.command("delete-series")
def delete_series(
    selector: Annotated[
        str, typer.Argument(help="PromQL selector, e.g. 'http_requests_total{code=\"500\"}'.")
    ],
    start: Annotated[
        str | None, typer.Option("--from", help="First time to delete (RFC 3339 or Unix s).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last time to delete (inclusive).")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Delete; without it, only count what would go.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete samples of matching series (all, or --from to --to); counts stay exact.

    Without --yes, a dry run: it only counts what would be deleted.
    """
    low = time_option("--from", start) if start is not None else None
    high = time_option("--to", end) if end is not None else None
    if low is not None and high is not None and low > high:
        fail("--from is after --to; give the earlier time to --from")
    with errors():
        done = open_workspace(workspace).delete_series(selector, low, high, apply=yes)
    what = f"{done.samples:,} sample(s) of {done.series:,} series" + (
        f" ({done.series_removed:,} series left with none)" if done.series_removed else ""
    )
    if done.applied:
        out.print(f"deleted {what}", markup=False, emoji=False)
    elif done.samples:
        out.print(
            f"would delete {what}; nothing was deleted: add --yes to delete",
            markup=False,
            emoji=False,
        )
    else:
        out.print(f"no sample of {selector} in that span; nothing to delete", markup=False)
