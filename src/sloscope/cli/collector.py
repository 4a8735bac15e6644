"""Python's cyclic garbage collector held back while the ``sloscope`` process starts.

A command's start (typer, pydantic and sloscope's modules, then the workspace's config
and specs) makes a few hundred thousand objects that live as long as the process, and
almost no garbage. The collector still looks at every new object, in a pass each 700 of
them: about 80 passes and a tenth of ``sloscope validate``. While a start is held the
passes wait; when it ends, the objects made so far are frozen (``gc.freeze``: moved out
of the collector's sight at no cost, never looked at again) and collection goes on as
Python's default, so the command's own work is collected as always. What a start leaves
as garbage in a reference cycle stays until the process ends: a start makes next to none.

Only the ``sloscope`` process does this (:func:`start`, called by its entry point): a
program that runs commands in its own process (tests, through typer's runner) keeps its
collector as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: New objects between two passes while a start is held (Python's own: 700). A bound,
#: not a switch: a start that made this many would still be collected.
HELD_THRESHOLD = 1_000_000


class _State:
    """Whether this process is ``sloscope`` and the thresholds a held start replaced."""

    program = False
    before: tuple[int, int, int] | None = None


def start() -> None:
    """This process is the ``sloscope`` command: hold collection back until it runs."""
    _State.program = True
    hold()


def hold() -> None:
    """Hold collection back until :func:`release` (only in the ``sloscope`` process,
    once at a time)."""
    if not _State.program or _State.before is not None:
        return
    before = gc.get_threshold()
    _State.before = before
    gc.set_threshold(max(HELD_THRESHOLD, before[0]), before[1], before[2])


def release() -> None:
    """End a held start: freeze what it made, restore collection (no-op when none is held)."""
    before = _State.before
    if before is None:
        return
    gc.freeze()
    gc.set_threshold(*before)
    _State.before = None


@contextmanager
def held() -> Iterator[None]:
    """Collection held back for the block, which makes the command's long-lived objects
    (the workspace, its config and specs)."""
    hold()
    try:
        yield
    finally:
        release()
