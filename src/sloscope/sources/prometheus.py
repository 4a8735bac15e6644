"""The Prometheus source: SLI counts from any server that speaks the Prometheus HTTP API.

::

    source = PrometheusSource("http://prometheus:9090", bearer_token="...")
    counts = source.fetch([slo.sli for slo in slos], start, end, 60,
                          ids=[slo_id(service.name, slo.name) for slo in slos])

:meth:`PrometheusSource.fetch` answers every SLI of a report at once:

1. when SLO ids are given and ``use_recording_rules`` is ``auto`` (or ``always``), one
   instant query finds the SLOs whose generated recording rules
   (``slo:sli_total:rate5m{sloscope_id="..."}``) cover the whole range; those SLOs read
   ``slo:sli_error:rate5m`` and ``slo:sli_total:rate5m`` (one series each, however many
   raw series the SLI has). Time-slice SLOs never do: their rules record bad slices,
   not the indicator's events the engine makes slices of;
2. the other SLIs' selectors are looked up with ``/api/v1/series`` (how many series
   match, which ``le`` boundaries a histogram has);
3. each distinct count query (see :mod:`sloscope.sources.promql_counts`: the exact
   per-step increase, summed on the server) runs once through ``/api/v1/query_range``
   at the grid's right edges, split into chunks under the server's points limit, several
   queries at a time.

SLIs: ratio (good, or total - bad), latency (the ``_bucket`` whose ``le`` is the
threshold as a number; total the ``_count``, or the ``le="+Inf"`` buckets without one;
every histogram the series API names for the range must have that bucket, see
:func:`~sloscope.sources.promql_counts.check_threshold_buckets`),
promql (``{{window}}`` becomes the step; each expression must give one series of event
counts; ``error_ratio`` alone cannot give counts), timeslices (its indicator's counts).

``CountSeries.series`` is how many series matched (0: no data, so figures are null);
``CountSeries.note`` says what was read (``raw series``, ``recording rules ...``,
``promql``).
"""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from types import TracebackType
from typing import Literal, TypeVar

import httpx
import numpy as np
from numpy.typing import NDArray

from sloscope import conventions
from sloscope.errors import ConfigError, SourceError, UnsupportedSLIError
from sloscope.sources.base import CountSeries, grid_length
from sloscope.sources.prometheus_api import (
    STEP_LIMIT,
    Labels,
    PrometheusAPI,
    RangeSeries,
    finite_or_zero,
    safe_url,
    single_series,
)
from sloscope.sources.promql_counts import (
    RULE_WINDOW_SECONDS,
    boundary_order,
    bucket_selector,
    check_threshold_buckets,
    histogram_key,
    inf_bucket_selector,
    recorded_batch_query,
    recorded_ids_query,
    recorded_query,
    same_boundary,
    step_increase_query,
    with_window,
)
from sloscope.spec.model import SLI, LatencySLI, PromQLSLI, RatioSLI, TimeslicesSLI
from sloscope.spec.selectors import Selector

RecordingRules = Literal["auto", "always", "never"]

_T = TypeVar("_T")
_R = TypeVar("_R")
_LabelKey = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _Plan:
    """How one SLI's counts are queried: ``part`` is good, or bad when ``subtract``."""

    part: str | None
    total: str | None
    subtract: bool
    series: int  # -1: count the series the total query returns (promql)
    note: str
    recorded: str | None = None  # the SLO id whose recorded rates are read


class PrometheusSource:
    """The :class:`~sloscope.sources.base.Source` over a Prometheus HTTP API.

    >>> source = PrometheusSource("http://127.0.0.1:9090")          # doctest: +SKIP
    >>> [counts] = source.fetch([slo.sli], start, end, 60)           # doctest: +SKIP
    >>> counts.note                                                  # doctest: +SKIP
    'raw series'

    Authentication: ``bearer_token``, or ``basic_auth=(user, password)``, and any
    ``headers`` (e.g. ``X-Scope-OrgID`` for Mimir). TLS: ``ca_file`` to trust a private
    CA, ``cert_file``/``key_file`` for client certificates, ``insecure_skip_verify``.
    ``timeout`` (seconds) bounds each request and is passed to the server as the query
    timeout; 5xx, 429 and connection errors are retried ``max_retries`` times with
    exponential backoff from ``backoff`` seconds. ``step_limit`` is the server's points
    per series in one range query; ``concurrency`` how many queries run at once.

    ``client`` replaces the HTTP client built from those settings (tests, custom
    transports); the caller then owns it and :meth:`close` leaves it open.
    """

    name = "prometheus"
    # Every point is evaluated by the server: old data at 1h instead of 1m is 60x less.
    coarse_history = True

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
        max_retries: int = 3,
        backoff: float = 0.5,
        step_limit: int = STEP_LIMIT,
        concurrency: int = 4,
        use_recording_rules: RecordingRules = "auto",
        client: httpx.Client | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(
                f"the Prometheus URL {safe_url(url)!r} must start with http:// or https:// "
                "(source.url in sloscope.yaml, or SLOSCOPE_PROMETHEUS_URL)"
            )
        if timeout <= 0 or max_retries < 0 or step_limit < 1 or concurrency < 1:
            raise ConfigError(
                "timeout must be positive, max_retries >= 0, step_limit and concurrency >= 1; "
                f"got {timeout}, {max_retries}, {step_limit}, {concurrency}"
            )
        if use_recording_rules not in ("auto", "always", "never"):
            raise ConfigError(
                f"use_recording_rules must be auto, always or never, got {use_recording_rules!r}"
            )
        self.url = url
        self.step_limit = step_limit
        self.concurrency = concurrency
        self.use_recording_rules: RecordingRules = use_recording_rules
        header_map = dict(headers or {})
        for header, value in header_map.items():
            _check_header(f"header {header}", value, "source.headers")
        if bearer_token:
            _check_header(
                "the bearer token", bearer_token, "source.bearer_token or its bearer_token_file"
            )
            header_map["Authorization"] = f"Bearer {bearer_token}"
        secrets = [bearer_token or "", httpx.URL(url).password or "", *header_map.values()]
        if basic_auth:
            # The password, and the header a server might echo back.
            pair = f"{basic_auth[0]}:{basic_auth[1]}".encode()
            secrets += [basic_auth[1], base64.b64encode(pair).decode()]
        self._own_client = client is None
        if client is None:
            client = httpx.Client(
                headers=header_map,
                auth=httpx.BasicAuth(*basic_auth) if basic_auth else None,
                verify=_tls_context(ca_file, cert_file, key_file, insecure_skip_verify),
                timeout=httpx.Timeout(timeout),
            )
        elif header_map:
            client.headers.update(header_map)
        self.api = PrometheusAPI(
            url,
            client,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            # Short values (a tenant id "1") would garble messages and are not secrets.
            secrets=[s for s in secrets if len(s) >= 4],
        )

    def __repr__(self) -> str:
        return f"PrometheusSource({self.api.shown_url!r})"

    def close(self) -> None:
        """Close the HTTP client (unless it was passed in)."""
        if self._own_client:
            self.api.client.close()

    def __enter__(self) -> PrometheusSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- fetch ---------------------------------------------------------------------------

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
        n = grid_length(start, end, step)
        if ids is not None and len(ids) != len(slis):
            raise ValueError(f"ids must name one SLO per SLI: {len(ids)} ids, {len(slis)} SLIs")
        first = start + step
        # Rules record a time-slice SLO's bad *slices*, and the engine wants the events
        # of its indicator: those SLOs always read raw series.
        rule_ids = (
            None
            if ids is None
            else [i for i, sli in zip(ids, slis, strict=True) if not isinstance(sli, TimeslicesSLI)]
        )
        recorded = self._recorded(rule_ids, first, end)
        plans: list[_Plan | None] = [None] * len(slis)
        if ids is not None:
            for index, slo_id in enumerate(ids):
                if slo_id in recorded and not isinstance(slis[index], TimeslicesSLI):
                    plans[index] = _recorded_plan(slo_id, recorded[slo_id], step)
        # Selectors of the SLIs that read raw series: how many series, which boundaries.
        wanted: dict[Selector, None] = {}
        for index, sli in enumerate(slis):
            if plans[index] is None:
                wanted.update(dict.fromkeys(_lookups(sli)))
        found = dict(
            zip(
                wanted,
                self._map(lambda s: self.api.series(str(s), start, end), list(wanted)),
                strict=True,
            )
        )
        for index, sli in enumerate(slis):
            if plans[index] is None:
                plans[index] = _raw_plan(sli, found, step)
        queries: dict[str, None] = {}
        for plan in plans:
            assert plan is not None
            if plan.recorded is None:
                queries.update(dict.fromkeys(q for q in (plan.part, plan.total) if q))
        # Recorded rates: one query per metric for many SLOs (the same points, far fewer
        # requests), split by sloscope_id.
        batches = [
            (metric, chunk)
            for metric in (_ERROR_RATE, _TOTAL_RATE)
            for chunk in _chunks(sorted({p.recorded for p in plans if p and p.recorded}))
        ]
        jobs: list[Callable[[], dict[str, _Result]]] = [
            partial(self._counts_by_query, q, first, end, step, n) for q in queries
        ]
        jobs += [
            partial(self._recorded_counts, m, c, first=first, last=end, step=step, n=n)
            for m, c in batches
        ]
        results: dict[str, _Result] = {}
        for part in self._map(lambda job: job(), jobs):
            results.update(part)
        out = []
        for plan in plans:
            assert plan is not None
            out.append(_assemble(plan, results, start, end, step))
        return out

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
        if self.use_recording_rules == "always":
            missing = sorted(set(ids) - set(recorded))
            if missing:
                rule = conventions.total_rate(RULE_WINDOW_SECONDS)
                raise SourceError(
                    f"Prometheus at {self.api.shown_url} has no {rule} series covering the "
                    f"range for {', '.join(missing)} (use_recording_rules: always); load the "
                    "rules of 'sloscope generate prometheus' (backfill the past with "
                    "'promtool tsdb create-blocks-from rules') or set use_recording_rules: auto"
                )
        return recorded

    def _counts_by_query(
        self, expr: str, first: int, last: int, step: int, n: int
    ) -> dict[str, _Result]:
        """A count query's values on the grid (0 where the server has no point)."""
        found = self.api.query_range(expr, first, last, step, self.step_limit)
        series = single_series(found, expr, self.api.shown_url)
        if series is None:
            return {expr: _Result(np.zeros(n), 0)}
        return {expr: _Result(_on_grid(series, first, step, n), 1)}

    def _recorded_counts(
        self, metric: str, slo_ids: list[str], *, first: int, last: int, step: int, n: int
    ) -> dict[str, _Result]:
        """Recorded counts of many SLOs, keyed by each one's :func:`recorded_query`."""
        expr = recorded_batch_query(metric, slo_ids, step)
        found = self.api.query_range(expr, first, last, step, self.step_limit)
        by_id = {s.labels.get(conventions.LABEL_ID, ""): s for s in found}
        out = {}
        for slo_id in slo_ids:
            series = by_id.get(slo_id)
            values = np.zeros(n) if series is None else _on_grid(series, first, step, n)
            out[recorded_query(metric, slo_id, step)] = _Result(values, int(series is not None))
        return out

    def _map(self, fn: Callable[[_T], _R], items: list[_T]) -> list[_R]:
        """``fn`` over ``items``, ``concurrency`` at a time (the first error is raised)."""
        if self.concurrency == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(fn, items))


@dataclass(frozen=True)
class _Result:
    values: NDArray[np.float64]
    series: int


_ERROR_RATE = conventions.error_rate(RULE_WINDOW_SECONDS)
_TOTAL_RATE = conventions.total_rate(RULE_WINDOW_SECONDS)
#: SLO ids per batched query of recorded rates (keeps the regex and the answer moderate).
_IDS_PER_QUERY = 200


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _IDS_PER_QUERY] for i in range(0, len(items), _IDS_PER_QUERY)]


def _on_grid(series: RangeSeries, first: int, step: int, n: int) -> NDArray[np.float64]:
    """A series' values placed on the grid of right edges ``first, first + step, ...``."""
    values = np.zeros(n)
    index = (series.timestamps - first) // step
    keep = (index >= 0) & (index < n)
    values[index[keep]] = finite_or_zero(series.values[keep])
    return values


#: What an HTTP header value may hold as httpx sends it: visible ASCII, space and tab.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
#: A header name: an RFC 9110 token.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _check_header(what: str, value: str, setting: str) -> None:
    """Refuse a header httpx could not send, without showing its value.

    Otherwise httpx fails on the first request and quotes the whole header (the token
    with it) in its error, escaped so that no scrubbing of the plain secret catches it.
    """
    name = what.removeprefix("header ")
    if what.startswith("header ") and not _HEADER_NAME.fullmatch(name):
        raise ConfigError(
            f"Prometheus source: {name!r} is not a valid HTTP header name (check {setting})"
        )
    bad = _HEADER_VALUE.match(value)
    end = bad.end() if bad else 0
    if end < len(value):
        raise ConfigError(
            f"Prometheus source: {what} has a character that cannot be sent in an HTTP header "
            f"(a line break, a control character or a non-ASCII character) at position "
            f"{end + 1} of {len(value)}; check {setting} (a secret file should hold the "
            "value on one line)"
        )


def _tls_context(
    ca_file: str | None, cert_file: str | None, key_file: str | None, insecure: bool
) -> ssl.SSLContext | bool:
    """The ``verify`` argument of httpx: the system CAs unless something is configured."""
    if not (ca_file or cert_file or insecure):
        return True
    try:
        context = ssl.create_default_context(cafile=ca_file)
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if cert_file:
            context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"cannot load the TLS files of the Prometheus source (source.tls: ca_file="
            f"{ca_file}, cert_file={cert_file}, key_file={key_file}): {exc}"
        ) from None
    return context


def _indicator(sli: SLI) -> RatioSLI | LatencySLI | PromQLSLI:
    """The SLI whose events are counted (a timeslices SLI counts its indicator's)."""
    return sli.indicator if isinstance(sli, TimeslicesSLI) else sli


def _lookups(sli: SLI) -> list[Selector]:
    """Selectors whose series the plan of ``sli`` needs to know."""
    inner = _indicator(sli)
    if isinstance(inner, RatioSLI):
        part = inner.good if inner.good is not None else inner.bad
        assert part is not None  # RatioSLI guarantees exactly one
        return [part, inner.total]
    if isinstance(inner, LatencySLI):
        return [inner.bucket_selector, inner.count_selector]
    return []


def _key(labels: Labels) -> _LabelKey:
    return frozenset(labels.items())


def _raw_plan(sli: SLI, found: Mapping[Selector, list[Labels]], step: int) -> _Plan:
    inner = _indicator(sli)
    if isinstance(inner, RatioSLI):
        part = inner.good if inner.good is not None else inner.bad
        assert part is not None
        part_series = {_key(s) for s in found[part]}
        total_series = {_key(s) for s in found[inner.total]}
        if not total_series:
            return _Plan(None, None, False, 0, "raw series")
        return _Plan(
            step_increase_query(part, step),
            step_increase_query(inner.total, step),
            inner.bad is not None,
            len(part_series | total_series),
            "raw series",
        )
    if isinstance(inner, LatencySLI):
        return _latency_plan(inner, found, step)
    return _promql_plan(inner, step)


def _latency_plan(sli: LatencySLI, found: Mapping[Selector, list[Labels]], step: int) -> _Plan:
    buckets = found[sli.bucket_selector]
    if not buckets:
        # No histogram at all: no data (a _count alone cannot say what was fast).
        return _Plan(None, None, False, 0, "raw series")
    good = {_key(s) for s in buckets if same_boundary(s.get("le", ""), sli.threshold)}
    if not good:
        bounds = sorted({s.get("le", "") for s in buckets}, key=boundary_order)
        raise SourceError(
            f"no bucket of {sli.bucket_selector} has le={sli.threshold:g}; its boundaries are "
            f"{', '.join(bounds)} (hint: the threshold must be a bucket boundary of the "
            "histogram)"
        )
    count_series = found[sli.count_selector]
    total = sli.count_selector
    if not count_series:
        total = inf_bucket_selector(sli.bucket_selector)
        count_series = [s for s in buckets if same_boundary(s.get("le", ""), float("inf"))]
    counts = {_key(s) for s in count_series}
    # The series API answered for the fetched range: each histogram with samples in it
    # is judged, before any count query is sent.
    check_threshold_buckets(
        sli.metric,
        sli.threshold,
        ((histogram_key(s.items()), s.get("le", "")) for s in buckets),
        (histogram_key(s.items()) for s in count_series),
    )
    return _Plan(
        step_increase_query(bucket_selector(sli.bucket_selector, sli.threshold), step),
        step_increase_query(total, step),
        False,
        len(good | counts),
        "raw series",
    )


def _promql_plan(sli: PromQLSLI, step: int) -> _Plan:
    part = sli.good if sli.good is not None else sli.bad
    if sli.total is None or part is None:
        raise UnsupportedSLIError(
            "a promql SLI with only error_ratio gives no event counts, which budgets and "
            "burn rates are made of (hint: write total: and good: or bad: expressions that "
            "count events over {{window}}, e.g. sum(increase(x[{{window}}])), or load the "
            "generated recording rules so the SLO is read from them)"
        )
    return _Plan(
        with_window(part, step),
        with_window(sli.total, step),
        sli.good is None,
        -1,
        f"promql at {step}s",
    )


def _recorded_plan(slo_id: str, series: int, step: int) -> _Plan:
    error, total = _ERROR_RATE, _TOTAL_RATE
    return _Plan(
        recorded_query(error, slo_id, step),
        recorded_query(total, slo_id, step),
        True,
        max(series, 1),
        f'recording rules {error}, {total} {{{conventions.LABEL_ID}="{slo_id}"}}',
        recorded=slo_id,
    )


def _assemble(
    plan: _Plan, results: Mapping[str, _Result], start: int, end: int, step: int
) -> CountSeries:
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
