"""The recent part of a status as one sum per span between its edges, from the roll-ups.

A status reads its per-step counts only through sums between the edges of its windows
(:attr:`~sloscope.engine.evaluate.Span.edges`: each lookback's start, the window's and
``at``), so the counts of each span between two neighbouring edges may all sit on the
span's last step (:class:`~sloscope.sources.base.WindowSumSource`). The embedded store
then reads a span's whole hours from its hourly roll-ups
(:mod:`sloscope.telemetry.rollups`) and only the samples of the hours an edge cuts,
instead of every sample of the last 3 days.

Why the figures are the same, bitwise: when every increase involved is a non-negative
whole number and their magnitudes add up below
:data:`~sloscope.telemetry.rollups.EXACT_MASS`, every partial sum of them is a whole
number a double holds exactly, so each sum the engine takes (cumulative sums, their
differences, good from total minus bad) is the same number whatever the grouping.
:func:`span_plan` checks that over every series of a fetch, from the roll-ups, and says
``None`` otherwise (a fractional counter, a damaged sample, a store without roll-ups):
the recent part is then read per step, as before. Negative or non-finite increases
fall back too, so :meth:`~sloscope.sources.embedded.EmbeddedSource` names them as
before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.sources.base import Segment
from sloscope.telemetry.rollups import EXACT_MASS, HOUR_MS

_IntArray = NDArray[np.int64]
_FloatArray = NDArray[np.float64]

#: Ranges of samples closer than this (ms) are read by one scan (:class:`PartialSamples`):
#: on a store written series by series each scan reads the times of every sample of
#: its series, so a status's window starts (28 and 30 days back) make one scan and its
#: lookbacks (the last 3 days) another.
CLUSTER_GAP_MS = 4 * 86_400_000


class SpanPlan(NamedTuple):
    """Where the recent grid is cut, and which of its hours come from the roll-ups.

    ``cuts`` (ms, ascending) are the recent grid's start, every edge inside it (at the
    step edge at or before it) and its end; span ``k`` is ``(cuts[k], cuts[k+1]]`` and its
    counts go on step ``last_step[k]`` of the recent grid. ``cut_hours`` are the hours a
    cut falls strictly inside: their samples are read one by one; every other hour of
    the grid lies inside one span and is read as its roll-up sum.
    """

    cuts: _IntArray
    last_step: _IntArray
    cut_hours: _IntArray

    def cut_ranges(self) -> list[tuple[int, int]]:
        """The ``(first, last]`` ms of each cut hour inside the grid: the samples read."""
        lo, hi = int(self.cuts[0]), int(self.cuts[-1])
        hours = self.cut_hours.tolist()
        return [(max(h * HOUR_MS, lo), min((h + 1) * HOUR_MS, hi)) for h in hours]

    def span_of(self, ts_ms: _IntArray) -> _IntArray:
        """The span each time (ms, inside the grid) falls in."""
        spans: _IntArray = np.searchsorted(self.cuts, ts_ms, side="left") - 1
        return spans


def span_plan(
    con: duckdb.DuckDBPyConnection,
    ids: _IntArray,
    recent: Segment,
    edges: Sequence[int],
    first: int,
) -> SpanPlan | None:
    """The plan of the recent grid cut at ``edges`` (Unix seconds), or None when a sum
    per span could differ from the per-step counts by a bit (see the module docstring):
    judged over every hour of the series ``ids`` from ``first`` (s) to the grid's end."""
    if not len(ids):
        return None
    inside = {recent.start + (e - recent.start) // recent.step * recent.step for e in edges
              if recent.start < e < recent.end}  # fmt: skip
    cuts = np.array(sorted({recent.start, recent.end} | inside), dtype=np.int64)
    if len(cuts) >= grid_steps(recent):
        return None  # every step its own span: nothing to save
    cuts_ms = cuts * 1000
    # Per series within the id bounds (no join: numpy keeps the fetch's own series).
    rows = con.execute(
        "SELECT series_id, bool_and(exact AND delta = mass) AS exact, sum(mass) AS mass "
        "FROM rollups WHERE hour BETWEEN ? AND ? AND series_id BETWEEN ? AND ? "
        "GROUP BY series_id",
        [
            (first * 1000 - 1) // HOUR_MS,
            (recent.end * 1000 - 1) // HOUR_MS,
            int(ids.min()),
            int(ids.max()),
        ],
    ).fetchnumpy()
    mine = np.isin(np.asarray(rows["series_id"], dtype=np.int64), ids)
    exact = np.asarray(rows["exact"], dtype=bool)[mine]
    mass = np.asarray(rows["mass"], dtype=np.float64)[mine]
    # A series without roll-up rows has no samples in these hours: it adds nothing.
    if not exact.all() or not mass.sum() < EXACT_MASS:
        return None
    # return_index: a plain np.unique loads numpy.ma (a command's start) to ask whether
    # the array is masked; these few cuts cost nothing more to sort stably.
    cut_hours, _ = np.unique(cuts_ms[cuts_ms % HOUR_MS != 0] // HOUR_MS, return_index=True)
    return SpanPlan(
        cuts=cuts_ms,
        last_step=(cuts[1:] - recent.start) // recent.step - 1,
        cut_hours=cut_hours,
    )


def grid_steps(grid: Segment) -> int:
    """Number of steps of ``grid``."""
    return (grid.end - grid.start) // grid.step


def span_cells(
    con: duckdb.DuckDBPyConnection,
    plan: SpanPlan,
    ids: _IntArray,
    row_start: _IntArray,
    partial: PartialSamples,
) -> tuple[_IntArray, _FloatArray]:
    """(cell, increase) of the series ``ids`` on the recent grid, each span's on its last
    step: roll-up rows of the hours inside a span, samples of the hours a cut falls in
    (from ``partial``, read with :meth:`SpanPlan.cut_ranges` among its ranges and cut at
    the plan's cuts, so that each piece lies in one span).
    ``row_start[k]`` is the first cell of the row of ``ids[k]``'s atom."""
    bounds = partial.bounds
    lo, hi = int(plan.cuts[0]), int(plan.cuts[-1])
    hours = plan.cut_hours
    # Rows of every series within the id bounds (row groups of other series are
    # skipped); numpy keeps those of ``ids``: cheaper than a join in DuckDB.
    rolled = con.execute(
        "SELECT series_id, (hour + 1) * ? AS ts, delta FROM rollups "
        "WHERE hour >= ? AND hour < ? AND delta <> 0 AND series_id BETWEEN ? AND ? "
        "AND hour NOT IN (SELECT unnest(?::BIGINT[]))",
        [HOUR_MS, -(-lo // HOUR_MS), hi // HOUR_MS, *bounds, hours.tolist()],
    ).fetchnumpy()
    samples = partial.within(plan.cut_ranges())
    # An hour inside a span is placed by its end, and so is a piece of a cut hour.
    series: _IntArray = np.concatenate((rolled["series_id"], samples.series_id), dtype=np.int64)
    times: _IntArray = np.concatenate((rolled["ts"], samples.ts), dtype=np.int64)
    deltas: _FloatArray = np.concatenate((rolled["delta"], samples.delta), dtype=np.float64)
    row, first_cell = _rows_of(series, ids, row_start)
    return first_cell + plan.last_step[plan.span_of(times[row])], deltas[row]


def _rows_of(
    series: _IntArray, ids: _IntArray, row_start: _IntArray
) -> tuple[_IntArray, _IntArray]:
    """Each row of ``series`` once per (id, row start) pair it belongs to: (index of
    the row, that pair's row start); rows of series not in ``ids`` are left out."""
    order = np.argsort(ids, kind="stable")
    keys, starts = ids[order], row_start[order]
    first = np.searchsorted(keys, series, side="left")
    counts = np.searchsorted(keys, series, side="right") - first
    row = np.repeat(np.arange(len(series)), counts)
    # The k-th pair of a row with several is first + k.
    offset = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
    return row, starts[np.repeat(first, counts) + offset]


class PartialSamples(NamedTuple):
    """The increases of a batch's series in the parts of hours its sums cover only in
    part: the hours a status's edges cut (:meth:`SpanPlan.cut_ranges`) and the ends of
    its older grids (:func:`~sloscope.sources.sums.edge_ranges`), read at once
    (:meth:`read`, one scan per cluster of nearby ranges) rather than once per use: on a
    store written series by series each scan reads the times of every sample of the
    batch's series.

    They come summed per series and *piece*: the ranges read are cut at every hour, at
    each other's ends and at the ``cuts`` given, and each piece's sum is placed at its
    end (``ts``). Every user asks for whole pieces (ranges among those read, sums
    between cuts), and only of series whose increases are whole numbers that sum exactly
    in any order (every series of a :class:`SpanPlan`, see the module docstring; the
    series whose roll-ups are ``exact`` for an older grid's edges): the figures are those
    of the samples one by one, bitwise, from far fewer rows (a few per series and cut
    hour rather than one a minute). A piece whose increases sum to 0 adds nothing and is
    left out.
    """

    bounds: tuple[int, int]
    series_id: _IntArray
    ts: _IntArray
    delta: _FloatArray

    @classmethod
    def read(
        cls,
        con: duckdb.DuckDBPyConnection,
        ranges: Sequence[tuple[int, int]],
        bounds: tuple[int, int],
        cuts: Sequence[int] = (),
    ) -> PartialSamples:
        """The sums per piece of the samples in ``ranges`` (``(first, last]`` ms) of the
        series within the id ``bounds``, the ranges cut at every hour, at each other's
        ends and at ``cuts`` (ms)."""
        ranges = sorted({(lo, hi) for lo, hi in ranges if lo < hi})
        if not ranges:
            empty = np.zeros(0, dtype=np.int64)
            return cls(bounds, empty, empty, np.zeros(0))
        # One scan per cluster of ranges, each with its own outer range, which DuckDB
        # pushes into the scan (zone maps skip the row groups outside it when a store is
        # written a day at a time); the OR of the cluster's ranges is then tested only
        # on the rows inside it. One scan for all (its outer range the whole window)
        # tested the OR on every row: 1.3-1.4 s of CPU against 0.6-0.8 s for the
        # clusters, a status of 1,000 SLOs off the hour written series by series (0.55 against 0.4 s
        # written a day at a time). A piece is cut at every hour (one division) and at
        # the cluster's other boundaries (one comparison each: ``k``, how many of them
        # lie before the sample); summing in DuckDB costs less than the per-sample rows.
        scans: list[str] = []
        params: list[int] = []
        ends: list[int] = []  # per cluster: its boundaries off the hour, then its end
        for lo, hi, members in _clusters(ranges):
            off = sorted(
                t
                for t in {t for r in members for t in r} | set(cuts)
                if lo < t < hi and t % HOUR_MS
            )
            scans.append(_piece_scan(len(members), len(off)))
            params += [HOUR_MS, len(ends), *off, *bounds, lo, hi]
            params += [t for span in members for t in span]
            ends += [*off, hi]
        rows = con.execute(" UNION ALL ".join(scans), params).fetchnumpy()
        delta = np.asarray(rows["delta"], dtype=np.float64)
        keep = delta != 0
        # A piece ends at its hour's end or at the next boundary, whichever comes first.
        hour_end = (np.asarray(rows["hour"], dtype=np.int64)[keep] + 1) * HOUR_MS
        next_edge = np.asarray(ends, dtype=np.int64)[np.asarray(rows["k"], dtype=np.int64)[keep]]
        return cls(
            bounds,
            np.asarray(rows["series_id"], dtype=np.int64)[keep],
            np.minimum(hour_end, next_edge),
            delta[keep],
        )

    def within(self, ranges: Sequence[tuple[int, int]]) -> PartialSamples:
        """The pieces in ``ranges`` (each one of those read)."""
        mask = np.zeros(len(self.ts), dtype=bool)
        for lo, hi in ranges:
            mask |= (self.ts > lo) & (self.ts <= hi)
        return PartialSamples(self.bounds, self.series_id[mask], self.ts[mask], self.delta[mask])


def _piece_scan(ranges: int, boundaries: int) -> str:
    """SQL summing the samples of one cluster per series, hour and ``k`` (the number of
    the cluster's ``boundaries`` off the hour before the sample, after the pieces of the
    clusters before): parameters the hour (ms), the clusters' pieces before, the
    boundaries, the id bounds, the cluster's outer range and its ``ranges``."""
    spans = " OR ".join("(ts > ? AND ts <= ?)" for _ in range(ranges))
    before = " + ".join(["0", *("(ts > ?)::INTEGER" for _ in range(boundaries))])
    return (
        f"SELECT series_id, (ts - 1) // ? AS hour, ? + {before} AS k, "
        "sum(delta) AS delta FROM samples "
        f"WHERE series_id BETWEEN ? AND ? AND ts > ? AND ts <= ? AND ({spans}) "
        "GROUP BY ALL"
    )


def _clusters(ranges: list[tuple[int, int]]) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Sorted ``(lo, hi]`` ranges grouped where less than :data:`CLUSTER_GAP_MS` apart:
    (first, last, members) of each group."""
    out: list[tuple[int, int, list[tuple[int, int]]]] = []
    for lo, hi in ranges:
        if out and lo - out[-1][1] < CLUSTER_GAP_MS:
            first, last, members = out[-1]
            out[-1] = (first, max(last, hi), [*members, (lo, hi)])
        else:
            out.append((lo, hi, [(lo, hi)]))
    return out
