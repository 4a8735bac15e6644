"""Time-slice SLIs: good slices over slices with events.

A :class:`~sloscope.spec.model.TimeslicesSLI` judges each slice of ``slice_seconds`` by
the event counts of its indicator: a slice with events is *good* when its ratio of good
events is at least ``target``; a slice without events counts neither way.

:func:`to_timeslices` turns per-step event counts into per-step *slice* counts on the same
grid: each slice adds 1 to ``total`` (and to ``good`` when good) at its last step and 0
elsewhere. So the window sums, budgets and burn rates of the rest of the engine work on
slices unchanged: the budget of a 99% timeslices SLO is 1% of its slices.

Alignment: slice boundaries fall at ``end``, ``end - slice_seconds``, ... (``end``
defaults to the grid's end, and :func:`~sloscope.engine.evaluate.evaluate_slo` passes the
evaluation time), so the last slice ends exactly at the evaluation time. Slices cut by
the edges of the grid are judged on the steps they have, as data outside the grid is
unknown. A slice counts in a window when its last step does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sloscope.engine.counts import FloatArray, check_counts
from sloscope.errors import EvaluationError


def slice_steps(slice_seconds: int, step: int) -> int:
    """How many steps one slice spans; the slice must be a positive whole number of steps."""
    if slice_seconds <= 0:
        raise EvaluationError(f"a time slice must be positive, got {slice_seconds}s")
    if slice_seconds % step:
        raise EvaluationError(
            f"a time slice of {slice_seconds}s is not a whole number of {step}s steps; "
            "evaluate with a step that divides the slice, or choose a slice that is a "
            "multiple of the step"
        )
    return slice_seconds // step


def slice_last_steps(
    n: int, *, start: int, step: int, slice_seconds: int, end: int
) -> NDArray[np.int64]:
    """Indices of the last step of every slice of an ``n``-step grid, ascending.

    Slices end where ``end - t`` is a multiple of ``slice_seconds``; the grid's last step
    also ends a (possibly partial) slice.
    """
    k = slice_steps(slice_seconds, step)
    if (end - start) % step:
        raise EvaluationError(
            f"the slice alignment time {end} is not a grid edge (start {start}, step {step}s)"
        )
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # Step i ends at start + (i+1)*step; it closes a slice when (i + 1) ≡ edges(end) mod k.
    first = ((end - start) // step - 1) % k
    lasts = np.arange(first, n, k, dtype=np.int64)
    if not len(lasts) or lasts[-1] != n - 1:
        lasts = np.append(lasts, n - 1)
    return lasts


def to_timeslices(
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    slice_seconds: int,
    target: float,
    end: int | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-step counts of good and total slices from per-step event counts.

    Returns ``(good_slices, total_slices)``, float arrays on the same grid: 1 at the last
    step of each slice with events (good when its good/total ≥ ``target``), 0 elsewhere.
    ``end`` (a grid edge, default the grid's end) fixes where slices begin and end.
    Raises :class:`EvaluationError` when the slice is not a whole number of steps.
    """
    good = np.asarray(good, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    check_counts(good, total)
    n = len(total)
    if end is None:
        end = start + n * step
    lasts = slice_last_steps(n, start=start, step=step, slice_seconds=slice_seconds, end=end)
    good_slices = np.zeros(n)
    total_slices = np.zeros(n)
    if n == 0:
        return good_slices, total_slices
    firsts = np.concatenate(([0], lasts[:-1] + 1))
    slice_total = np.add.reduceat(total, firsts)
    slice_good = np.add.reduceat(good, firsts)
    has_events = slice_total > 0
    ratio = np.divide(slice_good, slice_total, out=np.zeros(len(firsts)), where=has_events)
    total_slices[lasts] = has_events
    good_slices[lasts] = has_events & (ratio >= target)
    return good_slices, total_slices
