"""The root group builds only the command it runs, yet lists every command as before.

``sloscope.cli.COMMANDS`` names each command's module; a command missing from it, or
named for the wrong module, would vanish from ``--help`` or fail when run, so these tests
hold the table to what the modules define. ``test_start_imports`` checks that a command
loads only its own module.
"""

from __future__ import annotations

import importlib

import typer
from typer.main import get_command_name
from typer.testing import CliRunner as TyperRunner

from sloscope.cli import COMMANDS, app


def _defined(module: str) -> list[str]:
    """The commands and named groups a module's ``commands`` defines, in its order."""
    section: typer.Typer = importlib.import_module(module).commands
    names = []
    for info in section.registered_commands:
        assert info.callback is not None
        names.append(info.name or get_command_name(info.callback.__name__))
    names += [str(group.name) for group in section.registered_groups]
    return names


def test_the_table_names_every_command_each_module_defines_and_no_other() -> None:
    defined = {name: module for module in set(COMMANDS.values()) for name in _defined(module)}
    assert defined == COMMANDS


def test_help_lists_every_command_with_its_help_in_the_tables_order() -> None:
    shown = TyperRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    found = [name for name in COMMANDS if f"│ {name} " in shown]
    assert found == list(COMMANDS)
    positions = [shown.index(f"│ {name} ") for name in COMMANDS]
    assert positions == sorted(positions)
    assert "Load and check specs: every problem of every file" in shown  # validate's help
    assert "API tokens of sloscope serve." in shown  # a group's help, from the server


def test_an_unknown_command_is_refused_with_the_nearest_names() -> None:
    result = TyperRunner().invoke(app, ["valdate"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "No such command 'valdate'. Did you mean 'validate', 'evaluate'?" in result.output


def test_a_subcommand_of_a_lazily_built_group_runs() -> None:
    result = TyperRunner().invoke(app, ["incident", "ak"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "No such command 'ak'. Did you mean 'ack'?" in result.output
    help_text = TyperRunner().invoke(app, ["incident", "ack", "--help"]).output
    assert "Acknowledge an incident." in help_text
