"""Fetching what an evaluation at one time needs, at two resolutions.

An SLO evaluated at ``at`` needs every step of the last few days at full resolution (the
burn-rate lookbacks, 5m to 3d) but only the *sum* of the rest of its window (28 days,
a calendar month). So the older part is fetched at a coarse step (1h) and its counts
are placed, sparsely, on the fine grid: the step that ends each coarse interval holds
that interval's events and the other steps hold 0. Every window sum the engine takes
is unchanged, since each window of an evaluation at ``at`` starts on a coarse boundary
or inside the fine part, while a backend answers ~8x fewer points for a 28-day window
at a 1-minute step.

Time-slice SLIs judge every slice, so they are fetched at full resolution throughout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sloscope.sources.base import CountSeries, Source
from sloscope.spec.model import SLI, TimeslicesSLI

#: The step of the older part of a window.
COARSE_STEP = 3600


@dataclass(frozen=True)
class FetchRequest:
    """Counts an evaluation needs: from ``begin`` to ``at``, fine since ``fine_since``.

    ``begin`` is the earliest time any window of the evaluation reaches back to (the SLO
    window's start or the longest lookback); ``fine_since`` is where full resolution
    starts (``at`` minus the longest lookback). ``id`` is the SLO's ``sloscope_id``, so
    a Prometheus source can read its recording rules.
    """

    sli: SLI
    begin: int
    fine_since: int
    id: str | None = None


def _split(request: FetchRequest, at: int, step: int, coarse: int) -> tuple[int, int, int]:
    """(start, coarse_end, coarse_step): the grid start and where the fine part begins."""
    steps = -(-(at - request.begin) // step)
    start = at - steps * step
    fine_steps = -(-(at - min(request.fine_since, at)) // step)
    if isinstance(request.sli, TimeslicesSLI) or coarse % step or coarse <= step:
        return start, start, step
    coarse_span = (steps - fine_steps) * step // coarse * coarse
    if coarse_span <= 0:
        return start, start, step
    return start, start + coarse_span, coarse


def fetch_for_evaluation(
    src: Source,
    requests: Sequence[FetchRequest],
    at: int,
    step: int,
    coarse: int = COARSE_STEP,
) -> list[CountSeries]:
    """Counts of every request on the fine grid ending at ``at``, in the order given.

    Requests sharing a grid are fetched together so the backend can batch them. The
    result of each request starts at its ``begin`` rounded down to the fine grid; when
    the source has ``coarse_history``, its older part holds the coarse counts (see the
    module docstring).
    """
    if not src.coarse_history:
        coarse = step
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        groups[_split(request, at, step, coarse)].append(index)
    out: list[CountSeries | None] = [None] * len(requests)
    for grid, indexes in groups.items():
        counts = _fetch_group(src, [requests[i] for i in indexes], grid, at, step)
        for i, series in zip(indexes, counts, strict=True):
            out[i] = series
    return [s for s in out if s is not None]


def _fetch_group(
    src: Source,
    requests: list[FetchRequest],
    grid: tuple[int, int, int],
    at: int,
    step: int,
) -> list[CountSeries]:
    """Counts of requests sharing one ``(start, split, coarse_step)`` grid, fetched at once."""
    start, split, coarse_step = grid
    slis = [r.sli for r in requests]
    ids = [r.id or "" for r in requests]
    fine = _fetch(src, slis, (split, at), step, ids)
    if split == start:
        return fine
    old = _fetch(src, slis, (start, split), coarse_step, ids)
    return [_merge(older, recent, step) for recent, older in zip(fine, old, strict=True)]


def _fetch(
    src: Source, slis: list[SLI], span: tuple[int, int], step: int, ids: list[str]
) -> list[CountSeries]:
    start, end = span
    if all(ids):
        return src.fetch(slis, start, end, step, ids=ids)
    return src.fetch(slis, start, end, step)


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
