"""The one small interface every telemetry backend adapts to.

A :class:`Source` answers one question: for an SLI, how many good and how many total
events happened in each step of a time range. Everything above the sources (engine,
report, alerting) works on the :class:`CountSeries` it returns and never learns which
backend answered.

Time grid: ``end`` is the right edge of the last step; step ``i`` (0-based) covers
``(start + i*step, start + (i+1)*step]`` where ``start = end - n*step``. Counter semantics
are those of DESIGN.md: the events of a step are the sum of the per-sample increases of
samples with timestamps in that step (resets handled as Prometheus does, no
extrapolation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sloscope.errors import EvaluationError, SourceError, TooManyGroupsError
from sloscope.spec.model import SLI


@dataclass(frozen=True)
class CountSeries:
    """Per-step good and total event counts on a regular time grid.

    ``good`` and ``total`` are float64 arrays of the same length ``n``; step ``i`` covers
    ``(start + i*step, start + (i+1)*step]`` in Unix seconds. ``series`` is how many
    backend series matched the SLI's selectors (0 means no data at all, so figures are
    ``null``, not 0). ``note`` says how the source answered (e.g. which recording rules
    it read), for ``--verbose`` output.
    """

    start: int
    step: int
    good: NDArray[np.float64]
    total: NDArray[np.float64]
    series: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        if self.step <= 0:
            raise EvaluationError(f"step must be positive, got {self.step}")
        if self.good.shape != self.total.shape or self.good.ndim != 1:
            raise EvaluationError(
                f"good and total must be 1-d arrays of one length, got "
                f"{self.good.shape} and {self.total.shape}"
            )

    @property
    def end(self) -> int:
        """Right edge of the last step (Unix seconds)."""
        return self.start + len(self.good) * self.step

    @property
    def timestamps(self) -> NDArray[np.int64]:
        """Right edge of every step (Unix seconds)."""
        return self.start + self.step * np.arange(1, len(self.good) + 1, dtype=np.int64)

    @classmethod
    def empty(cls, start: int, end: int, step: int) -> CountSeries:
        """A series of zeros with no matched backend series (no data)."""
        n = grid_length(start, end, step)
        return cls(start=start, step=step, good=np.zeros(n), total=np.zeros(n), series=0)


def grid_length(start: int, end: int, step: int) -> int:
    """Number of steps from ``start`` to ``end``, which must be whole steps apart."""
    if step <= 0:
        raise EvaluationError(f"step must be positive, got {step}")
    if end <= start:
        raise EvaluationError(f"end ({end}) must be after start ({start})")
    if (end - start) % step:
        raise EvaluationError(f"the range {start}..{end} is not a whole number of {step}s steps")
    return (end - start) // step


class Segment(NamedTuple):
    """A grid of steps: ``(start, end]`` in steps of ``step`` seconds."""

    start: int
    end: int
    step: int


def check_split_grids(slis: Sequence[SLI], olders: Sequence[Segment], recent: Segment) -> None:
    """What :meth:`SplitSource.fetch_split` asks of its grids: one older grid per SLI,
    each ending where ``recent`` starts, all of whole steps
    (:class:`~sloscope.errors.SourceError`, or :class:`~sloscope.errors.EvaluationError`
    from :func:`grid_length`)."""
    if len(olders) != len(slis):
        raise SourceError(f"{len(slis)} SLIs but {len(olders)} older grids")
    for older in olders:
        if older.end != recent.start:
            raise SourceError(
                f"an older grid ends at {older.end}, not where the recent one starts "
                f"({recent.start})"
            )
        grid_length(*older)
    grid_length(*recent)


@runtime_checkable
class Source(Protocol):
    """A telemetry backend that can count an SLI's events per step."""

    #: Short name for messages (``embedded``, ``prometheus``).
    name: str
    #: Whether asking for old data at a coarser step saves the backend work (a remote
    #: query engine: yes; an embedded store that scans the same samples either way: no).
    coarse_history: bool

    def fetch(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[CountSeries]:
        """Good/total counts per step for each SLI, in the order given.

        Takes many SLIs at once so a backend can batch its queries. ``ids``, when given,
        are the SLOs' ``sloscope_id`` values, one per SLI, so a backend that has recorded
        series per SLO (Prometheus with the generated rules) can read those. For a
        :class:`~sloscope.spec.model.TimeslicesSLI` the counts are those of its indicator
        (events, not slices); the engine turns them into slices.

        Raises :class:`~sloscope.errors.UnsupportedSLIError` for an SLI kind the backend
        cannot evaluate and :class:`~sloscope.errors.SourceError` when it cannot answer.
        """
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


#: One group of a grouped SLI: its label values in ``group_by`` order, an absent label
#: reading ``""`` as in Prometheus (``(("route", "/orders"),)``).
GroupKey = tuple[tuple[str, str], ...]

#: The default of sloscope.yaml ``max_groups``.
MAX_GROUPS = 500


def group_key(group_by: Sequence[str], labels: Mapping[str, str]) -> GroupKey:
    """The group of a series with ``labels`` (absent labels read ``""``)."""
    return tuple((label, labels.get(label, "")) for label in group_by)


def check_group_count(count: int, limit: int) -> None:
    """Raise :class:`~sloscope.errors.TooManyGroupsError` when ``count`` passes ``limit``."""
    if count > limit:
        raise TooManyGroupsError(count, limit)


def trim_to_data(series: CountSeries, first_step: int) -> CountSeries:
    """The counts from step ``first_step`` on: a group that appears inside the range has
    its own shorter history (no zeros before its first sample)."""
    first = min(max(first_step, 0), max(len(series.good) - 1, 0))
    if first == 0:
        return series
    return CountSeries(
        start=series.start + first * series.step,
        step=series.step,
        good=series.good[first:],
        total=series.total[first:],
        series=series.series,
        note=series.note,
    )


@runtime_checkable
class GroupedSource(Source, Protocol):
    """A :class:`Source` that can also count a grouped SLI per group (``group_by``)."""

    def fetch_grouped(
        self,
        sli: SLI,
        group_by: Sequence[str],
        start: int,
        end: int,
        step: int,
        *,
        max_groups: int = MAX_GROUPS,
    ) -> dict[GroupKey, CountSeries]:
        """Good/total counts per step of each group of ``sli``'s series.

        A group is a distinct value of the ``group_by`` labels among the series the
        SLI's total counts that have samples in ``(start, end]``. Each group's counts
        start at the step of its first sample (a group that appears inside the range has
        a shorter history; one that vanished keeps its history while the range holds
        it). Raises :class:`~sloscope.errors.TooManyGroupsError` when there are more
        than ``max_groups`` groups, before the counts are read.
        """
        ...


@runtime_checkable
class WindowSumSource(Protocol):
    """A source that can send only the sums a status reads, for less than every step.

    :mod:`sloscope.sources.plan` uses it when an evaluation passes its
    :attr:`~sloscope.engine.evaluate.Span.edges` (a status, neither a chart nor a
    replay): a remote query engine then answers a few numbers per series instead of one
    per step.
    """

    def fetch_sums(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        edges: Sequence[int],
        *,
        ids: Sequence[str] | None = None,
    ) -> list[CountSeries]:
        """Counts on the grid of :meth:`Source.fetch` whose sum over the steps between
        any two ``edges`` (each taken at the step edge at or before it) is the one
        :meth:`Source.fetch` gives; the counts of a span between two neighbouring edges
        may all sit on its last step."""
        ...


@runtime_checkable
class SplitSource(Protocol):
    """A source that answers each SLI's older part at a coarse step and a recent grid
    per step, for many SLIs in one pass: cheaper than :meth:`Source.fetch` per grid.

    :mod:`sloscope.sources.plan` uses it when a source has it.
    """

    def fetch_split(
        self,
        slis: Sequence[SLI],
        olders: Sequence[Segment],
        recent: Segment,
        *,
        ids: Sequence[str] | None = None,
        edges: Sequence[int] = (),
    ) -> list[tuple[CountSeries, CountSeries]]:
        """Each SLI's counts on its older grid and on ``recent`` (every older grid ends at
        ``recent.start``), as :meth:`Source.fetch` would give them for each grid.

        An older part asked for as one step (:data:`~sloscope.sources.plan.ONE_SUM`) may
        come back on a finer grid of the same span whose steps are whole multiples of the
        fine step (the Prometheus source answers it hourly, then the rest per step, so a
        reset or gap inside it counts): the engine sums whatever steps it is given.

        ``edges``, when given, are as for :meth:`WindowSumSource.fetch_sums`: only sums
        between them are read from the recent grid, so the counts of a span between two
        neighbouring edges may all sit on its last step."""
        ...
