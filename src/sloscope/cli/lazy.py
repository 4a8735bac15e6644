"""A command group that imports and builds only the command being run.

Typer builds a click command from a function's signature (type hints, defaults, help
texts): about 4 ms a command, and importing the module that defines it can cost more.
The root group knows each command's name and the module that defines it, so ``sloscope
validate`` imports ``sloscope.cli.specs`` and builds ``validate`` alone. Listing every
command (``--help``, completion, a typo's suggestions) still sees all of them, in the
order of the table; ``--help`` builds them all to show their help texts, as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, ClassVar

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_command_name, get_group_from_info

from sloscope.cli.collector import release

if TYPE_CHECKING:
    # The click that typer vendors (typer._click): for the types only.
    from typer._click import Command, Context


class LazyGroup(TyperGroup):
    """A ``TyperGroup`` whose commands are built on first use from ``sections``.

    ``sections`` maps each command or group name, in the order ``--help`` lists them, to
    the module that defines it: that module's ``commands`` (a ``typer.Typer``) holds it as a
    command or a named group, exactly as it would be registered on the root app.
    """

    sections: ClassVar[Mapping[str, str]] = {}
    #: As the root ``typer.Typer``'s own setting (its default); tracebacks are disabled there.
    pretty_exceptions_short: ClassVar[bool] = True

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        self.commands = _LazyCommands(self, self.commands)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        """The command to run, built; the start ends here (its module is loaded)."""
        found = super().resolve_command(ctx, args)
        release()
        return found

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command's name, without building any."""
        return list(self.commands)

    def build(self, name: str) -> Command:
        """The click command (or group) ``name``, built from its module's ``commands``."""
        module = self.sections[name]
        section: typer.Typer = importlib.import_module(module).commands
        for info in section.registered_commands:
            assert info.callback is not None
            if (info.name or get_command_name(info.callback.__name__)) == name:
                return get_command_from_info(
                    info,
                    pretty_exceptions_short=self.pretty_exceptions_short,
                    rich_markup_mode=self.rich_markup_mode,
                )
        for group in section.registered_groups:
            if group.name == name:
                return get_group_from_info(
                    group,
                    pretty_exceptions_short=self.pretty_exceptions_short,
                    rich_markup_mode=self.rich_markup_mode,
                    suggest_commands=self.suggest_commands,
                )
        raise LookupError(f"{module} defines no command {name!r}; fix sloscope.cli's table")


class _LazyCommands(MutableMapping[str, "Command"]):
    """The group's ``commands``: every name in ``sections``, each built when first read.

    A mapping, because typer's group reads ``commands`` itself (``get_command`` and the
    "Did you mean" suggestions of an unknown command).
    """

    def __init__(self, group: LazyGroup, built: MutableMapping[str, Command]) -> None:
        self._group = group
        self._built = dict(built)

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            if name not in self._group.sections:
                raise KeyError(name)
            self._built[name] = self._group.build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._group.sections
        yield from (name for name in self._built if name not in self._group.sections)

    def __len__(self) -> int:
        return len(self._group.sections) + sum(
            1 for name in self._built if name not in self._group.sections
        )
