"""Sums of the embedded store's per-sample increases, per step, for groups of series.

The embedded source (:mod:`sloscope.sources.embedded`) counts an SLI by adding groups of
series; :func:`atoms_of` makes those groups ("atoms": the series used by exactly the
same sums over the same older grid) and :func:`atom_sums` sums each atom's increases on
two grids at once:

- the *recent* grid (the lookbacks, per step): the increases of its samples are read as
  rows, each with the step it falls in, and numpy adds them up (a fine grid holds about
  one sample per step, so grouping in the database would cost more than it saves);
- each atom's *older* grid (the rest of its SLO window): DuckDB sums the increases per
  series and coarse step where the samples are, and a few numbers per series leave the
  database. An older grid of one step (:data:`~sloscope.sources.plan.ONE_SUM`, what a
  status needs) is one grouped sum per series for every such grid at once.

On a grid starting at ``start`` a sample at ``ts`` (ms) falls in step
``(ts - start_ms - 1) // step_ms``: exact integer math, as in
:mod:`sloscope.sources.base`. Samples with no increase are left out: they add nothing.
Sums of whole-number increases are exact in any order, so every figure is the one a
per-step read gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.sources.base import Segment, grid_length
from sloscope.sources.spans import PartialSamples, span_cells, span_plan
from sloscope.telemetry.rollups import EXACT_MASS, HOUR_MS

#: Largest (atoms x steps) matrix summed at once; more atoms are read in batches.
MAX_CELLS = 16_000_000

_FloatArray = NDArray[np.float64]
_IntArray = NDArray[np.int64]


class Atoms(NamedTuple):
    """Series used by exactly the same sums over the same older grid: one "atom", summed
    once, then added to each SLI count that uses it (good and total share most series).

    ``ids[k]`` belongs to atom ``atom[k]`` (a series summed over two older grids is in
    two atoms); ``older[a]`` is atom ``a``'s older grid (``None``: recent steps only);
    ``parts`` the atoms of each (SLI index, role), role 0 for the good (or bad) part and
    1 for the total.
    """

    ids: _IntArray
    atom: _IntArray
    older: list[Segment | None]
    parts: dict[tuple[int, int], list[int]]


def atoms_of(
    uses: Sequence[tuple[Sequence[int], Sequence[int]]], olders: Sequence[Segment | None]
) -> Atoms:
    """The atoms of SLIs given as (part series, total series) and their older grids."""
    users: dict[tuple[int, Segment | None], list[tuple[int, int]]] = {}
    for index, (part, total) in enumerate(uses):
        for role, series_ids in ((0, part), (1, total)):
            for series_id in set(series_ids):
                users.setdefault((series_id, olders[index]), []).append((index, role))
    atom_of: dict[tuple[Segment | None, tuple[tuple[int, int], ...]], int] = {}
    pairs = [
        (series_id, atom_of.setdefault((older, tuple(u)), len(atom_of)))
        for (series_id, older), u in users.items()
    ]
    parts: dict[tuple[int, int], list[int]] = {}
    for (_, members), atom in atom_of.items():
        for member in members:
            parts.setdefault(member, []).append(atom)
    return Atoms(
        ids=np.array([p[0] for p in pairs], dtype=np.int64),
        atom=np.array([p[1] for p in pairs], dtype=np.int64),
        older=[older for older, _ in atom_of],
        parts=parts,
    )


def atom_sums(
    con: duckdb.DuckDBPyConnection,
    atoms: Atoms,
    recent: Segment,
    *,
    rollups: bool = False,
    edges: Sequence[int] = (),
) -> _FloatArray:
    """Σ increase per step of each atom: an ``atoms`` x ``width`` matrix whose rows hold
    the steps of ``recent`` and then those of the atom's older grid. ``rollups``: the
    store has its hourly roll-ups (:mod:`sloscope.telemetry.rollups`). ``edges``: only
    sums between them are read from the recent steps, so each span's may sit on its last
    step (:mod:`sloscope.sources.spans`; per step when that could change a bit)."""
    n_recent = grid_length(*recent)
    width = n_recent + max((grid_length(*o) for o in atoms.older if o is not None), default=0)
    out = np.zeros((len(atoms.older), width))
    if not len(atoms.ids):
        return out
    spans = None
    if edges and rollups:
        first = min([o.start for o in atoms.older if o is not None] + [recent.start])
        spans = span_plan(con, atoms.ids, recent, edges, first)
    flat = out.reshape(-1)
    # Atoms in batches, so that a cell index stays a 32-bit integer and one result
    # stays moderate in memory.
    batch = max(1, MAX_CELLS // width)
    for first in range(0, len(atoms.older), batch):
        pick = (atoms.atom >= first) & (atoms.atom < first + batch)
        ids, atom = atoms.ids[pick], atoms.atom[pick]
        bounds = (int(ids.min()), int(ids.max()))
        grids = _older_grids(atoms, atom)
        # The samples of every hour a sum covers only in part, in one scan.
        partial = PartialSamples.read(
            con,
            (spans.cut_ranges() if spans is not None else [])
            + (edge_ranges(grids) if rollups else []),
            bounds,
            cuts=spans.cuts.tolist() if spans is not None else (),
        )
        if spans is not None:
            cells, deltas = span_cells(con, spans, ids, atom * width, partial)
        else:
            cells, deltas = _recent_cells(con, ids, atom * width, recent, bounds)
        older_cells, older_deltas = _older_cells(
            con,
            atoms,
            (ids, atom),
            grids,
            width=width,
            n_recent=n_recent,
            partial=partial,
            rollups=rollups,
        )
        cells = np.concatenate((cells, older_cells)) - first * width
        deltas = np.concatenate((deltas, older_deltas))
        part = flat[first * width : (first + batch) * width]
        if spans is not None:
            # Few cells hold anything: sum per distinct cell, in the same order.
            filled, index = np.unique(cells, return_inverse=True)
            part[filled] += np.bincount(index, weights=deltas)
        else:
            # bincount sums repeated cells in one vectorised pass (np.add.at is ~10x slower).
            part += np.bincount(cells, weights=deltas, minlength=part.size)
    return out


def _recent_cells(
    con: duckdb.DuckDBPyConnection,
    ids: _IntArray,
    row_start: _IntArray,
    recent: Segment,
    bounds: tuple[int, int],
) -> tuple[_IntArray, _FloatArray]:
    """(cell, increase) of every sample of ``ids`` on the recent grid; ``row_start[k]``
    is the first cell of the row of ``ids[k]``'s atom."""
    start, end, step = recent.start * 1000, recent.end * 1000, recent.step * 1000
    con.register("_atoms", {"id": ids, "row_start": row_start})
    try:
        # The id bounds let DuckDB skip row groups of other series before the join.
        rows = con.execute(
            "SELECT a.row_start + (s.ts - ? - 1) // ? AS cell, s.delta AS delta "
            "FROM samples s JOIN _atoms a ON s.series_id = a.id "
            "WHERE s.ts > ? AND s.ts <= ? AND s.delta <> 0 AND s.series_id BETWEEN ? AND ?",
            [start, step, start, end, *bounds],
        ).fetchnumpy()
    finally:
        con.unregister("_atoms")
    return np.asarray(rows["cell"], dtype=np.int64), np.asarray(rows["delta"], dtype=np.float64)


def _older_grids(atoms: Atoms, atom: _IntArray) -> list[Segment]:
    """The distinct older grids of the atoms ``atom``, sorted."""
    # A set, not np.unique: a plain np.unique loads numpy.ma (a command's start).
    return sorted({o for o in (atoms.older[a] for a in set(atom.tolist())) if o is not None})


def _older_cells(
    con: duckdb.DuckDBPyConnection,
    atoms: Atoms,
    batch: tuple[_IntArray, _IntArray],
    grids: list[Segment],
    *,
    width: int,
    n_recent: int,
    partial: PartialSamples,
    rollups: bool,
) -> tuple[_IntArray, _FloatArray]:
    """(cell, increase) of the older ``grids`` of a batch of (series id, atom) pairs,
    summed by DuckDB (from the hourly roll-ups where the store has them; ``partial``
    holds the samples of :func:`edge_ranges`)."""
    ids, atom = batch
    if not grids:
        return np.empty(0, dtype=np.int64), np.empty(0)
    grid_index = {grid: k for k, grid in enumerate(grids)}
    has_grid = np.array([atoms.older[a] is not None for a in atom], dtype=bool)
    # Each (series, older grid) belongs to exactly one atom: look it up by one number.
    keys = ids[has_grid] * len(grids) + [grid_index[atoms.older[a]] for a in atom[has_grid]]
    order = np.argsort(keys)
    keys, key_atom = keys[order], atom[has_grid][order]
    cells: list[_IntArray] = []
    deltas: list[_FloatArray] = []
    for series, k, step, sums in _older_sums(con, grids, partial, rollups):
        key = series * len(grids) + k
        at = np.searchsorted(keys, key)
        found = (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == key)
        cells.append(key_atom[at[found]] * width + n_recent + step[found])
        deltas.append(sums[found])
    return np.concatenate(cells), np.concatenate(deltas)


def _older_sums(
    con: duckdb.DuckDBPyConnection,
    grids: list[Segment],
    partial: PartialSamples,
    rollups: bool,
) -> list[tuple[_IntArray, int, _IntArray, _FloatArray]]:
    """(series ids, grid index, step of the grid, sums) of every series in the bounds.

    Grids of one step (all ending where the recent grid starts) share one grouped sum
    per series, one column each (:func:`_single_sums`); a grid of several steps is
    grouped per series and step.
    """
    out = []
    bounds = partial.bounds
    single = [k for k, g in enumerate(grids) if g.end - g.start == g.step]
    if single:
        series, columns = _single_sums(con, [grids[k] for k in single], partial, rollups)
        zeros = np.zeros(len(series), dtype=np.int64)
        out += [(series, k, zeros, column) for k, column in zip(single, columns, strict=True)]
    for k, grid in enumerate(grids):
        if k in single:
            continue
        rows = con.execute(
            "SELECT series_id, (ts - ? - 1) // ? AS step, sum(delta) AS delta FROM samples "
            "WHERE ts > ? AND ts <= ? AND delta <> 0 AND series_id BETWEEN ? AND ? "
            "GROUP BY ALL",
            [grid.start * 1000, grid.step * 1000, grid.start * 1000, grid.end * 1000, *bounds],
        ).fetchnumpy()
        out.append(
            (
                np.asarray(rows["series_id"], dtype=np.int64),
                k,
                np.asarray(rows["step"], dtype=np.int64),
                np.asarray(rows["delta"], dtype=np.float64),
            )
        )
    return out


_Columns = tuple[_IntArray, list[_FloatArray]]


def _single_sums(
    con: duckdb.DuckDBPyConnection, grids: list[Segment], partial: PartialSamples, rollups: bool
) -> _Columns:
    """(series ids, one column of sums per grid) of one-step grids sharing their end.

    With roll-ups, a series whose every touched hour is exact (see
    :mod:`sloscope.telemetry.rollups`) is summed from its hourly sums plus the samples
    of the hours a grid covers only in part; the others from their samples. Both give
    the same numbers, bitwise: sums of whole numbers below 2**53 are exact in any order.
    """
    bounds = partial.bounds
    if not rollups:
        return _by_series(*_raw_single(con, grids, bounds))
    series, exact, hourly = _hourly_single(con, grids, bounds)
    edge_series, edges = _edge_single(grids, partial)
    chosen = series[exact]
    columns = [column[exact] + _lookup(edge_series, edge, chosen) for column, edge in
               zip(hourly, edges, strict=True)]  # fmt: skip
    if not exact.all():
        raw_series, raw = _raw_single(con, grids, bounds, only=series[~exact])
        chosen = np.concatenate((chosen, raw_series))
        columns = [np.concatenate(pair) for pair in zip(columns, raw, strict=True)]
    return _by_series(chosen, columns)


def _by_series(series: _IntArray, columns: list[_FloatArray]) -> _Columns:
    """Sorted by series id: the sums of an atom of several series are then added in
    one order, whichever query gave each (it matters only for fractional sums)."""
    order = np.argsort(series, kind="stable")
    return series[order], [column[order] for column in columns]


def _raw_single(
    con: duckdb.DuckDBPyConnection,
    grids: list[Segment],
    bounds: tuple[int, int],
    only: _IntArray | None = None,
) -> _Columns:
    """:func:`_single_sums` from the samples (of the series ``only``, when given)."""
    columns = ", ".join(f"sum(CASE WHEN ts > ? THEN delta ELSE 0 END) AS s{k}" for k in
                        range(len(grids)))  # fmt: skip
    pick = "AND series_id IN (SELECT unnest(?::INTEGER[])) " if only is not None else ""
    rows = con.execute(
        f"SELECT series_id, {columns} FROM samples "
        f"WHERE ts > ? AND ts <= ? AND delta <> 0 AND series_id BETWEEN ? AND ? {pick}"
        "GROUP BY series_id",
        [
            *(g.start * 1000 for g in grids),
            min(g.start for g in grids) * 1000,
            grids[0].end * 1000,
            *bounds,
            *([only.tolist()] if only is not None else []),
        ],
    ).fetchnumpy()
    return np.asarray(rows["series_id"], dtype=np.int64), [
        np.asarray(rows[f"s{k}"], dtype=np.float64) for k in range(len(grids))
    ]


def _whole_hours(grid: Segment) -> tuple[int, int]:
    """(first, last) ms of the whole hours in ``grid``'s span: ``(start, first]`` and
    ``(last, end]`` are the parts of hours it covers only in part (either may be empty;
    ``first == last``: no whole hour)."""
    start, end = grid.start * 1000, grid.end * 1000
    first = min(-(-start // HOUR_MS) * HOUR_MS, end)
    return first, max(end // HOUR_MS * HOUR_MS, first)


def _hourly_single(
    con: duckdb.DuckDBPyConnection, grids: list[Segment], bounds: tuple[int, int]
) -> tuple[_IntArray, NDArray[np.bool_], list[_FloatArray]]:
    """(series ids, whether each sums exactly, the sum of its whole hours in each grid)
    from the roll-ups; exact when every hour any grid touches is (whole numbers, whose
    magnitudes add up below :data:`EXACT_MASS`)."""
    spans = [_whole_hours(g) for g in grids]
    columns = ", ".join(f"sum(CASE WHEN hour BETWEEN ? AND ? THEN delta ELSE 0 END) AS h{k}" for
                        k in range(len(grids)))  # fmt: skip
    end = grids[0].end * 1000
    rows = con.execute(
        f"SELECT series_id, bool_and(exact) AND sum(mass) < ? AS exact, {columns} FROM rollups "
        "WHERE hour BETWEEN ? AND ? AND series_id BETWEEN ? AND ? GROUP BY series_id",
        [
            EXACT_MASS,
            *(h for first, last in spans for h in (first // HOUR_MS, last // HOUR_MS - 1)),
            min(g.start for g in grids) * 1000 // HOUR_MS,
            (end - 1) // HOUR_MS,
            *bounds,
        ],
    ).fetchnumpy()
    return (
        np.asarray(rows["series_id"], dtype=np.int64),
        np.asarray(rows["exact"], dtype=bool),
        [np.asarray(rows[f"h{k}"], dtype=np.float64) for k in range(len(grids))],
    )


def edge_ranges(grids: Sequence[Segment]) -> list[tuple[int, int]]:
    """The ``(first, last]`` ms of the hours one-step ``grids`` cover only in part: the
    samples :func:`_single_sums` adds to their whole hours (none for a grid that starts
    and ends on an hour, or of several steps)."""
    out = []
    for grid in grids:
        if grid.end - grid.start != grid.step:
            continue
        first, last = _whole_hours(grid)
        out += [(grid.start * 1000, first), (last, grid.end * 1000)]
    return [(lo, hi) for lo, hi in out if lo < hi]


def _edge_single(grids: list[Segment], partial: PartialSamples) -> _Columns:
    """(series ids, one column per grid) of the samples in the hours each grid covers
    only in part (none at all when every grid starts and ends on an hour), from
    ``partial``. Summed per series in numpy: these sums are of whole numbers (only
    exact series use them), the same in any order."""
    edges = [edge_ranges([g]) for g in grids]
    if not any(edges):
        return np.zeros(0, dtype=np.int64), [np.zeros(0) for _ in grids]
    found = partial.within([r for ranges in edges for r in ranges])
    series, position = np.unique(found.series_id, return_inverse=True)
    columns: list[_FloatArray] = []
    for ranges in edges:
        mask = np.zeros(len(found.ts), dtype=bool)
        for lo, hi in ranges:
            mask |= (found.ts > lo) & (found.ts <= hi)
        summed = np.bincount(position[mask], weights=found.delta[mask], minlength=len(series))
        columns.append(np.asarray(summed, dtype=np.float64))
    return series, columns


def _lookup(keys: _IntArray, values: _FloatArray, wanted: _IntArray) -> _FloatArray:
    """``values`` at the position of each of ``wanted`` in ``keys`` (sorted or not); 0
    where it is not there."""
    if not len(keys):
        return np.zeros(len(wanted))
    order = np.argsort(keys)
    at = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
    found = keys[order][at] == wanted
    return np.where(found, values[order][at], 0.0)
