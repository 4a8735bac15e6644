"""Per-step counts from counters' instant values: the count query's arithmetic, on the client.

The count query of :func:`~sloscope.sources.prometheus.queries.step_increase_query`,
``sum((sel - sel offset 60s) >= 0 or (sel < sel offset 60s))`` evaluated at each right
edge ``t`` of the grid, reads each series' instant value ``L`` at ``t`` and at
``t - step`` (the grid's previous edge) and adds, over the series, ``L(t) - L(t - step)``
where that is ``>= 0``, else ``L(t)`` where ``L(t) < L(t - step)`` (a reset); a series
without both values, or with NaN, adds nothing. It evaluates four selectors and three
binary operators at every step, once per SLI.

The same counts come from the instant values alone: the plain selector ``sel`` evaluated
at every edge and at the one before the first (one range query that Prometheus answers
for every series of many SLIs at once, with no operator per step). :func:`step_counts`
then does the query's arithmetic: the same float64 subtraction and comparisons, and the
sum over series in the order Prometheus' ``sum`` adds them (the series sorted by label
set, those that grew before those that reset), so the counts are the very ones the count
query gives, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_Floats = NDArray[np.float64]
_Flags = NDArray[np.bool_]


@dataclass(frozen=True)
class Levels:
    """Instant values of series on ``n + 1`` points: the point one step before the
    grid's first edge, then its ``n`` edges. ``present[i, j]`` says whether series ``i``
    had a value at point ``j`` (within the server's lookback, not stale).
    """

    values: _Floats
    present: _Flags

    @classmethod
    def empty(cls, points: int) -> Levels:
        """No series at all on ``points`` points."""
        return cls(np.zeros((0, points)), np.zeros((0, points), dtype=np.bool_))


def levels_of(
    rows: Sequence[tuple[NDArray[np.int64], _Floats]], first: int, step: int, points: int
) -> Levels:
    """The :class:`Levels` of series answered as (timestamps, values), placed on the
    ``points`` points ``first, first + step, ...``; a point without an answer is absent.
    """
    values = np.zeros((len(rows), points))
    present = np.zeros((len(rows), points), dtype=np.bool_)
    for row, (timestamps, numbers) in enumerate(rows):
        index = (timestamps - first) // step
        keep = (index >= 0) & (index < points)
        values[row, index[keep]] = numbers[keep]
        present[row, index[keep]] = True
    return Levels(values, present)


def step_counts(levels: Levels) -> _Floats:
    """The summed increase of every step, as the count query computes it (module
    docstring): 0 where no series adds anything, and where the sum is NaN.

    The rows of ``levels`` must be in Prometheus' series order (sorted label sets).
    """
    current, previous = levels.values[:, 1:], levels.values[:, :-1]
    both = levels.present[:, 1:] & levels.present[:, :-1]
    with np.errstate(invalid="ignore"):
        difference = current - previous
        grew = both & (difference >= 0)
        reset = both & (current < previous)
    total = np.zeros(current.shape[1])
    # One series at a time, in the order Prometheus' sum adds them (first the left side
    # of "or", then the resets), so that sums of fractional values round alike.
    for row in range(current.shape[0]):
        np.add(total, difference[row], out=total, where=grew[row])
    for row in range(current.shape[0]):
        np.add(total, current[row], out=total, where=reset[row])
    return np.where(np.isnan(total), 0.0, total)
