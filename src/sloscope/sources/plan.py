"""Fetching what an evaluation at one time needs, at two resolutions.

An SLO evaluated at ``at`` needs every step of the last few days at full resolution (the
burn-rate lookbacks, 5m to 3d) but only the *sum* of the rest of its window (28 days,
a calendar month). So the older part is fetched at a coarse step (1h) and its counts
are placed, sparsely, on the fine grid: the step that ends each coarse interval holds
that interval's events and the other steps hold 0. Every window sum the engine takes
is unchanged, since each window of an evaluation at ``at`` starts on a coarse boundary
or inside the fine part, while a backend answers ~8x fewer points for a 28-day window
at a 1-minute step.

:func:`fetch_planned` hands both parts over as they came (:class:`PlannedCounts`): the
engine takes the coarse part as a :class:`~sloscope.engine.counts.History`, so an SLO
costs its lookbacks at the fine step plus its window at the coarse step, not its whole
window at the fine step. :func:`fetch_for_evaluation` places them on one fine grid, for
callers that want a single series.

Time-slice SLIs judge every slice, so they are fetched at full resolution throughout.

A range replay (a backtest over ``(range_start, at]``) plans the same way: its request's
``fine_since`` is ``range_start`` minus the longest lookback and its ``begin`` the SLO
window's start before ``range_start`` (or ``fine_since`` when it needs no budget), so
only the replayed range and its lookbacks come per step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from sloscope.engine.counts import History
from sloscope.sources.base import CountSeries, Segment, Source, SplitSource, WindowSumSource
from sloscope.spec.model import SLI, TimeslicesSLI

#: The step of the older part of a window.
COARSE_STEP = 3600
#: ``coarse=ONE_SUM``: the older part of each request as one step, a single sum per
#: series; what a status needs (its SLO window starts where the older part does), and
#: the least a source can send. Charts of the window pass their width instead.
ONE_SUM = 0


class FetchRequest(NamedTuple):
    """Counts an evaluation needs: from ``begin`` to ``at``, fine since ``fine_since``.

    ``begin`` is the earliest time any window of the evaluation reaches back to (the SLO
    window's start or the longest lookback); ``fine_since`` is where full resolution
    starts (``at`` minus the longest lookback). ``id`` is the SLO's ``sloscope_id``, so
    a Prometheus source can read its recording rules. ``edges``, when given, are where
    the evaluation's sums start (:attr:`~sloscope.engine.evaluate.Span.edges`): a status
    that reads nothing else passes them, so a
    :class:`~sloscope.sources.base.WindowSumSource` may send one sum per span between
    two of them instead of every step.
    """

    sli: SLI
    begin: int
    fine_since: int
    id: str | None = None
    edges: tuple[int, ...] = ()


class PlannedCounts(NamedTuple):
    """One request's counts as fetched: per step since the split, coarse before it.

    ``recent`` covers ``(split, at]`` at the evaluation step; ``history``, when the source
    answered the older part coarse, covers ``(begin, split]`` at the coarse step and ends
    where ``recent`` starts. ``history`` is ``None`` when everything came per step.
    """

    recent: CountSeries
    history: CountSeries | None = None

    @property
    def series(self) -> int:
        """How many backend series the SLI matched (0: no data)."""
        older = self.history.series if self.history is not None else 0
        return max(older, self.recent.series)

    @property
    def note(self) -> str:
        """How the source answered, both parts."""
        parts = (self.history.note if self.history is not None else "", self.recent.note)
        return "; ".join(n for n in dict.fromkeys(parts) if n)

    @property
    def start(self) -> int:
        """Left edge of the first step, coarse or fine (Unix seconds)."""
        return self.history.start if self.history is not None else self.recent.start

    def engine_history(self) -> History | None:
        """The coarse part as the engine takes it (``evaluate_slo(history=...)``)."""
        if self.history is None:
            return None
        older = self.history
        return History(start=older.start, step=older.step, good=older.good, total=older.total)

    def on_fine_grid(self) -> CountSeries:
        """Both parts on the fine grid: each coarse interval's counts on its last step."""
        if self.history is None:
            return self.recent
        return _merge(self.history, self.recent, self.recent.step)


def _split(request: FetchRequest, at: int, step: int, coarse: int) -> tuple[int, int, int]:
    """(start, coarse_end, coarse_step): the grid start and where the fine part begins."""
    steps = -(-(at - request.begin) // step)
    start = at - steps * step
    fine_steps = -(-(at - min(request.fine_since, at)) // step)
    if coarse == ONE_SUM and not isinstance(request.sli, TimeslicesSLI):
        coarse = max((steps - fine_steps) * step, step)
    if isinstance(request.sli, TimeslicesSLI):
        return start, start, step
    cut = coarse_end(start, start + (steps - fine_steps) * step, step, coarse)
    return (start, start, step) if cut == start else (start, cut, coarse)


def coarse_end(start: int, end: int, step: int, coarse: int) -> int:
    """Where the coarse part of an older grid ``(start, end]`` ends: after its whole
    ``coarse`` steps from ``start`` (the rest is read at ``step``); ``start`` itself, so
    all of it at ``step``, when a coarse step is not a whole number of fine steps, and
    longer than one. The one rule the plan and a source reading its grids share."""
    if coarse % step or coarse <= step:
        return start
    return start + (end - start) // coarse * coarse


def fetch_for_evaluation(
    src: Source,
    requests: Sequence[FetchRequest],
    at: int,
    step: int,
    coarse: int = COARSE_STEP,
) -> list[CountSeries]:
    """Counts of every request on the fine grid ending at ``at``, in the order given.

    :func:`fetch_planned` with each result placed on one fine grid
    (:meth:`PlannedCounts.on_fine_grid`): it starts at the request's ``begin`` rounded
    down to the fine grid, and its older part holds the coarse counts when the source
    has ``coarse_history`` (see the module docstring).
    """
    return [p.on_fine_grid() for p in fetch_planned(src, requests, at, step, coarse)]


def fetch_planned(
    src: Source,
    requests: Sequence[FetchRequest],
    at: int,
    step: int,
    coarse: int = COARSE_STEP,
) -> list[PlannedCounts]:
    """Counts of every request ending at ``at``, in the order given, as fetched.

    Requests sharing a grid are fetched together so the backend can batch them, both
    resolutions in one pass when the source is a
    :class:`~sloscope.sources.base.SplitSource`. When the source has
    ``coarse_history``, the part of a request before its ``fine_since`` (rounded to
    whole coarse steps from its ``begin``) comes at the ``coarse`` step as
    :attr:`PlannedCounts.history` (as one step with :data:`ONE_SUM`); the rest at
    ``step``.
    """
    if not src.coarse_history:
        coarse = step
    grids = [_split(request, at, step, coarse) for request in requests]
    split_source = isinstance(src, SplitSource)
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for index, (start, split, coarse_step) in enumerate(grids):
        # A split source takes each request's older grid, so only the split must agree
        # (keyed with start -1, no grid's start).
        key = (-1, split, 0) if split_source and split != start else (start, split, coarse_step)
        groups[key].append(index)
    out: list[PlannedCounts | None] = [None] * len(requests)
    for key, indexes in groups.items():
        chosen = [requests[i] for i in indexes]
        if isinstance(src, SplitSource) and key[0] == -1:
            olders = [Segment(grids[i][0], key[1], grids[i][2]) for i in indexes]
            counts = _fetch_split(src, chosen, olders, Segment(key[1], at, step))
        else:
            counts = _fetch_group(src, chosen, key, at, step)
        for i, planned in zip(indexes, counts, strict=True):
            out[i] = planned
    return [p for p in out if p is not None]


def _fetch_split(
    src: SplitSource, requests: list[FetchRequest], olders: list[Segment], recent: Segment
) -> list[PlannedCounts]:
    """Counts of requests whose fine parts share ``recent``, each with its older grid."""
    ids = [r.id or "" for r in requests]
    edges = _sum_edges(requests) if _sums_only(requests) else []
    both = src.fetch_split(
        [r.sli for r in requests], olders, recent, ids=ids if all(ids) else None, edges=edges
    )
    return [PlannedCounts(fine, old) for old, fine in both]


def _sums_only(requests: Sequence[FetchRequest]) -> bool:
    """Whether every request reads only sums between its edges (time slices are judged
    one by one)."""
    return all(r.edges and not isinstance(r.sli, TimeslicesSLI) for r in requests)


def _sum_edges(requests: Sequence[FetchRequest]) -> list[int]:
    """Every edge of the requests: sums between any request's edges are sums of spans
    between these."""
    return sorted({e for r in requests for e in r.edges})


def _fetch_group(
    src: Source,
    requests: list[FetchRequest],
    grid: tuple[int, int, int],
    at: int,
    step: int,
) -> list[PlannedCounts]:
    """Counts of requests sharing one ``(start, split, coarse_step)`` grid, fetched at once."""
    start, split, coarse_step = grid
    slis = [r.sli for r in requests]
    ids = [r.id or "" for r in requests]
    # Sums between edges are enough only when every request of the group reads no more.
    edges = _sum_edges(requests) if _sums_only(requests) else []
    fine = _fetch(src, slis, (split, at), step, ids, edges=edges)
    if split == start:
        return [PlannedCounts(recent) for recent in fine]
    old = _fetch(src, slis, (start, split), coarse_step, ids, edges=edges)
    return [PlannedCounts(recent, older) for recent, older in zip(fine, old, strict=True)]


def _fetch(
    src: Source,
    slis: list[SLI],
    span: tuple[int, int],
    step: int,
    ids: list[str],
    *,
    edges: Sequence[int] = (),
) -> list[CountSeries]:
    start, end = span
    named = {"ids": ids} if all(ids) else {}
    if edges and isinstance(src, WindowSumSource):
        return src.fetch_sums(slis, start, end, step, edges, **named)
    return src.fetch(slis, start, end, step, **named)


def _merge(older: CountSeries, recent: CountSeries, step: int) -> CountSeries:
    """The coarse counts placed on the fine grid, followed by the fine counts."""
    ratio = older.step // step
    n_old = len(older.good) * ratio
    good = np.zeros(n_old + len(recent.good))
    total = np.zeros_like(good)
    ends = np.arange(ratio - 1, n_old, ratio)
    good[ends] = older.good
    total[ends] = older.total
    good[n_old:] = recent.good
    total[n_old:] = recent.total
    notes = [n for n in dict.fromkeys((older.note, recent.note)) if n]
    return CountSeries(
        start=older.start,
        step=step,
        good=good,
        total=total,
        series=max(older.series, recent.series),
        note="; ".join(notes),
    )
