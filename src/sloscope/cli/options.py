"""Options shared by many commands, and how their values are read."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sloscope.cli.console import fail
from sloscope.timeparse import parse_time

if TYPE_CHECKING:
    from sloscope.workspace import Workspace


# Each option below reads the same in every command that takes it.
WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Project folder (slos/, .sloscope/, sloscope.yaml). Default: the current directory.",
        show_default=False,
    ),
]
ServiceOption = Annotated[str | None, typer.Option("--service", "-s", help="Only this service.")]
SinceOption = Annotated[str | None, typer.Option("--from", help="From this time.")]
UntilOption = Annotated[str | None, typer.Option("--to", help="Up to this time.")]
# A string, not a Path: Path("out/") drops the slash that asks for a folder (see output_path).
OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="File (or folder, ending in /) to write; default standard output.",
    ),
]
AtOption = Annotated[
    str,
    typer.Option("--at", help="Evaluation time: RFC 3339 or Unix seconds.", show_default=True),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who: default $GITHUB_ACTOR or $USER.", show_default=False),
]


def parse_at(text: str) -> int:
    """The ``--at`` time in Unix seconds (exit 2 with a message when malformed)."""
    return time_option("--at", text)


def time_option(option: str, text: str) -> int:
    """A time option's value in Unix seconds (exit 2 naming ``option`` when malformed)."""
    try:
        return parse_time(text, now=time.time())
    except ValueError as exc:
        fail(f"{option}: {exc}")


def open_workspace(path: Path | None) -> Workspace:
    """The workspace at ``--workspace`` (default: the current directory)."""
    # Imported here: ``sloscope --version`` and ``--help`` need no numpy or DuckDB.
    from sloscope.workspace import Workspace

    return Workspace.open(path)


def who(by: str | None) -> str:
    """Who is asking: --by, else the CI actor, else the login name."""
    return by or os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "unknown"


def time_range(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """``--from`` and ``--to`` in Unix seconds (None when not given); --to after --from."""
    begin = time_option("--from", since) if since is not None else None
    end = time_option("--to", until) if until is not None else None
    if begin is not None and end is not None and end <= begin:
        fail("--to must be after --from")
    return begin, end


def output_path(text: str | None) -> tuple[Path | None, bool]:
    """The ``-o`` path, and whether it names a folder (it ends in ``/``).

    Read from the text: ``Path("out/")`` is ``Path("out")``, the slash that asks for a
    folder is lost once it is a path.
    """
    if not text:
        return None, False
    return Path(text), text.endswith(("/", os.sep))
