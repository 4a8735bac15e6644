"""The Prometheus source: SLI counts from any server that speaks the Prometheus HTTP API.

::

    source = PrometheusSource("http://prometheus:9090", bearer_token="...")
    counts = source.fetch([slo.sli for slo in slos], start, end, 60,
                          ids=[slo_id(service.name, slo.name) for slo in slos])

:meth:`PrometheusSource.fetch` answers every SLI of a report at once, in three phases:

1. plan (:mod:`~sloscope.sources.prometheus.plan`): when SLO ids are given and
   ``use_recording_rules`` is ``auto`` (or ``always``), one instant query finds the SLOs
   whose generated recording rules (``slo:sli_total:rate5m{sloscope_id="..."}``) cover
   the whole range; those SLOs read ``slo:sli_error:rate5m`` and ``slo:sli_total:rate5m``
   (one series each, however many raw series the SLI has). Time-slice SLOs never do:
   their rules record bad slices, not the indicator's events the engine makes slices of.
   The other SLIs' selectors are looked up with ``/api/v1/series`` (how many series
   match, which ``le`` boundaries a histogram has);
2. run: each distinct count query (see :mod:`~sloscope.sources.prometheus.queries`: the
   exact per-step increase, summed on the server) runs once through
   ``/api/v1/query_range`` at the grid's right edges, split into chunks under the
   server's points limit, several queries at a time; recorded rates of many SLOs are
   read in one query per metric;
3. assemble: each SLI's good and total from its plan's answers.

``CountSeries.series`` is how many series matched (0: no data, so figures are null);
``CountSeries.note`` says what was read (``raw series``, ``recording rules ...``,
``promql``).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

import httpx
import numpy as np
from numpy.typing import NDArray

from sloscope import conventions
from sloscope.closing import Closing
from sloscope.deadline import DeadlineTransport
from sloscope.errors import SourceError
from sloscope.sources.base import (
    MAX_GROUPS,
    CountSeries,
    GroupKey,
    Segment,
    check_group_count,
    check_split_grids,
    grid_length,
    group_key,
    trim_to_data,
)
from sloscope.sources.plan import PlannedCounts
from sloscope.sources.prometheus.api import (
    Labels,
    PrometheusAPI,
    RangeSeries,
    finite_or_zero,
    single_series,
)
from sloscope.sources.prometheus.levels import levels_of, step_counts
from sloscope.sources.prometheus.plan import (
    ERROR_RATE,
    TOTAL_RATE,
    QueryPlan,
    indicator,
    lookups,
    raw_plan,
    recorded_plan,
)
from sloscope.sources.prometheus.queries import (
    RULE_WINDOW_SECONDS,
    edge_check_queries,
    recorded_batch_query,
    recorded_ids_query,
    recorded_query,
    union_selector,
)
from sloscope.sources.prometheus.settings import (
    STEP_LIMIT,
    PrometheusSettings,
    RecordingRules,
)
from sloscope.sources.prometheus.split import pieces, read_groups
from sloscope.spec.buckets import same_boundary
from sloscope.spec.model import SLI, LatencySLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Selector

_T = TypeVar("_T")
_R = TypeVar("_R")

#: SLO ids per batched query of recorded rates (keeps the regex and the answer moderate).
_IDS_PER_QUERY = 200
#: Points (series x steps) in one answer of a range query of instant values, at most
#: (about 25 MB of JSON).
_POINTS_PER_ANSWER = 1_000_000
#: Selectors asked for in one series request (keeps the form and the answer moderate).
_SELECTORS_PER_LOOKUP = 64
#: Whole numbers below this add and subtract exactly in a float64.
_EXACT = float(2**53)
#: A metric's selectors are read through one union selector when it matches at most this
#: many times the series they need (the rest are read and left unused).
_UNION_SLACK = 2


@dataclass(frozen=True)
class _Grid:
    """The points a range query is evaluated at: ``first``, ``first + step`` ... ``last``."""

    first: int
    last: int
    step: int
    n: int

    def place(self, series: RangeSeries | None) -> NDArray[np.float64]:
        """A series' values on the grid (0 where the server has no point)."""
        values = np.zeros(self.n)
        if series is None:
            return values
        index = (series.timestamps - self.first) // self.step
        keep = (index >= 0) & (index < self.n)
        values[index[keep]] = finite_or_zero(series.values[keep])
        return values


@dataclass(frozen=True)
class _Part:
    """SLIs to read on one grid, ``(start, end]``, of a read shared by several grids."""

    slis: Sequence[SLI]
    ids: Sequence[str] | None
    start: int


@dataclass(frozen=True)
class _Planned:
    """One grid's plans, the series their selectors matched, and the grid."""

    plans: list[QueryPlan]
    found: Mapping[Selector, list[Labels]]
    start: int
    grid: _Grid


@dataclass(frozen=True)
class _Result:
    values: NDArray[np.float64]
    series: int


class PrometheusSource(Closing):
    """The :class:`~sloscope.sources.base.Source` over a Prometheus HTTP API.

    >>> source = PrometheusSource("http://127.0.0.1:9090")          # doctest: +SKIP
    >>> [counts] = source.fetch([slo.sli], start, end, 60)           # doctest: +SKIP
    >>> counts.note                                                  # doctest: +SKIP
    'raw series'

    The settings are those of
    :class:`~sloscope.sources.prometheus.settings.PrometheusSettings`, which checks
    them. ``timeout`` is also passed to the server as the query timeout.

    ``client`` replaces the HTTP client built from those settings (tests, custom
    transports); the caller then owns it and :meth:`close` leaves it open.
    """

    name = "prometheus"
    # Every point is evaluated by the server: old data at 1h instead of 1m is 60x less.
    coarse_history = True
    #: Grids of fewer steps are read step by step even for a status: checking a span
    #: reads every sample in it three times, which costs more for a few hundred steps.
    sums_from_steps = 1_500

    def __init__(
        self,
        url: str,
        *,
        bearer_token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        insecure_skip_verify: bool = False,
        timeout: float = 30.0,
        command_timeout: float = 600.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        step_limit: int = STEP_LIMIT,
        concurrency: int = 4,
        use_recording_rules: RecordingRules = "auto",
        client: httpx.Client | None = None,
    ) -> None:
        settings = PrometheusSettings(
            url,
            bearer_token=bearer_token,
            basic_auth=basic_auth,
            headers=dict(headers or {}),
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            insecure_skip_verify=insecure_skip_verify,
            timeout=timeout,
            command_timeout=command_timeout,
            max_retries=max_retries,
            backoff=backoff,
            step_limit=step_limit,
            concurrency=concurrency,
            use_recording_rules=use_recording_rules,
        )
        self.settings = settings
        self.url = url
        self.step_limit = step_limit
        self.concurrency = concurrency
        self.use_recording_rules: RecordingRules = use_recording_rules
        self._own_client = client is None
        if client is None:
            credentials = settings.credentials()
            client = httpx.Client(
                headers=settings.header_map(),
                auth=httpx.BasicAuth(*credentials) if credentials else None,
                transport=DeadlineTransport(verify=settings.tls()),
                timeout=httpx.Timeout(timeout),
            )
        else:
            client.headers.update(settings.header_map())
            if settings.credentials():
                client.auth = httpx.BasicAuth(*settings.credentials() or ("", ""))
        self.api = PrometheusAPI(
            settings.request_url(),
            client,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            secrets=settings.secrets(),
        )

    @classmethod
    def from_settings(
        cls, settings: PrometheusSettings, client: httpx.Client | None = None
    ) -> PrometheusSource:
        """The source these (already checked) settings describe."""
        fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
        return cls(**fields, client=client)

    def __repr__(self) -> str:
        return f"PrometheusSource({self.api.shown_url!r})"

    def close(self) -> None:
        """Close the HTTP client (unless it was passed in)."""
        if self._own_client:
            self.api.client.close()

    # --- fetch: plan, run, assemble --------------------------------------------------------

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

        ``ids``, when given, are the SLOs' ``sloscope_id`` values
        (:func:`sloscope.conventions.slo_id`), one per SLI: with them the source reads
        the generated recording rules where they exist (``use_recording_rules``).
        """
        return self._fetch(slis, start, end, step, ids=ids, edges=())

    def fetch_sums(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        edges: Sequence[int],
        *,
        ids: Sequence[str] | None = None,
    ) -> list[CountSeries]:
        """Counts whose sums between ``edges`` are those of :meth:`fetch`
        (:class:`~sloscope.sources.base.WindowSumSource`), each span's on its last step.

        Raw series are read as window sums where that gives :meth:`fetch`'s very figures
        (:meth:`_window_sums`); promql SLIs and recorded rates per step, as by
        :meth:`fetch`.
        """
        return self._fetch(slis, start, end, step, ids=ids, edges=edges)

    def fetch_split(
        self,
        slis: Sequence[SLI],
        olders: Sequence[Segment],
        recent: Segment,
        *,
        ids: Sequence[str] | None = None,
        edges: Sequence[int] = (),
    ) -> list[tuple[CountSeries, CountSeries]]:
        """Each SLI's counts before ``recent`` (from its older grid's start) and on
        ``recent`` (:class:`~sloscope.sources.base.SplitSource`), read once for every SLI.

        ``recent`` comes as from :meth:`fetch` (with ``edges``, :meth:`fetch_sums`). The
        older part comes on the grid the plan reads a remote engine's older part on
        (:func:`~sloscope.sources.prometheus.split.pieces`: whole hours, then the rest
        per step, placed on the fine grid), whatever coarser step is asked: a step's
        count depends on the grid here, so that keeps every figure. SLOs of different
        windows (28 and 30 days) share the recent grid and their hours, which a fetch
        per window would read once per window.
        """
        check_split_grids(slis, olders, recent)
        _check_ids(slis, ids)
        with self.api.command(self.settings.command_timeout):
            part = _Part(slis, ids, recent.start)
            [fine] = self._fetch_grids([part], recent.end, recent.step, edges)
            old = self._fetch_olders(slis, olders, ids, recent.step, edges)
        return list(zip(old, fine, strict=True))

    def _fetch_olders(
        self,
        slis: Sequence[SLI],
        olders: Sequence[Segment],
        ids: Sequence[str] | None,
        fine_step: int,
        edges: Sequence[int],
    ) -> list[CountSeries]:
        """Each SLI's older part on the grids :func:`pieces` gives, grids that end
        together read at once."""
        cut = [pieces(older, fine_step) for older in olders]
        on: dict[Segment, list[int]] = defaultdict(list)
        for index, pair in enumerate(cut):
            for grid in pair:
                if grid is not None:
                    on[grid].append(index)
        grids = list(on)
        counts: dict[tuple[Segment, int], CountSeries] = {}
        for group in read_groups(grids):
            chosen = [grids[k] for k in group]
            parts = [_Part([slis[i] for i in on[g]], _pick(ids, on[g]), g.start) for g in chosen]
            answers = self._fetch_grids(parts, chosen[0].end, chosen[0].step, edges)
            for grid, answer in zip(chosen, answers, strict=True):
                counts.update(((grid, i), c) for i, c in zip(on[grid], answer, strict=True))
        return [_joined(pair, index, counts) for index, pair in enumerate(cut)]

    def _fetch(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        *,
        ids: Sequence[str] | None,
        edges: Sequence[int],
    ) -> list[CountSeries]:
        _check_ids(slis, ids)
        with self.api.command(self.settings.command_timeout):
            [counts] = self._fetch_grids([_Part(slis, ids, start)], end, step, edges)
        return counts

    def _fetch_grids(
        self, parts: Sequence[_Part], end: int, step: int, edges: Sequence[int]
    ) -> list[list[CountSeries]]:
        """Each part's counts on its grid ``(part.start, end]`` at ``step``; the grids'
        starts lie whole steps apart, so the raw series of them all are read once, on
        the longest grid (:meth:`_counts_from_levels`)."""
        grids = [_Grid(p.start + step, end, step, grid_length(p.start, end, step)) for p in parts]
        planned = [self._plan(p.slis, p.ids, p.start, g) for p, g in zip(parts, grids, strict=True)]
        results = [self._run(plans, grid) for (plans, _), grid in zip(planned, grids, strict=True)]
        levels = self._counts_from_levels(
            [
                _Planned(plans, found, p.start, g)
                for (plans, found), p, g in zip(planned, parts, grids, strict=True)
            ],
            edges,
        )
        out = []
        for (plans, _), part, result, level in zip(planned, parts, results, levels, strict=True):
            result.update(level)
            out.append([_assemble(plan, result, part.start, end, step) for plan in plans])
        return out

    def _plan(
        self, slis: Sequence[SLI], ids: Sequence[str] | None, start: int, grid: _Grid
    ) -> tuple[list[QueryPlan], dict[Selector, list[Labels]]]:
        """Each SLI's plan (its recording rules where they cover the range, else raw),
        and the series each selector looked up matched."""
        # Rules record a time-slice SLO's bad *slices*, and the engine wants the events
        # of its indicator: those SLOs always read raw series.
        rule_ids = None if ids is None else _rule_ids(slis, ids)
        recorded = self._recorded(rule_ids, grid.first, grid.last)
        plans = _recorded_plans(slis, ids, recorded, grid.step)
        raw = [sli for sli, plan in zip(slis, plans, strict=True) if plan is None]
        found = self._lookup([s for sli in raw for s in lookups(sli)], start, grid.last)
        done = [
            plan or raw_plan(sli, found, grid.step) for sli, plan in zip(slis, plans, strict=True)
        ]
        return done, found

    def _lookup(
        self,
        selectors: list[Selector],
        start: int,
        end: int,
        known: Mapping[Selector, list[Labels]] | None = None,
    ) -> dict[Selector, list[Labels]]:
        """The label sets of every distinct selector's series in the range.

        A selector that narrows one in ``known`` (found over the same range) is answered
        from it; the others with one series request per metric (at most
        :data:`_SELECTORS_PER_LOOKUP` selectors each) that also asks for their
        :func:`~sloscope.sources.prometheus.queries.union_selector`, which the reads
        need. Each series answered is given to the selectors that match it, with the
        regex dialect Prometheus has (RE2, :mod:`sloscope.spec.regex`).
        """
        known = known or {}
        out: dict[Selector, list[Labels]] = {}
        by_metric: dict[str, list[Selector]] = defaultdict(list)
        for selector in dict.fromkeys(selectors):
            derived = _narrowed(selector, known)
            if derived is not None:
                out[selector] = derived
            else:
                by_metric[selector.metric].append(selector)
        batches: list[list[Selector]] = []
        for group in by_metric.values():
            union = union_selector(group) if len(group) > 1 else None
            asked = [*group, union] if union is not None and union not in group else group
            step = _SELECTORS_PER_LOOKUP
            batches += [asked[i : i + step] for i in range(0, len(asked), step)]
        answers = self._map(lambda b: self.api.series([str(s) for s in b], start, end), batches)
        for batch, answer in zip(batches, answers, strict=True):
            for selector in batch:
                out[selector] = [s for s in answer if selector.matches(s.get("__name__", ""), s)]
        return out

    def _run(self, plans: list[QueryPlan], grid: _Grid) -> dict[str, _Result]:
        """Every distinct query of the plans not read as instant values (promql, recorded
        rates), answered on the grid, by its PromQL text."""
        queries = _raw_queries([p for p in plans if p.selectors is None])
        # Recorded rates: one query per metric for many SLOs (the same points, far fewer
        # requests), split by sloscope_id.
        recorded = sorted({p.recorded for p in plans if p.recorded})
        jobs: list[Callable[[], dict[str, _Result]]] = [
            partial(self._counts_by_query, q, grid) for q in queries
        ]
        jobs += [
            partial(self._recorded_counts, metric, chunk, grid)
            for metric in (ERROR_RATE, TOTAL_RATE)
            for chunk in _chunks(recorded)
        ]
        results: dict[str, _Result] = {}
        for part in self._map(lambda job: job(), jobs):
            results.update(part)
        return results

    def _counts_from_levels(
        self, parts: Sequence[_Planned], edges: Sequence[int] = ()
    ) -> list[dict[str, _Result]]:
        """Each part's count queries of raw series plans, by their PromQL text, computed
        from the instant values of their series (:mod:`~sloscope.sources.prometheus.levels`),
        or with ``edges`` as sums between them where :meth:`_window_sums` can.

        The selectors' series come from the series API over each part's range (the
        looked-up ones, and a lookup of the others); the parts' selectors on one metric
        are read in one query over the longest grid when a
        :func:`~sloscope.sources.prometheus.queries.union_selector` of them matches at
        most :data:`_UNION_SLACK` times as many series, else one query each.
        """
        wanted = [_level_reads(part.plans) for part in parts]
        if not any(wanted):
            return [{} for _ in parts]
        members = [
            self._members(list(dict.fromkeys(w.values())), part) if w else {}
            for part, w in zip(parts, wanted, strict=True)
        ]
        merged = _merged(wanted, members)
        wide = min((p for p, w in zip(parts, wanted, strict=True) if w), key=lambda p: p.start)
        grid = wide.grid
        sizes = self._level_queries(list(merged), merged, wide.start, grid.last)
        if edges and len(parts) > 1:
            # Every part's sums must start at its grid's start.
            edges = [*edges, *(p.start for p in parts)]
        summed, dense = self._sums_where_exact(list(sizes), grid, edges)
        first = grid.first - grid.step  # each step's count needs the value one step before

        def read(query: Selector) -> list[RangeSeries]:
            # Bounded answers: a union of many series is read in shorter chunks.
            limit = min(self.step_limit, max(1, _POINTS_PER_ANSWER // max(sizes[query], 1)))
            return self.api.query_range(str(query), first, grid.last, grid.step, limit)

        answers = self._map(read, dense)
        by_labels = {_labels_key(s.labels): s for answer in answers for s in answer}
        # A part without raw series reads may start before the grid read: nothing to cut.
        return [
            _part_counts(w, found, summed, by_labels, grid=part.grid, read=grid) if w else {}
            for part, w, found in zip(parts, wanted, members, strict=True)
        ]

    def _members(self, selectors: list[Selector], part: _Planned) -> dict[Selector, list[Labels]]:
        """The series of every selector over the part's range: those its plan looked up,
        and a lookup of the others."""
        members = dict(part.found)
        members.update(
            self._lookup(
                [s for s in selectors if s not in part.found],
                part.start,
                part.grid.last,
                known=part.found,
            )
        )
        return members

    def _sums_where_exact(
        self, queries: list[Selector], grid: _Grid, edges: Sequence[int]
    ) -> tuple[dict[_Key, NDArray[np.float64]], list[Selector]]:
        """The window sums of each series of the queries :meth:`_window_sums` can answer,
        and the queries to read step by step."""
        if not edges or grid.n < self.sums_from_steps:
            return {}, queries
        sums = self._map(lambda q: self._window_sums(q, grid, edges), queries)
        summed = {_labels_key(k): v for got in sums if got for k, v in got}
        return summed, [q for q, got in zip(queries, sums, strict=True) if got is None]

    def _window_sums(
        self, query: Selector, grid: _Grid, edges: Sequence[int]
    ) -> list[tuple[Labels, NDArray[np.float64]]] | None:
        """Each series' counts of ``query`` as one sum per span between ``edges``, on
        the span's last step, when they are the per-step counts' sums; else None.

        The per-step count of a series is ``L(t) - L(t - step)`` (module
        :mod:`~sloscope.sources.prometheus.levels`), so over a span it telescopes to
        ``L(end) - L(start)`` when the series has a finite value at every step edge and
        never drops from one to the next. Three instant queries over every edge of the grid
        (subqueries of the plain selector, see
        :func:`~sloscope.sources.prometheus.queries.edge_check_queries`) say whether
        each series does; one instant query per edge gives the values.
        None (read every step) when any series does not: a reset, a gap, a series that
        starts or stops inside the range, NaN, a value that is not a whole number (sums
        of fractional counts could differ from :meth:`fetch`'s in the last bits). The
        sums are then the very ones :meth:`fetch` gives.
        """
        points = grid.n + 1
        start = grid.first - grid.step
        at, checks = edge_check_queries(query, start, grid.last, grid.step)
        snapped = sorted({start, grid.last} | {_snap(e, start, grid) for e in edges})
        try:
            answers = self._map(
                lambda job: self.api.query(*job),
                [(expr, at) for expr in checks] + [(str(query), edge) for edge in snapped],
            )
        except SourceError:
            # Say the server refuses a subquery this long (--query.max-samples): the
            # steps, read in bounded chunks, still answer; a server that cannot be
            # reached fails there too.
            return None
        by_key = [{_name_free(k): v for k, v in answer} for answer in answers]
        if not _regular(by_key[0], by_key[1], by_key[2], by_key[3:], points):
            return None
        ends = [(e - start) // grid.step - 1 for e in snapped[1:]]
        out = []
        for key in by_key[0]:
            values = np.zeros(grid.n)
            values[ends] = np.diff([at_edge[key] for at_edge in by_key[3:]])
            out.append(({**dict(key), "__name__": query.metric}, values))
        return out

    def _level_queries(
        self,
        selectors: list[Selector],
        members: Mapping[Selector, list[Labels]],
        start: int,
        end: int,
    ) -> dict[Selector, int]:
        """The selectors to read instant values with (a union per metric where it fits),
        each with how many series it matches."""
        by_metric: dict[str, list[Selector]] = defaultdict(list)
        for selector in selectors:
            if members[selector]:  # no series: nothing to read
                by_metric[selector.metric].append(selector)
        unions = {
            metric: union
            for metric, group in by_metric.items()
            if len(group) > 1 and (union := union_selector(group)) is not None
        }
        matched = dict(members)
        matched.update(
            self._lookup([u for u in unions.values() if u not in members], start, end, members)
        )
        queries: dict[Selector, int] = {}
        for metric, group in by_metric.items():
            union = unions.get(metric)
            needed = {_labels_key(labels) for s in group for labels in members[s]}
            if union is not None and len(matched[union]) <= _UNION_SLACK * len(needed):
                queries[union] = len(matched[union])
            else:
                queries.update((s, len(members[s])) for s in group)
        return queries

    def _recorded(self, ids: Sequence[str] | None, first: int, last: int) -> dict[str, int]:
        """SLO ids whose recorded totals cover ``[first, last]``, with their series count."""
        if ids is None or self.use_recording_rules == "never" or not ids:
            if self.use_recording_rules == "always" and ids is None:
                raise SourceError(
                    "use_recording_rules: always needs the SLO of every SLI (fetch(..., ids=)); "
                    "set use_recording_rules: auto"
                )
            return {}
        answer = self.api.query(recorded_ids_query(list(ids), first, last), last)
        recorded = {labels.get(conventions.LABEL_ID, ""): round(value) for labels, value in answer}
        missing = sorted(set(ids) - set(recorded))
        if self.use_recording_rules == "always" and missing:
            rule = conventions.total_rate(RULE_WINDOW_SECONDS)
            raise SourceError(
                f"Prometheus at {self.api.shown_url} has no {rule} series covering the "
                f"range for {', '.join(missing)} (use_recording_rules: always); load the "
                "rules of 'sloscope generate prometheus' (backfill the past with "
                "'promtool tsdb create-blocks-from rules') or set use_recording_rules: auto"
            )
        return recorded

    def _counts_by_query(self, expr: str, grid: _Grid) -> dict[str, _Result]:
        """A count query's values on the grid (0 where the server has no point)."""
        found = self.api.query_range(expr, grid.first, grid.last, grid.step, self.step_limit)
        series = single_series(found, expr, self.api.shown_url)
        return {expr: _Result(grid.place(series), int(series is not None))}

    def _recorded_counts(self, metric: str, slo_ids: list[str], grid: _Grid) -> dict[str, _Result]:
        """Recorded counts of many SLOs, keyed by each one's :func:`recorded_query`."""
        expr = recorded_batch_query(metric, slo_ids, grid.step)
        found = self.api.query_range(expr, grid.first, grid.last, grid.step, self.step_limit)
        by_id = {s.labels.get(conventions.LABEL_ID, ""): s for s in found}
        return {
            recorded_query(metric, slo_id, grid.step): _Result(
                grid.place(by_id.get(slo_id)), int(slo_id in by_id)
            )
            for slo_id in slo_ids
        }

    # --- grouped fetch (an SLO with group_by) -------------------------------------------

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

        Always from the raw series: the count queries aggregate ``sum by (route)``, so
        each answers one series per group. Selector SLIs are bounded before any count
        query (the series API names every group); a promql SLI when its answer comes.
        A group's counts start at the step of its first sample: its first point, which
        needs the sample before it, is one step later.
        """
        by = tuple(group_by)
        grid = _Grid(start + step, end, step, grid_length(start, end, step))
        found = self._lookup(lookups(sli), start, grid.last)
        looked_up = {group_key(by, s) for series in found.values() for s in series}
        check_group_count(len(looked_up), max_groups)
        plan = raw_plan(sli, found, step, by)
        if plan.part is None or plan.total is None:
            return {}
        part, total = self._map(
            lambda q: self.api.query_range(q, grid.first, grid.last, step, self.step_limit),
            [plan.part, plan.total],
        )
        totals = {group_key(by, s.labels): s for s in total}
        check_group_count(len(totals), max_groups)
        parts = {group_key(by, s.labels): s for s in part}
        # How many series each group's counts are made of (promql: the one answered).
        members = [group_key(by, s) for s in _counted(sli, found)]
        out: dict[GroupKey, CountSeries] = {}
        for key in sorted(totals):
            series = totals[key]
            whole = grid.place(series)
            some = grid.place(parts.get(key))
            matched = members.count(key)
            counts = CountSeries(
                start,
                step,
                whole - some if plan.subtract else some,
                whole,
                series=matched or 1,
                note=plan.note,
            )
            first_point = int((series.timestamps.min() - grid.first) // step)
            out[key] = trim_to_data(counts, first_point - 1)
        return out

    def _map(self, fn: Callable[[_T], _R], items: list[_T]) -> list[_R]:
        """``fn`` over ``items``, ``concurrency`` at a time (the first error is raised)."""
        if self.concurrency == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(fn, items))


def _counted(sli: SLI, found: Mapping[Selector, list[Labels]]) -> list[Labels]:
    """The distinct series an SLI's good and total count, as the ungrouped plan counts
    them: a ratio's both selectors; a latency's threshold buckets and its ``_count``
    (or ``+Inf`` buckets); none for promql."""
    inner = indicator(sli)
    if isinstance(inner, RatioSLI):
        chosen = [s for selector in lookups(sli) for s in found[selector]]
    elif isinstance(inner, LatencySLI):
        buckets = found[inner.bucket_selector]
        counts = found[inner.count_selector] or [
            s for s in buckets if same_boundary(s.get("le", ""), math.inf)
        ]
        at = [s for s in buckets if same_boundary(s.get("le", ""), inner.threshold)]
        chosen = [*at, *counts]
    else:
        return []
    return list({frozenset(s.items()): s for s in chosen}.values())


def _check_ids(slis: Sequence[SLI], ids: Sequence[str] | None) -> None:
    if ids is not None and len(ids) != len(slis):
        raise ValueError(f"ids must name one SLO per SLI: {len(ids)} ids, {len(slis)} SLIs")


def _pick(ids: Sequence[str] | None, indexes: Sequence[int]) -> list[str] | None:
    """The ids of the SLIs at ``indexes`` (None without ids)."""
    return None if ids is None else [ids[i] for i in indexes]


def _rule_ids(slis: Sequence[SLI], ids: Sequence[str]) -> list[str]:
    """The SLO ids that may read recording rules: all but those of time-slice SLIs."""
    return [i for i, sli in zip(ids, slis, strict=True) if not isinstance(sli, TimeslicesSLI)]


def _recorded_plans(
    slis: Sequence[SLI], ids: Sequence[str] | None, recorded: Mapping[str, int], step: int
) -> list[QueryPlan | None]:
    """The plan of each SLI that reads its recorded rates; None for the others."""
    plans: list[QueryPlan | None] = [None] * len(slis)
    for index, slo_id in enumerate(ids or ()):
        if slo_id in recorded and not isinstance(slis[index], TimeslicesSLI):
            plans[index] = recorded_plan(slo_id, recorded[slo_id], step)
    return plans


def _raw_queries(plans: list[QueryPlan]) -> list[str]:
    """The distinct count queries of the plans that read raw series (or promql)."""
    queries: dict[str, None] = {}
    for plan in plans:
        if plan.recorded is None:
            queries.update(dict.fromkeys(q for q in (plan.part, plan.total) if q))
    return list(queries)


_Key = tuple[tuple[str, str], ...]
_Values = Mapping[frozenset[tuple[str, str]], float]


def _regular(
    count: _Values, resets: _Values, fractions: _Values, at_edges: Sequence[_Values], points: int
) -> bool:
    """Whether every series has a finite value at each of the ``points`` step edges
    (and so at every edge) and never drops: its counts telescope; and whether each of
    those values is a whole number (from a first value of at least 0 they never drop, so
    their fractional parts, all at least 0, sum to 0 only when all are 0) and the ones
    at the edges, the first and the last among them, are below what a float64 adds
    exactly (summed over every series: the counts are added across series too), so that
    sums in any order are the per-step counts' sums, bitwise."""
    keys = set(count)
    if keys != set(fractions) or any(keys - set(at_edge) for at_edge in at_edges):
        return False
    if sum(abs(at_edges[0][k]) + abs(at_edges[-1][k]) for k in keys) >= _EXACT:
        return False
    return all(
        count[k] == points
        and resets.get(k) == 0
        and at_edges[0][k] >= 0
        and fractions[k] == 0
        and all(_whole(at_edge[k]) for at_edge in at_edges)
        for k in keys
    )


def _whole(value: float) -> bool:
    """A whole number below 2**53 (every sum of such counts is exact while below it)."""
    return math.isfinite(value) and value.is_integer() and abs(value) < _EXACT


def _level_reads(plans: list[QueryPlan]) -> dict[str, Selector]:
    """The count queries of raw series plans, each with the selector whose series'
    instant values answer it."""
    wanted: dict[str, Selector] = {}
    for plan in plans:
        if plan.selectors is None or plan.recorded is not None:
            continue
        for text, selector in zip((plan.part, plan.total), plan.selectors, strict=True):
            if text is not None:
                wanted[text] = selector
    return wanted


def _merged(
    wanted: Sequence[Mapping[str, Selector]], members: Sequence[Mapping[Selector, list[Labels]]]
) -> dict[Selector, list[Labels]]:
    """Each selector the parts read, with its series in any of them (each series once)."""
    merged: dict[Selector, dict[_Key, Labels]] = defaultdict(dict)
    for reads, found in zip(wanted, members, strict=True):
        for selector in reads.values():
            merged[selector].update((_labels_key(labels), labels) for labels in found[selector])
    return {selector: list(series.values()) for selector, series in merged.items()}


def _part_counts(
    wanted: Mapping[str, Selector],
    members: Mapping[Selector, list[Labels]],
    summed: Mapping[_Key, NDArray[np.float64]],
    by_labels: Mapping[_Key, RangeSeries],
    *,
    grid: _Grid,
    read: _Grid,
) -> dict[str, _Result]:
    """One part's count queries on its ``grid``, from what was read on the ``read``
    grid (the longest, ending with it): window sums cut to the part's steps, instant
    values placed on them."""
    skip = (grid.first - read.first) // read.step
    mine = {k: v[skip:] for k, v in summed.items()} if skip else summed
    counts = {
        s: _selector_counts(members[s], mine, by_labels, grid)
        for s in dict.fromkeys(wanted.values())
    }
    return {text: counts[selector] for text, selector in wanted.items()}


def _joined(
    pair: tuple[Segment | None, Segment | None],
    index: int,
    counts: Mapping[tuple[Segment, int], CountSeries],
) -> CountSeries:
    """SLI ``index``'s older part from its :func:`pieces`: the hours, then the rest per
    step placed after them on the fine grid, as the plan reads them."""
    hourly, rest = pair
    if hourly is not None and rest is not None:
        return PlannedCounts(counts[rest, index], counts[hourly, index]).on_fine_grid()
    only = hourly or rest
    assert only is not None  # pieces() leaves no older part unread
    return counts[only, index]


def _selector_counts(
    series: list[Labels],
    summed: Mapping[_Key, NDArray[np.float64]],
    by_labels: Mapping[_Key, RangeSeries],
    grid: _Grid,
) -> _Result:
    """One selector's counts: the sum of its series' window sums, and of the per-step
    counts (:func:`~sloscope.sources.prometheus.levels.step_counts`) of the others."""
    keys = sorted({_labels_key(labels) for labels in series})
    sums = [summed[k] for k in keys if k in summed]
    # A series another query read as window sums (selectors overlap) comes from there;
    # the rest of a selector read per step comes per step. Sums of whole-number counts
    # are exact in any order, so the sums between the edges are the per-step ones.
    rows = [by_labels[k] for k in keys if k not in summed and k in by_labels]
    if sums and not rows:
        return _Result(np.sum(sums, axis=0), 1)
    first = grid.first - grid.step
    levels = levels_of([(r.timestamps, r.values) for r in rows], first, grid.step, grid.n + 1)
    counts = step_counts(levels)
    if sums:
        counts = counts + np.sum(sums, axis=0)
    return _Result(counts, int(bool(rows or sums)))


def _narrowed(selector: Selector, known: Mapping[Selector, list[Labels]]) -> list[Labels] | None:
    """The series of ``selector`` when it is in ``known`` or narrows a selector there
    (same metric, every matcher of it and more); else None."""
    if selector in known:
        return known[selector]
    mine = set(selector.matchers)
    for wider, series in known.items():
        if wider.metric == selector.metric and set(wider.matchers) <= mine:
            return [s for s in series if selector.matches(s.get("__name__", ""), s)]
    return None


def _snap(edge: int, start: int, grid: _Grid) -> int:
    """The step edge at or before ``edge``, within the grid (a sum from ``edge`` takes
    the whole step it falls in)."""
    return min(max(start + (edge - start) // grid.step * grid.step, start), grid.last)


def _name_free(labels: Labels) -> frozenset[tuple[str, str]]:
    """A series' labels without its metric name (functions drop it)."""
    return frozenset((k, v) for k, v in labels.items() if k != "__name__")


def _labels_key(labels: Labels) -> _Key:
    """A series' identity, sorted as Prometheus sorts series (by label set)."""
    return tuple(sorted(labels.items()))


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _IDS_PER_QUERY] for i in range(0, len(items), _IDS_PER_QUERY)]


def _assemble(
    plan: QueryPlan, results: Mapping[str, _Result], start: int, end: int, step: int
) -> CountSeries:
    """One SLI's counts from the answers to its plan's queries."""
    if plan.part is None or plan.total is None:
        return replace(CountSeries.empty(start, end, step), note=plan.note)
    part, total = results[plan.part], results[plan.total]
    series = total.series if plan.series < 0 else plan.series
    good = total.values - part.values if plan.subtract else part.values
    if plan.recorded is not None:
        # Two rates recorded apart can disagree in the last bits (or by one evaluation).
        good = np.clip(good, 0.0, total.values)
    return CountSeries(
        start=start, step=step, good=good, total=total.values, series=series, note=plan.note
    )
