"""Counter arithmetic on sample arrays sorted by series then time; no database.

``delta`` follows counter semantics as Prometheus applies them: ``value - previous`` of the
same series, or ``value`` itself after a reset (a value below the previous one); the first
sample of a series has delta 0, since what it counted before is unknown. NaN samples
(staleness markers) count nothing, so the next sample compares with the last number
before them. The per-step events of an SLI are then plain sums of ``delta`` (see
:mod:`sloscope.sources.embedded`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def counter_deltas(
    sid: NDArray[np.int32],
    values: NDArray[np.float64],
    seeds: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Per-sample increases of counters, as Prometheus counts them.

    ``sid`` and ``values`` are sorted by series then time. Within a series: ``value -
    previous``, or ``value`` after a reset (value < previous); the first sample 0 unless
    ``seeds`` (one per run of a series, NaN for none) gives the value stored before it.
    NaN samples are skipped: delta 0, and the next sample compares with the last number.

    >>> counter_deltas(np.array([1, 1, 1, 1]), np.array([10.0, 20.0, 5.0, 8.0])).tolist()
    [0.0, 10.0, 5.0, 3.0]
    """
    n = len(values)
    if n == 0:
        return np.zeros(0)
    first = np.ones(n, dtype=bool)
    np.not_equal(sid[1:], sid[:-1], out=first[1:])
    if np.isnan(values).any():
        positions = np.arange(n)
        # Index of the last number strictly before each position, and the series start.
        last_valid = np.maximum.accumulate(np.where(np.isnan(values), -1, positions))
        prev_index = np.r_[-1, last_valid[:-1]]
        run_start = np.maximum.accumulate(np.where(first, positions, 0))
        in_series = prev_index >= run_start
        prev = np.where(in_series, values[np.maximum(prev_index, 0)], np.nan)
    else:
        in_series = ~first
        prev = np.empty(n)
        prev[1:] = values[:-1]
        prev[first] = np.nan
    if seeds is not None:
        runs = np.cumsum(first) - 1
        prev = np.where(in_series, prev, seeds[runs])
    delta = values - prev
    reset = values < prev
    delta[reset] = values[reset]
    # No previous number (first sample, or a NaN on either side): no increase.
    delta[np.isnan(delta)] = 0.0
    return delta


def first_new_per_series(
    sid: NDArray[np.int32], ts: NDArray[np.int64], is_new: NDArray[np.bool_]
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """(series ids, timestamp of each one's first new sample), sorted by id."""
    new_sid, new_ts = sid[is_new], ts[is_new]
    if not len(new_sid):
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    # Rows are sorted by (series, ts), so a series' first new row is its earliest.
    starts = np.flatnonzero(np.r_[True, new_sid[1:] != new_sid[:-1]])
    return new_sid[starts], new_ts[starts]
