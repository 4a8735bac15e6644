"""The embedded source: SLI counts from the DuckDB telemetry store.

:meth:`EmbeddedSource.fetch` answers every SLI of a report at once:

1. each distinct selector is resolved against the series catalog, all in one SQL query
   (matchers compile to SQL with bound parameters; regexes are RE2 and fully anchored,
   as in Prometheus; an absent label reads as ``""``);
2. the per-sample increases (``delta``) of every matched series in ``(start, end]`` are
   read in one query, with the step each falls in computed by DuckDB;
3. numpy sums them per step for each group of series used by the same SLI counts, then
   adds those groups into each SLI's good and total.

Step ``i`` covers ``(start + i*step, start + (i+1)*step]`` (the grid of
:mod:`sloscope.sources.base`); in milliseconds a sample at ``ts`` falls in step
``(ts - start_ms - 1) // step_ms``, exact integer math.

SLIs:

- ratio: good = Σ good series, or total - Σ bad series; total = Σ total series;
- latency: good = the ``<metric>_bucket`` series whose ``le`` equals the threshold
  numerically (``0.3``, ``0.30`` and ``3e-1`` are one boundary, as
  :mod:`sloscope.spec.buckets` decides for every layer); total = the
  ``<metric>_count`` series, or the ``le="+Inf"`` buckets when there is no ``_count``.
  Every histogram (label set without ``le``) with samples in the range that the total
  counts must have that bucket, else :class:`~sloscope.errors.SourceError` names those
  without it (:func:`~sloscope.sources.histograms.check_threshold_buckets`);
- timeslices: the counts of its indicator (the engine makes slices of them);
- promql: :class:`~sloscope.errors.UnsupportedSLIError`.

``CountSeries.series`` is how many distinct series the SLI's selectors matched, and 0
when its total matched none (no data: figures are null, not 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.errors import SourceError, UnsupportedSLIError
from sloscope.sources.base import CountSeries, grid_length
from sloscope.sources.histograms import (
    HistogramKey,
    check_threshold_buckets,
    histogram_key,
    require_threshold_bucket,
)
from sloscope.spec.buckets import same_boundary
from sloscope.spec.model import SLI, LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Matcher, Selector
from sloscope.telemetry.repair import bad_samples
from sloscope.telemetry.store import TelemetryStore
from sloscope.timeparse import format_time

#: Largest (atoms x steps) matrix summed at once; more series are read in batches.
_MAX_CELLS = 16_000_000
#: Selectors resolved per catalog query (a bound on the SQL text DuckDB must bind).
_SELECTORS_PER_QUERY = 256


@dataclass(frozen=True)
class _Plan:
    """How one SLI's counts are made of per-series sums."""

    good: tuple[int, ...]  # series ids summed into good (or bad, if subtract)
    total: tuple[int, ...]
    subtract: bool  # good = total - Σ good series (a "bad" selector)
    series: int


def compile_selector(selector: Selector) -> tuple[str, list[str]]:
    """A SQL condition on the ``series`` table, and its parameters, for ``selector``.

    Values are always bound parameters, never formatted into the SQL.

    >>> from sloscope.spec.selectors import parse_selector
    >>> compile_selector(parse_selector('up{job=~"api|web"}'))
    ("name = ? AND regexp_full_match(coalesce(labels[?], ''), ?)", ['up', 'job', 'api|web'])
    """
    clauses = ["name = ?"]
    params: list[str] = [selector.metric]
    for matcher in selector.matchers:
        clause, args = _compile_matcher(matcher)
        clauses.append(clause)
        params.extend(args)
    return " AND ".join(clauses), params


def _compile_matcher(matcher: Matcher) -> tuple[str, list[str]]:
    if matcher.label == "__name__":
        subject, args = "name", []
    else:
        subject, args = "coalesce(labels[?], '')", [matcher.label]
    if matcher.op == "=":
        return f"{subject} = ?", [*args, matcher.value]
    if matcher.op == "!=":
        return f"{subject} <> ?", [*args, matcher.value]
    negate = "NOT " if matcher.op == "!~" else ""
    return f"{negate}regexp_full_match({subject}, ?)", [*args, matcher.value]


class EmbeddedSource:
    """The :class:`~sloscope.sources.base.Source` over the embedded DuckDB store.

    >>> source = EmbeddedSource(TelemetryStore(".sloscope/telemetry.duckdb"))  # doctest: +SKIP
    >>> [counts] = source.fetch([slo.sli], start, end, 60)  # doctest: +SKIP

    The source owns the store: :meth:`close` closes it.
    """

    name = "embedded"
    # Every sample of the range is read either way; a second, coarse query costs more.
    coarse_history = False

    def __init__(self, store: TelemetryStore) -> None:
        self.store = store

    @classmethod
    def open(cls, path: str | Path) -> EmbeddedSource:
        """A source over the store at ``path``, opened read-only."""
        return cls(TelemetryStore(path, read_only=True))

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # --- fetch -------------------------------------------------------------------------

    def fetch(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[CountSeries]:
        """Good/total counts per step of each SLI, in the order given.

        ``ids`` are accepted for the :class:`Source` protocol; the embedded store has no
        per-SLO recorded series, so it reads the raw series either way.

        The arrays may share memory between SLIs that count the same series, and some
        are read-only: copy one before changing it.
        """
        n = grid_length(start, end, step)
        selectors: dict[Selector, None] = {}
        for sli in slis:
            selectors.update(dict.fromkeys(_selectors_of(sli)))
        matched = self._resolve(list(selectors))
        plans = [_plan(sli, matched) for sli in slis]
        self._check_histograms(slis, matched, start, end)
        series_atom, parts = _atoms(plans)
        sums = self._atom_sums(series_atom, len(set(series_atom.values())), start, end, step)
        self._check_sums(sums, list(series_atom), start, end)
        # SLIs counting the same series share their rows (no copy of a month of steps);
        # read-only, so that no caller can change another SLI's counts by accident.
        sums.setflags(write=False)

        def count(index: int, role: int) -> NDArray[np.float64]:
            atoms = parts.get((index, role), [])
            if len(atoms) == 1:
                row: NDArray[np.float64] = sums[atoms[0]]
                return row
            summed: NDArray[np.float64] = sums[atoms].sum(axis=0) if atoms else np.zeros(n)
            return summed

        out: list[CountSeries] = []
        for index, plan in enumerate(plans):
            part, total = count(index, 0), count(index, 1)
            good = total - part if plan.subtract else part
            out.append(
                CountSeries(start=start, step=step, good=good, total=total, series=plan.series)
            )
        return out

    def _check_sums(self, sums: NDArray[np.float64], ids: list[int], start: int, end: int) -> None:
        """Name the stored samples that make a sum NaN, infinite or negative (a store
        written before ingest refused such values), rather than let the engine fail on
        counts that name no series.
        """
        if not sums.size:
            return
        low, high = float(sums.min()), float(sums.max())
        if math.isfinite(low) and math.isfinite(high) and low >= 0:
            return
        found = bad_samples(self.store, ids, start * 1000, end * 1000)
        if not found:
            return
        first = found[0]
        last = max(b.ts_ms for b in found if b.series == first.series) // 1000
        raise SourceError(
            "the telemetry store holds samples that cannot be counted: "
            + "; ".join(str(b) for b in found)
            + ". Delete them (the other deltas stay exact), then ingest the corrected "
            + f"values: sloscope store delete-series '{first.series}' --from "
            + f"{format_time(first.ts_ms // 1000)} --to {format_time(last)} --yes"
        )

    def _resolve(self, selectors: list[Selector]) -> dict[Selector, list[tuple[int, str]]]:
        """Series (id, ``le`` label) matched by each selector, in as few queries as can be.

        One pass over the catalog evaluates every distinct matcher of up to
        :data:`_SELECTORS_PER_QUERY` selectors as a boolean (selectors of one service
        share most matchers, and DuckDB binds each regex once); numpy then ANDs a
        selector's matchers with its metric name.
        """
        found: dict[Selector, list[tuple[int, str]]] = {s: [] for s in selectors}
        for first in range(0, len(selectors), _SELECTORS_PER_QUERY):
            found.update(self._resolve_batch(selectors[first : first + _SELECTORS_PER_QUERY]))
        return found

    def _resolve_batch(self, batch: list[Selector]) -> dict[Selector, list[tuple[int, str]]]:
        """:meth:`_resolve` for up to :data:`_SELECTORS_PER_QUERY` selectors: one query."""
        matchers = list(dict.fromkeys(m for s in batch for m in s.matchers))
        rows = self._matcher_hits(batch, matchers)
        if not rows:
            return {}
        hits = np.array([r[3] for r in rows], dtype=bool).reshape(len(rows), len(matchers))
        metric = np.array([r[1] for r in rows], dtype=object)
        column = {m: i for i, m in enumerate(matchers)}
        found = {}
        for selector in batch:
            picked = [column[m] for m in selector.matchers]
            mask = (metric == selector.metric) & hits[:, picked].all(axis=1)
            found[selector] = [(int(rows[i][0]), str(rows[i][2])) for i in np.flatnonzero(mask)]
        return found

    def _matcher_hits(self, batch: list[Selector], matchers: list[Matcher]) -> list[Any]:
        """(id, name, le, [whether each matcher matches]) of the series of ``batch``'s
        metric names.
        """
        columns: list[str] = []
        params: list[str] = []
        for matcher in matchers:
            clause, args = _compile_matcher(matcher)
            columns.append(f"({clause})")
            params.extend(args)
        hits_sql = "[" + ", ".join(columns) + "]" if columns else "[]::BOOLEAN[]"
        sql = (
            f"SELECT id, name, coalesce(labels['le'], '') AS le, {hits_sql} AS hits "
            "FROM series WHERE name IN (SELECT unnest(?::VARCHAR[]))"
        )
        names = sorted({s.metric for s in batch})
        try:
            return list(self.store.con.execute(sql, [*params, names]).fetchall())
        except duckdb.InvalidInputException as exc:
            raise SourceError(
                f"a selector's regular expression is not valid RE2: {exc} (selectors: "
                + "; ".join(str(s) for s in batch if _has_regex(s))
                + "); RE2 has no backreferences or lookarounds, as in Prometheus"
            ) from None

    def _check_histograms(
        self,
        slis: Sequence[SLI],
        matched: dict[Selector, list[tuple[int, str]]],
        start: int,
        end: int,
    ) -> None:
        """Every histogram a latency SLI counts in its total has the threshold bucket
        (:func:`~sloscope.sources.histograms.check_threshold_buckets`).

        Judged over the matched series with samples in ``(start, end]`` (from the
        catalog's first and last sample times), as Prometheus's series API answers for
        the range: a histogram that stopped before the range adds nothing to it.
        """
        latency = _histogram_slis(slis, matched)
        if not latency:
            return
        live = self._live_histograms(latency, matched, start, end)
        for sli in latency:
            buckets = matched[sli.bucket_selector]
            # The series the total sums: the _count, or the +Inf buckets without one.
            counted = matched[sli.count_selector] or _inf_buckets(buckets)
            check_threshold_buckets(
                sli.metric,
                sli.threshold,
                [(live[i], le) for i, le in buckets if i in live],
                [live[i] for i, _ in counted if i in live],
            )

    def _live_histograms(
        self,
        latency: list[LatencySLI],
        matched: dict[Selector, list[tuple[int, str]]],
        start: int,
        end: int,
    ) -> dict[int, HistogramKey]:
        """The histogram of each matched series with samples in ``(start, end]``."""
        ids = sorted(
            {
                series_id
                for sli in latency
                for selector in (sli.bucket_selector, sli.count_selector)
                for series_id, _ in matched[selector]
            }
        )
        # Labels only of these series, only now: most SLIs are ratios and need none.
        rows = self.store.con.execute(
            "SELECT id, map_keys(labels), map_values(labels) FROM series "
            "WHERE id IN (SELECT unnest(?::INTEGER[])) AND last_ts > ? AND first_ts <= ?",
            [ids, start * 1000, end * 1000],
        ).fetchall()
        return {int(i): histogram_key(zip(keys, values, strict=True)) for i, keys, values in rows}

    def _atom_sums(
        self, series_atom: dict[int, int], atoms: int, start: int, end: int, step: int
    ) -> NDArray[np.float64]:
        """Σ delta per step of each atom: an ``atoms`` x ``n`` matrix."""
        n = (end - start) // step
        out = np.zeros((atoms, n))
        if not series_atom:
            return out
        ids = np.fromiter(series_atom.keys(), dtype=np.int32, count=len(series_atom))
        atom = np.fromiter(series_atom.values(), dtype=np.int32, count=len(series_atom))
        start_ms, end_ms, step_ms = start * 1000, end * 1000, step * 1000
        flat = out.reshape(-1)
        # Read atoms in batches so the cell index stays a 32-bit integer and one
        # result stays moderate in memory.
        batch = max(1, _MAX_CELLS // n)
        for first in range(0, atoms, batch):
            pick = (atom >= first) & (atom < first + batch)
            self.store.con.register("_atoms", {"id": ids[pick], "atom": atom[pick] - first})
            try:
                rows = self.store.con.execute(
                    """
                    SELECT (a.atom * ? + (s.ts - ? - 1) // ?)::INTEGER AS cell, s.delta
                    FROM samples s JOIN _atoms a ON s.series_id = a.id
                    WHERE s.ts > ? AND s.ts <= ? AND s.delta <> 0
                    """,
                    [n, start_ms, step_ms, start_ms, end_ms],
                ).fetchnumpy()
            finally:
                self.store.con.unregister("_atoms")
            # Samples with no increase are left out above: they add nothing.
            part = flat[first * n : (first + batch) * n]
            # bincount sums repeated cells in one vectorised pass (np.add.at is ~10x slower).
            part += np.bincount(rows["cell"], weights=rows["delta"], minlength=part.size)
        return out


def _has_regex(selector: Selector) -> bool:
    return any(m.op in ("=~", "!~") for m in selector.matchers)


def _indicator(sli: SLI) -> RatioSLI | LatencySLI:
    """The SLI whose events are counted (a timeslices SLI counts its indicator's)."""
    inner = sli.indicator if isinstance(sli, TimeslicesSLI) else sli
    if isinstance(inner, PromQLSLI):
        raise UnsupportedSLIError(
            "the embedded store cannot evaluate a promql SLI (hint: use a Prometheus source, "
            "or write the SLI as ratio or latency with selectors)"
        )
    return inner


def _selectors_of(sli: SLI) -> list[Selector]:
    inner = _indicator(sli)
    if isinstance(inner, RatioSLI):
        part = inner.good if inner.good is not None else inner.bad
        assert part is not None  # RatioSLI guarantees exactly one
        return [part, inner.total]
    return [inner.bucket_selector, inner.count_selector]


def _plan(sli: SLI, matched: dict[Selector, list[tuple[int, str]]]) -> _Plan:
    inner = _indicator(sli)
    if isinstance(inner, RatioSLI):
        part_selector = inner.good if inner.good is not None else inner.bad
        assert part_selector is not None
        part = tuple(i for i, _ in matched[part_selector])
        total = tuple(i for i, _ in matched[inner.total])
        return _Plan(part, total, inner.bad is not None, _count(part, total))
    return _latency_plan(inner, matched)


def _latency_plan(sli: LatencySLI, matched: dict[Selector, list[tuple[int, str]]]) -> _Plan:
    buckets = matched[sli.bucket_selector]
    if not buckets:
        # No histogram at all: no data (a _count alone cannot say what was fast).
        return _Plan((), (), False, 0)
    require_threshold_bucket(sli.bucket_selector, sli.threshold, (le for _, le in buckets))
    good = tuple(i for i, le in buckets if same_boundary(le, sli.threshold))
    counts = tuple(i for i, _ in matched[sli.count_selector])
    if not counts:
        counts = tuple(i for i, _ in _inf_buckets(buckets))
    return _Plan(good, counts, False, _count(good, counts))


def _inf_buckets(buckets: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The ``+Inf`` buckets among (id, ``le``) series: all requests, without ``_count``."""
    return [(i, le) for i, le in buckets if same_boundary(le, math.inf)]


def _histogram_slis(
    slis: Sequence[SLI], matched: dict[Selector, list[tuple[int, str]]]
) -> list[LatencySLI]:
    """The distinct latency indicators of ``slis`` whose buckets matched series."""
    indicators = dict.fromkeys(_indicator(sli) for sli in slis)
    return [
        inner
        for inner in indicators
        if isinstance(inner, LatencySLI) and matched[inner.bucket_selector]
    ]


def _atoms(
    plans: list[_Plan],
) -> tuple[dict[int, int], dict[tuple[int, int], list[int]]]:
    """Series used by exactly the same sums form one "atom": summed once, then added to
    each SLI count that uses it (good and total share most series).

    Returns each series' atom, and the atoms of each (SLI index, role) with role 0 for
    the good (or bad) part and 1 for the total.
    """
    uses: dict[int, list[tuple[int, int]]] = {}
    for index, plan in enumerate(plans):
        for role, series_ids in ((0, plan.good), (1, plan.total)):
            for series_id in set(series_ids):
                uses.setdefault(series_id, []).append((index, role))
    atom_of: dict[tuple[tuple[int, int], ...], int] = {}
    series_atom = {sid: atom_of.setdefault(tuple(u), len(atom_of)) for sid, u in uses.items()}
    parts: dict[tuple[int, int], list[int]] = {}
    for members, atom in atom_of.items():
        for member in members:
            parts.setdefault(member, []).append(atom)
    return series_atom, parts


def _count(part: tuple[int, ...], total: tuple[int, ...]) -> int:
    return len(set(part) | set(total)) if total else 0
