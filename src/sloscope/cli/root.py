"""The root group ``sloscope``: its ``--version`` option and its commands, built on use.

Imported by :mod:`sloscope.cli` once the process is prepared (typer loads here).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Annotated

import typer

from sloscope import __version__
from sloscope.cli.lazy import LazyGroup


def make_app(commands: Mapping[str, str]) -> typer.Typer:
    """The ``sloscope`` group of ``commands`` (name → the module that defines it)."""

    class _Root(LazyGroup):
        """The ``sloscope`` group: commands from ``commands``, built on first use."""

        sections = commands

    app = typer.Typer(
        name="sloscope",
        help="SLO-driven observability and error budgets.",
        cls=_Root,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    app.callback()(_main)
    return app


def _version(value: bool) -> None:
    if value:
        # Plain text: the version needs no rich (the same bytes a console would print).
        sys.stdout.write(f"sloscope {__version__}\n")
        raise typer.Exit(0)


def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """SLOs, error budgets and burn-rate alerts from one spec per service."""
