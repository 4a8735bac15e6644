"""Per-step event counts, their cumulative sums, and window sums over them.

Every figure of the engine is a sum of counts over a window. The counts live on the grid
of :class:`~sloscope.sources.base.CountSeries`: step ``i`` covers
``(start + i*step, start + (i+1)*step]``, and the sum over a window ``(T-W, T]`` is the sum
of the steps whose *right edges* lie in ``(T-W, T]``. Long windows sum counts; ratios are
taken last, never averaged.

Cumulative sums make any window sum O(1): with ``c[0] = 0`` and ``c[k]`` the sum of the
first ``k`` steps, the steps ``a..b-1`` sum to ``c[b] - c[a]``. A lookback of ``w`` steps
at every step is then one vectorised subtraction of two shifted slices.

Numerics: the engine keeps the cumulative sums of *total* and of *bad* (``total - good``)
rather than of good, so a window's bad events are one subtraction and need no
cancellation between two large good/total sums. Counts that are whole numbers (every
counter increase without extrapolation) stay exact in float64 until a cumulative sum
passes 2**53 (9e15 events), so window sums of such counts are exact. The cumulative sum
of non-negative numbers never decreases in IEEE arithmetic, so a window of steps with no
events sums to exactly 0: "no events" is detected exactly, never by a tolerance.

Windows that reach back before the first step sum the steps there are: data before the
grid is unknown and counts as no events (see ``coverage`` in
:mod:`sloscope.engine.evaluate`).

Two resolutions: an evaluation needs every step only of its lookbacks (the last few
days); the older part of an SLO window is only ever summed from a coarse boundary, so it
may come as a :class:`History` of coarse steps (an hour each) just before the grid.
:func:`cumulative` puts both in one pair of cumulative sums, a window sum is still two
lookups, and the memory of an SLO no longer grows with its window at the fine step.
Whole-number counts sum exactly in any grouping, so the figures are bitwise those of
the same counts at the fine step throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sloscope.errors import EvaluationError

FloatArray = NDArray[np.float64]


class History(NamedTuple):
    """Per-step counts just before a grid, at a coarser step: an SLO window's older part.

    Step ``i`` covers ``(start + i*step, start + (i+1)*step]``, as on the fine grid, and
    the last step ends where the fine grid starts (:attr:`end`). ``step`` must be a
    whole number of the fine grid's steps (see :func:`cumulative`).
    """

    start: int
    step: int
    good: FloatArray
    total: FloatArray

    @property
    def end(self) -> int:
        """Right edge of the last coarse step (Unix seconds)."""
        return self.start + len(self.total) * self.step


class Cumulative(NamedTuple):
    """Cumulative sums of the total and bad events of a grid, each of length ``n + 1``.

    ``total[k]`` and ``bad[k]`` are the sums of the first ``k`` steps (``total[0] == 0``).
    ``start`` and ``step`` place the grid in time, as in ``CountSeries``. ``bad`` may
    decrease where a step's good exceeds its total (counters scraped at slightly different
    times); window sums of bad are clipped at 0 where they become figures.
    ``bad_monotone`` says no step has good above total, so no window's bad is negative
    and the clipping can be skipped.

    With a :class:`History`, its ``coarse_steps`` steps of ``coarse_step`` seconds come
    first (before ``start``) and the sums run on through the fine steps; :attr:`origin`
    is then where the history starts. Rolling sums at the fine step are valid only where
    they stay inside the fine steps.
    """

    start: int
    step: int
    total: FloatArray
    bad: FloatArray
    bad_monotone: bool = False
    coarse_steps: int = 0
    coarse_step: int = 0

    @property
    def steps(self) -> int:
        """Number of steps of the grid, coarse steps included."""
        return len(self.total) - 1

    @property
    def origin(self) -> int:
        """Left edge of the first step, coarse or fine (Unix seconds)."""
        return self.start - self.coarse_steps * self.coarse_step

    @property
    def end(self) -> int:
        """Right edge of the last step (Unix seconds)."""
        return self.start + (self.steps - self.coarse_steps) * self.step

    @property
    def timestamps(self) -> NDArray[np.int64]:
        """Right edge of every step (Unix seconds), coarse steps first."""
        fine = self.start + self.step * np.arange(
            1, self.steps - self.coarse_steps + 1, dtype=np.int64
        )
        if not self.coarse_steps:
            return fine
        coarse = self.origin + self.coarse_step * np.arange(
            1, self.coarse_steps + 1, dtype=np.int64
        )
        return np.concatenate((coarse, fine))

    def index_after(self, time: int) -> int:
        """Number of steps whose right edge is at or before ``time``, clamped to the grid.

        The steps of a window ``(a, b]`` are ``index_after(a) .. index_after(b) - 1``.
        """
        if self.coarse_steps and time < self.start:
            edges = (time - self.origin) // self.coarse_step
            return int(min(max(edges, 0), self.coarse_steps))
        edges = (time - self.start) // self.step
        return self.coarse_steps + int(min(max(edges, 0), self.steps - self.coarse_steps))

    def window(self, after: int, until: int) -> tuple[float, float]:
        """``(good, total)`` over the steps whose right edges lie in ``(after, until]``.

        A time need not be a grid edge: a step counts when its right edge is inside the
        interval. O(1). Good is as the source counted it, so it may exceed total (see
        :mod:`sloscope.engine.budget` for how that is treated).
        """
        bad, total = self.bad_total(after, until)
        return total - bad, total

    def bad_total(self, after: int, until: int) -> tuple[float, float]:
        """``(bad, total)`` over the steps whose right edges lie in ``(after, until]``.

        Bad is ``total - good`` as summed, not clipped: negative when good exceeds total.
        The figures of :mod:`sloscope.engine.budget` are computed from these two.
        """
        lo, hi = self.index_after(after), self.index_after(until)
        if hi <= lo:
            return 0.0, 0.0
        # Python floats subtract as float64 does (IEEE doubles, the same rounding), without
        # a numpy scalar per operand: a status takes a dozen of these per SLO.
        bad, total = self.bad, self.total
        return bad.item(hi) - bad.item(lo), total.item(hi) - total.item(lo)


def check_counts(good: FloatArray, total: FloatArray) -> None:
    """Raise :class:`EvaluationError` unless good and total are valid per-step counts.

    Valid: finite, non-negative, 1-d arrays of one length.

    Counter increases are never negative; a NaN or a negative count means the source
    produced something the engine cannot sum, and a silent answer would be wrong.
    """
    if good.ndim != 1 or total.ndim != 1 or good.shape != total.shape:
        raise EvaluationError(
            f"good and total must be 1-d arrays of one length, got shapes {good.shape} "
            f"and {total.shape}"
        )
    if not len(total):
        return
    # One reduction each: min() is NaN when any element is NaN, and -inf/inf fail too.
    low = min(float(good.min()), float(total.min()))
    high = max(float(good.max()), float(total.max()))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise EvaluationError(
            "event counts contain NaN or infinite values; the source must give 0 for "
            "steps without events"
        )
    if low < 0:
        raise EvaluationError(
            f"event counts must not be negative (found {low}); counter resets must be "
            "handled by the source before the engine sums increases"
        )


def cumulative(
    good: FloatArray,
    total: FloatArray,
    *,
    start: int,
    step: int,
    check: bool = True,
    history: History | None = None,
) -> Cumulative:
    """Cumulative sums of total and bad (``total - good``) for per-step counts.

    Checks the counts with :func:`check_counts` first, unless the caller already did
    (``check=False``). A ``history`` (coarse counts ending at ``start``) comes first.
    """
    if step <= 0:
        raise EvaluationError(f"step must be positive, got {step}")
    good = np.asarray(good, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    if check:
        check_counts(good, total)
    coarse_steps = coarse_step = 0
    if history is not None:
        check_history(history, start, step)
        if check:
            check_counts(history.good, history.total)
        coarse_steps, coarse_step = len(history.total), history.step
        good = np.concatenate((history.good, good))
        total = np.concatenate((history.total, total))
    n = len(total)
    cum_total = np.empty(n + 1)
    cum_total[0] = 0.0
    np.cumsum(total, out=cum_total[1:])
    cum_bad = np.empty(n + 1)
    cum_bad[0] = 0.0
    np.subtract(total, good, out=cum_bad[1:])
    monotone = not n or float(cum_bad[1:].min()) >= 0.0
    np.cumsum(cum_bad[1:], out=cum_bad[1:])
    return Cumulative(
        start=start,
        step=step,
        total=cum_total,
        bad=cum_bad,
        bad_monotone=monotone,
        coarse_steps=coarse_steps,
        coarse_step=coarse_step,
    )


def check_history(history: History, start: int, step: int) -> None:
    """Raise :class:`EvaluationError` unless ``history`` ends at ``start`` on whole steps."""
    if history.step <= 0 or history.step % step:
        raise EvaluationError(
            f"the history's step ({history.step}s) must be a positive whole number of "
            f"the grid's {step}s steps"
        )
    if history.end != start:
        raise EvaluationError(
            f"the history ends at {history.end}, not where the counts start ({start}); "
            "fetch it up to the fine grid's start"
        )
    if history.good.shape != history.total.shape or history.good.ndim != 1:
        raise EvaluationError(
            f"the history's good and total must be 1-d arrays of one length, got "
            f"{history.good.shape} and {history.total.shape}"
        )


def lookback_steps(seconds: int, step: int) -> int:
    """The number of steps of a lookback; it must be a positive whole number of steps.

    >>> lookback_steps(3600, 60)
    60
    """
    if seconds <= 0:
        raise EvaluationError(f"a lookback must be positive, got {seconds}s")
    if seconds % step:
        raise EvaluationError(
            f"the lookback {seconds}s is not a whole number of {step}s steps; "
            f"evaluate with a step that divides every window (e.g. {_gcd_hint(seconds, step)}s)"
        )
    return seconds // step


def _gcd_hint(seconds: int, step: int) -> int:
    return int(np.gcd(seconds, step))


def rolling_sums(
    cum: FloatArray, steps: int, *, first: int = 0, out: FloatArray | None = None
) -> FloatArray:
    """The sum of the last ``steps`` steps ending at every step from ``first`` on.

    ``out[i - first] = sum(x[i-steps+1 .. i])`` for ``first <= i < n``, where ``cum`` is a
    cumulative sum with a leading 0 (length ``n + 1``). Steps before the grid are absent
    and count as 0, so sums ending in the first ``steps - 1`` steps are partial. Steps
    before ``first`` still count as history. Vectorised: two slice subtractions, whatever
    ``steps`` is.
    """
    n = len(cum) - 1
    if steps <= 0:
        raise EvaluationError(f"a window must span at least one step, got {steps}")
    if not 0 <= first <= n:
        raise EvaluationError(f"the first step {first} is outside the grid of {n} steps")
    if out is None:
        out = np.empty(n - first)
    # Sums ending before step `steps - 1` reach before the grid: c[i+1] - c[0], c[0] == 0.
    partial = max(0, min(steps, n) - first)
    out[:partial] = cum[first + 1 : first + 1 + partial]
    lo = first + partial + 1
    np.subtract(cum[lo:], cum[lo - steps : n + 1 - steps], out=out[partial:])
    return out


def rolling_sums_many(cum: FloatArray, steps: Sequence[int], *, first: int = 0) -> FloatArray:
    """:func:`rolling_sums` for several lookbacks at once: shape ``(len(steps), n - first)``."""
    out = np.empty((len(steps), len(cum) - 1 - first))
    for row, w in enumerate(steps):
        rolling_sums(cum, w, first=first, out=out[row])
    return out
