"""``serve``, ``evaluate`` and ``token``: the server's commands (``sloscope.server.commands``)."""

from __future__ import annotations

import typer

from sloscope.cli.console import errors
from sloscope.cli.options import open_workspace
from sloscope.server.commands import register

commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""

register(commands, errors, open_workspace)
