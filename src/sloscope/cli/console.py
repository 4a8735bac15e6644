"""What the commands print, and how errors become a message and an exit code."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

from sloscope.errors import Problem, SloscopeError, SpecError

if TYPE_CHECKING:
    from rich.console import Console

#: Control characters but the line break (C0, DEL, C1).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

#: Exit codes, a contract for CI pipelines: ok; the check said no; bad input or cannot evaluate.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class _LazyConsole:
    """A rich ``Console`` made on first use: commands that print JSON never load rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself, made now if not yet (for rich's classes that take one)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


# Piped output (CI logs, files) gets a wide table rather than one folded to 80 columns.
# Names and paths come from users: no markup (only where asked, with the text escaped)
# and no emoji codes, so `[bold]` or `:smile:` in a name prints as written.
out = cast(
    "Console",
    _LazyConsole(
        highlight=False, markup=False, emoji=False, width=None if sys.stdout.isatty() else 200
    ),
)
err = cast(
    "Console",
    _LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False),
)


def _plain_stderr() -> bool:
    """Whether rich would print on standard error without any style, as plain text.

    Rich's own test (``Console.is_terminal``), taken only where it is plain: standard
    error is not a terminal and nothing in the environment forces one (``FORCE_COLOR``,
    ``TTY_COMPATIBLE``) nor runs under IDLE or IPython. Anywhere else rich decides.
    """
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ or "IPython" in sys.modules:
        return False
    if getattr(sys.stdin, "__module__", "").startswith("idlelib"):
        return False
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def say(style: str, text: str, label: str = "") -> None:
    """One line on standard error: ``text`` (user text, shown as written) in ``style``,
    or with a ``label`` (``error:``) in ``style`` and the text after it unstyled.

    Where rich would print plain text (standard error not a terminal: CI logs, pipes),
    the line is written without loading rich (about 20 ms of a command's start): the
    same bytes, as rich prints a line with no style, no wrap (``soft_wrap``), no emoji
    and no highlighting.
    """
    shown = visible(text)
    # With a backslash, rich's markup may not give the text back as written (its escape
    # and its parser disagree on ``\\[`` and a trailing one): rich prints those lines.
    # A console already made may hold output (a live display): it prints the rest too.
    made = err.__dict__.get("_console") is not None
    if _plain_stderr() and not made and "\\" not in shown:
        sys.stderr.write(f"{label} {shown}\n" if label else f"{shown}\n")
        return
    from rich.markup import escape as escape_markup

    if label:
        err.print(f"[{style}]{label}[/] {escape_markup(shown)}", markup=True, highlight=False)
    else:
        err.print(f"[{style}]{escape_markup(shown)}[/]", markup=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``error: message`` on standard error and exit with ``code``."""
    say("bold red", message, label="error:")
    raise typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn sloscope's errors into a message and exit code 2, never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except SpecError as exc:
        print_problems(exc.problems)
        fail("the specs have errors; run 'sloscope validate' for the full list")
    except SloscopeError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
    except Exception as exc:
        if os.environ.get("SLOSCOPE_DEBUG"):
            raise
        fail(
            f"unexpected {type(exc).__name__}: {exc} "
            "(this is a bug in sloscope; rerun with SLOSCOPE_DEBUG=1 and report the traceback)"
        )


def escape(text: str) -> str:
    """``text`` for a styled line: rich markup escaped, control characters made visible.

    A path from a setting may hold an escape sequence or a carriage return that would
    rewrite the terminal; it is shown as ``\\x1b``. Line breaks of a message stay.
    """
    from rich.markup import escape as escape_markup

    return escape_markup(visible(text))


def visible(text: str) -> str:
    """``text`` with control characters (but line breaks) shown as escapes (``\\x1b``)."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


def print_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    """Each problem on standard error: errors in red, warnings in yellow."""
    for problem in problems:
        say("red" if problem.severity == "error" else "yellow", str(problem))


@contextmanager
def progress() -> Iterator[Callable[[int, int], None]]:
    """An ingest progress bar on standard error (a terminal only); yields ``advance(done,
    total)``."""
    # Imported here: only ingest and demo show a bar, and rich.progress is slow to load.
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("ingesting"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=cast("_LazyConsole", err).get(),  # the real one: rich enters it (with)
        transient=True,
        disable=not err.is_terminal,
    )
    with bar:
        task = bar.add_task("ingest", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield advance


def print_rows(
    rows: Sequence[dict[str, Any]], as_json: bool, lines: Sequence[str], *, empty: str
) -> None:
    """A listing: ``rows`` as JSON, or ``lines`` as they are (``empty`` when none)."""
    if as_json:
        out.print_json(json.dumps(rows))
        return
    for line in lines:
        out.print(line, markup=False)
    if not rows:
        err.print(empty)


def iso(seconds: int) -> str:
    """Unix seconds as an RFC 3339 time, as every command prints times."""
    from sloscope.timeparse import format_time

    return format_time(seconds)
