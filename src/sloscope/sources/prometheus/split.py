"""Which grids the Prometheus source reads for a split fetch (no I/O).

:meth:`~sloscope.sources.prometheus.source.PrometheusSource.fetch_split` answers each
SLI's older part and the recent grid shared by every SLI. Prometheus counts a step from
the instant values at its two edges (:mod:`~sloscope.sources.prometheus.levels`), so a
step's count depends on the grid: an older part asked for as one step
(:data:`~sloscope.sources.plan.ONE_SUM`) would count ``L(end) - L(start)`` over weeks,
which a reset or a gap inside them makes differ from the hourly counts the plan reads
from a remote engine otherwise. The older part is therefore read on the grid the plan
gives a source without ``fetch_split`` (:func:`pieces`): whole hours
(:data:`~sloscope.sources.plan.COARSE_STEP`) from its start, then, when it does not end
on a whole hour, the rest at the recent grid's step. Every SLI's counts are then the
very numbers that plan gives, and grids that end together are read at once
(:func:`read_groups`): the hours of a 28-day and a 30-day window are one range query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sloscope.sources.base import Segment
from sloscope.sources.plan import COARSE_STEP, coarse_end


def pieces(older: Segment, fine_step: int) -> tuple[Segment | None, Segment | None]:
    """The grids an older part is read on: (hourly part, rest at ``fine_step``), either
    None when empty.

    An older grid of several steps, or of one hour, is read as asked. One step for the
    whole older part (:data:`~sloscope.sources.plan.ONE_SUM`) is cut where the plan's
    hourly grid would end: whole hours from its start, then the rest at the fine step;
    when an hour is not a whole number of fine steps (or not longer than one), all of
    it at the fine step, as the plan then reads the whole grid.
    """
    if older.step == COARSE_STEP or older.end - older.start > older.step:
        return older, None
    split = coarse_end(older.start, older.end, fine_step, COARSE_STEP)
    hourly = Segment(older.start, split, COARSE_STEP) if split > older.start else None
    rest = Segment(split, older.end, fine_step) if split < older.end else None
    return hourly, rest


def read_groups(grids: Sequence[Segment]) -> list[list[int]]:
    """Indexes of ``grids`` that one read can answer: the same end and step, starts a
    whole number of steps apart (a longer grid holds every point of a shorter one)."""
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for index, grid in enumerate(grids):
        groups[(grid.end, grid.step, grid.start % grid.step)].append(index)
    return list(groups.values())
