"""The embedded source: SLI counts from the DuckDB telemetry store.

:meth:`EmbeddedSource.fetch` answers every SLI of a report at once:

1. each distinct selector is resolved against the series catalog, read once
   (:mod:`sloscope.sources.catalog`; regexes are RE2 and fully anchored, as in
   Prometheus; an absent label reads as ``""``);
2. the per-sample increases (``delta``) of every matched series in ``(start, end]`` are
   read in one query, with the step each falls in computed by DuckDB;
3. numpy sums them per step for each group of series used by the same SLI counts, then
   adds those groups into each SLI's good and total.

:meth:`EmbeddedSource.fetch_split` answers the two resolutions of
:mod:`sloscope.sources.plan` (each SLO window's older part as a few coarse sums, the
lookbacks per step) for many SLOs at once, in one query.

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
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sloscope.errors import SourceError, UnsupportedSLIError
from sloscope.sources.base import (
    MAX_GROUPS,
    CountSeries,
    GroupKey,
    Segment,
    check_group_count,
    check_split_grids,
    grid_length,
    trim_to_data,
)
from sloscope.sources.catalog import CatalogCache, match_selectors
from sloscope.sources.histograms import (
    HistogramKey,
    check_threshold_buckets,
    histogram_key,
    require_threshold_bucket,
)
from sloscope.sources.sums import atom_sums, atoms_of
from sloscope.spec.buckets import same_boundary
from sloscope.spec.model import SLI, LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Matcher, Selector
from sloscope.telemetry.store import TelemetryStore
from sloscope.timeparse import format_time

#: DuckDB's memory limit for a source reading a store opened read-only.
_READ_MEMORY_LIMIT = "64MB"


class _Plan(NamedTuple):
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
    # DuckDB sums the older part per coarse step where the samples are, so far fewer
    # numbers leave the database than there are samples.
    coarse_history = True

    def __init__(self, store: TelemetryStore) -> None:
        self.store = store
        # A store open read-only cannot change while it is (DuckDB lets no process
        # write it meanwhile): the catalog read for one batch of SLOs serves the next.
        self._catalog: CatalogCache | None = {} if store.read_only else None
        if store.read_only:
            # DuckDB keeps every block it has read cached up to its memory limit (most of
            # the RAM by default): a report that scans a large store once would hold it
            # all. A reader needs little: evicting keeps its peak memory bounded.
            store.con.execute(f"SET memory_limit = '{_READ_MEMORY_LIMIT}'")

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
        grid_length(start, end, step)
        recent = Segment(start, end, step)
        return [counts for _, counts in self._fetch_parts(slis, [None] * len(slis), recent)]

    def fetch_split(
        self,
        slis: Sequence[SLI],
        olders: Sequence[Segment],
        recent: Segment,
        *,
        ids: Sequence[str] | None = None,
        edges: Sequence[int] = (),
    ) -> list[tuple[CountSeries, CountSeries]]:
        """Counts of each SLI on its older grid and on the recent one, in one pass.

        As :meth:`fetch` calls on each grid would answer. DuckDB sums the older part of
        every SLI per coarse step where the samples are; the recent part comes per
        sample (a fine grid holds about one sample per step). With ``edges``, only sums
        between them are read from the recent part: each span's counts may sit on its
        last step (:mod:`sloscope.sources.spans`).
        """
        check_split_grids(slis, olders, recent)
        out = []
        for old, counts in self._fetch_parts(slis, list(olders), recent, edges):
            assert old is not None  # every SLI was given an older grid
            out.append((old, counts))
        return out

    def _fetch_parts(
        self,
        slis: Sequence[SLI],
        olders: list[Segment | None],
        recent: Segment,
        edges: Sequence[int] = (),
    ) -> list[tuple[CountSeries | None, CountSeries]]:
        """Counts of each SLI on its older grid (when it has one) and on ``recent``
        (only its sums between ``edges``, when given)."""
        selectors: dict[Selector, None] = {}
        for sli in slis:
            selectors.update(dict.fromkeys(_selectors_of(sli)))
        matched = match_selectors(self.store.con, list(selectors), self._catalog)
        plans = [_plan(sli, matched) for sli in slis]
        first = min([o.start for o in olders if o is not None] + [recent.start])
        self._check_histograms(slis, matched, first, recent.end)
        atoms = atoms_of([(plan.good, plan.total) for plan in plans], olders)
        sums = atom_sums(self.store.con, atoms, recent, rollups=self.store.has_rollups, edges=edges)
        self._check_sums(sums, atoms.ids, first, recent.end)
        # SLIs counting the same series share their rows (no copy of the steps);
        # read-only, so that no caller can change another SLI's counts by accident.
        sums.setflags(write=False)
        # An SLI without series has no atom: its zeros span the longest grids asked for.
        width = grid_length(*recent) + max(
            (grid_length(*o) for o in olders if o is not None), default=0
        )

        def count(index: int, role: int) -> NDArray[np.float64]:
            mine = atoms.parts.get((index, role), [])
            if len(mine) == 1:
                row: NDArray[np.float64] = sums[mine[0]]
                return row
            summed: NDArray[np.float64] = sums[mine].sum(axis=0) if mine else np.zeros(width)
            return summed

        out: list[tuple[CountSeries | None, CountSeries]] = []
        for index, plan in enumerate(plans):
            part, total = count(index, 0), count(index, 1)
            good = total - part if plan.subtract else part
            out.append(_cut(olders[index], recent, good, total, plan.series))
        return out

    def _check_sums(
        self, sums: NDArray[np.float64], ids: NDArray[np.int64], start: int, end: int
    ) -> None:
        """Name the stored samples of the series ``ids`` that make a sum NaN, infinite or
        negative (a store written before ingest refused such values), rather than let the
        engine fail on counts that name no series.
        """
        if not sums.size:
            return
        low, high = float(sums.min()), float(sums.max())
        if math.isfinite(low) and math.isfinite(high) and low >= 0:
            return
        # Only a store written before ingest refused such values gets here.
        from sloscope.telemetry.repair import bad_samples

        # The ids as a sorted list only here: every sum is usually fine.
        found = bad_samples(self.store, sorted(set(ids.tolist())), start * 1000, end * 1000)
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

    # --- grouped fetch (an SLO with group_by) ----------------------------------------------

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
        """Good/total counts per step of each group of ``sli``'s series
        (:meth:`~sloscope.sources.base.GroupedSource.fetch_grouped`).

        The groups are the distinct ``group_by`` values (``coalesce(labels[l], '')``, an
        absent label reads ``""``) of the total's series with samples in the range, read
        from the catalog before any sample; each group's counts start at the step of its
        first sample.
        """
        grid_length(start, end, step)
        matched = match_selectors(self.store.con, _selectors_of(sli), self._catalog)
        whole = _plan(sli, matched)
        self._check_histograms([sli], matched, start, end)
        found = self._group_labels({*whole.good, *whole.total}, group_by, start, end)
        keys = sorted({found[i][0] for i in whole.total if i in found})
        check_group_count(len(keys), max_groups)
        plans = [_group_plan(whole, found, key) for key in keys]
        atoms = atoms_of([(p.good, p.total) for p in plans], [None] * len(plans))
        sums = atom_sums(
            self.store.con, atoms, Segment(start, end, step), rollups=self.store.has_rollups
        )
        out: dict[GroupKey, CountSeries] = {}
        for index, (key, plan) in enumerate(zip(keys, plans, strict=True)):
            part = sums[atoms.parts.get((index, 0), [])].sum(axis=0)
            total = sums[atoms.parts.get((index, 1), [])].sum(axis=0)
            good = total - part if plan.subtract else part
            counts = CountSeries(start, step, good, total, series=plan.series)
            first_ms = min(found[i][1] for i in plan.total)
            out[key] = trim_to_data(counts, (first_ms - start * 1000 - 1) // (step * 1000))
        return out

    def _group_labels(
        self, ids: set[int], group_by: Sequence[str], start: int, end: int
    ) -> dict[int, tuple[GroupKey, int]]:
        """Each series' group and first sample time (ms), of the series of ``ids`` with
        samples in ``(start, end]``."""
        # Only placeholders are formatted into the SQL; the label names are bound.
        values = "[" + ", ".join("coalesce(labels[?], '')" for _ in group_by) + "]"
        rows = self.store.con.execute(
            f"SELECT id, {values}, first_ts FROM series "
            "WHERE id IN (SELECT unnest(?::INTEGER[])) AND last_ts > ? AND first_ts <= ?",
            [*group_by, sorted(ids), start * 1000, end * 1000],
        ).fetchall()
        return {
            int(i): (tuple(zip(group_by, labels, strict=True)), int(first))
            for i, labels, first in rows
        }


def _cut(
    older: Segment | None,
    recent: Segment,
    good: NDArray[np.float64],
    total: NDArray[np.float64],
    series: int,
) -> tuple[CountSeries | None, CountSeries]:
    """One SLI's row of cells (recent steps, then older ones) as its two series."""
    n = grid_length(*recent)
    fine = CountSeries(recent.start, recent.step, good[:n], total[:n], series=series)
    if older is None:
        return None, fine
    m = n + grid_length(*older)
    return CountSeries(older.start, older.step, good[n:m], total[n:m], series=series), fine


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


def _group_plan(whole: _Plan, found: dict[int, tuple[GroupKey, int]], key: GroupKey) -> _Plan:
    """The part of an SLI's plan that counts one group's series."""
    good = tuple(i for i in whole.good if i in found and found[i][0] == key)
    total = tuple(i for i in whole.total if i in found and found[i][0] == key)
    return _Plan(good, total, whole.subtract, _count(good, total))


def _count(part: tuple[int, ...], total: tuple[int, ...]) -> int:
    return len(set(part) | set(total)) if total else 0
