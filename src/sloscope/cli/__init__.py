"""The ``sloscope`` command: arguments → workspace → output and exit code.

Exit codes (a contract for CI pipelines): 0 ok; 1 the check said no (``validate`` found
errors); 2 bad input or cannot evaluate. No traceback reaches the user for an expected
error; set ``SLOSCOPE_DEBUG=1`` to see one for an unexpected error.

This module is the root: the ``--version`` option, and which module defines each command.
A command's module is imported only when that command runs (see ``sloscope.cli.lazy``).
"""

from __future__ import annotations

import os
import sys
import types
from typing import Annotated

import typer

from sloscope import __version__
from sloscope.cli.lazy import LazyGroup

#: Every command and group, in the order ``sloscope --help`` lists them, and the module
#: whose ``commands`` defines it.
COMMANDS = {
    "validate": "sloscope.cli.specs",
    "ingest": "sloscope.cli.specs",
    "report": "sloscope.cli.report",
    "generate": "sloscope.cli.generate",
    "convert": "sloscope.cli.generate",
    "demo": "sloscope.cli.demo",
    "backtest": "sloscope.cli.backtest",
    "tune": "sloscope.cli.backtest",
    "gate": "sloscope.cli.gate",
    "override": "sloscope.cli.gate",
    "audit": "sloscope.cli.gate",
    "evaluate": "sloscope.cli.server",
    "serve": "sloscope.cli.server",
    "store": "sloscope.cli.specs",
    "policy": "sloscope.cli.gate",
    "silence": "sloscope.cli.alerts",
    "notify": "sloscope.cli.alerts",
    "alert": "sloscope.cli.alerts",
    "deploy": "sloscope.cli.deploy",
    "incident": "sloscope.cli.incidents",
    "action": "sloscope.cli.incidents",
    "token": "sloscope.cli.server",
}


class _Root(LazyGroup):
    """The ``sloscope`` group: commands from ``COMMANDS``, built on first use."""

    sections = COMMANDS


app = typer.Typer(
    name="sloscope",
    help="SLO-driven observability and error budgets.",
    cls=_Root,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        # Plain text: the version needs no rich (the same bytes a console would print).
        sys.stdout.write(f"sloscope {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """SLOs, error budgets and burn-rate alerts from one spec per service."""


#: The values of PYDANTIC_DISABLE_PLUGINS with which pydantic loads no plugin at all.
_NO_PLUGINS = ("__all__", "1", "true")


def _no_plugin_loader() -> None:
    """Spare pydantic's plugin loader where it would load no plugin.

    pydantic imports its loader (``pydantic.plugin._loader``), and with it
    ``importlib.metadata`` (about 15 ms: email, zipfile, csv...), to build its first
    model, even when PYDANTIC_DISABLE_PLUGINS turns plugins off. Its one use there is
    ``get_plugins()``, which then returns no plugin: a module whose ``get_plugins``
    returns none stands in for it. Any other setting, or a loader already imported,
    leaves pydantic as it is.
    """
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in _NO_PLUGINS:
        return
    if "pydantic.plugin._loader" in sys.modules:
        return
    loader = types.ModuleType("pydantic.plugin._loader", "No pydantic plugins (sloscope CLI).")
    loader.get_plugins = tuple  # type: ignore[attr-defined]
    sys.modules["pydantic.plugin._loader"] = loader


def main() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins in every installed package's entry points when it builds
    # its first model (a scan of site-packages on every start); the CLI uses none. Set
    # PYDANTIC_DISABLE_PLUGINS yourself to choose otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _no_plugin_loader()
    # OpenBLAS starts one thread per core when numpy is imported, CPU spent on every
    # command that loads numpy, yet sloscope's numpy work is elementwise: no BLAS call
    # that threads would speed up. Set before numpy loads; a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    app()
