"""Test doubles for code built on sloscope (and for sloscope's own tests).

Stand-ins for the telemetry a report reads, so a test needs neither a store nor a
server, and for the channels notifications go to:

- :class:`FakeSource`: a :class:`~sloscope.sources.base.Source` that answers from
  per-minute counts you give it. Hand it to :meth:`Workspace.report
  <sloscope.workspace.Workspace.report>` (``source=``) to check a spec's figures, or to
  anything else that takes a source.
- :class:`FakePrometheus`: the few endpoints of the Prometheus HTTP API that
  :class:`~sloscope.sources.prometheus.source.PrometheusSource` calls, on an
  ``httpx.MockTransport``: no socket, every request recorded, answers scripted by a
  handler (:func:`prometheus_counters` for raw series, :func:`prometheus_api` for
  other queries). Needs ``httpx`` (the
  ``prometheus`` extra).
- :class:`CapturingNotifier`: a :class:`~sloscope.alerting.notify.base.Notifier` that
  keeps every message it is handed, and fails on demand, so routing and delivery can be
  checked without a Slack or a pager.

Per-minute counts: ``good[i]`` and ``total[i]`` are the events of minute ``i``, which
covers ``(start + 60*i, start + 60*(i+1)]``, as on every grid in sloscope.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sloscope.closing import Closing
from sloscope.errors import SourceError
from sloscope.sources.base import (
    MAX_GROUPS,
    CountSeries,
    GroupKey,
    check_group_count,
    grid_length,
    trim_to_data,
)
from sloscope.spec.model import SLI, TimeslicesSLI

if TYPE_CHECKING:
    import httpx

    from sloscope.alerting.notify.base import DeliveryResult
    from sloscope.alerting.notify.message import Notification

MINUTE = 60

Counts = tuple[ArrayLike, ArrayLike]


@dataclass(frozen=True)
class Fetch:
    """One call a :class:`FakeSource` answered, as it was asked."""

    slis: tuple[SLI, ...]
    start: int
    end: int
    step: int
    ids: tuple[str, ...] | None


class FakeSource:
    """A source answering from per-minute good and total counts.

    The same counts for every SLI::

        >>> import numpy as np
        >>> from sloscope.spec.model import RatioSLI
        >>> from sloscope.spec.selectors import parse_selector
        >>> sli = RatioSLI(total=parse_selector("req_total"), bad=parse_selector("err_total"))
        >>> source = FakeSource.from_minutes(
        ...     start=1_800_000_000, good=np.full(60, 99.0), total=np.full(60, 100.0)
        ... )
        >>> [counts] = source.fetch([sli], 1_800_000_000, 1_800_001_800, 600)
        >>> counts.good.tolist(), counts.total.tolist()
        ([990.0, 990.0, 990.0], [1000.0, 1000.0, 1000.0])

    Or counts per SLI; a time-slice SLI without its own reads its indicator's, and an
    SLI with none matches no series (``series == 0``, so its figures are ``None``, as
    with a selector that matches nothing)::

        >>> source = FakeSource(1_800_000_000, {sli: ([1.0, 2.0], [2.0, 2.0])})
        >>> [counts] = source.fetch([sli], 1_800_000_000 - 60, 1_800_000_180, 60)
        >>> counts.good.tolist()  # minutes outside the counts hold no events
        [0.0, 1.0, 2.0, 0.0]

    A grouped SLO's groups (``group_by``), each from its first minute with events::

        >>> grouped = FakeSource(
        ...     1_800_000_000, {}, groups={sli: {(("route", "/a"),): ([9.0], [10.0])}}
        ... )
        >>> list(grouped.fetch_grouped(sli, ["route"], 1_800_000_000, 1_800_000_060, 60))
        [(('route', '/a'),)]

    In a report, for the SLOs of a workspace::

        report = workspace.report(at=1_800_003_600, source=FakeSource.from_minutes(...))

    ``calls`` records every fetch; ``closed`` turns true on :meth:`close`. The step
    asked for must be whole minutes and the range start on the minute grid of ``start``.
    ``coarse_history`` says whether the planner may ask for old counts at a coarse step
    (as of a Prometheus server); the counts are the same either way.
    """

    def __init__(
        self,
        start: int,
        counts: Mapping[SLI, Counts],
        *,
        every_sli: Counts | None = None,
        series: int = 1,
        coarse_history: bool = False,
        name: str = "fake",
        groups: Mapping[SLI, Mapping[GroupKey, Counts]] | None = None,
    ) -> None:
        self.start = start
        self.name = name
        self.coarse_history = coarse_history
        self.series = series
        self.calls: list[Fetch] = []
        self.closed = False
        self._counts = {sli: _pair(pair) for sli, pair in counts.items()}
        self._every = _pair(every_sli) if every_sli is not None else None
        self._groups = {
            sli: {key: _pair(pair) for key, pair in by_key.items()}
            for sli, by_key in (groups or {}).items()
        }

    @classmethod
    def from_minutes(
        cls,
        *,
        start: int,
        good: ArrayLike,
        total: ArrayLike,
        series: int = 1,
        coarse_history: bool = False,
    ) -> FakeSource:
        """A source giving every SLI these per-minute counts from ``start``."""
        return cls(
            start,
            {},
            every_sli=(good, total),
            series=series,
            coarse_history=coarse_history,
        )

    def fetch(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[CountSeries]:
        """Each SLI's counts summed into ``step``-second steps over ``(start, end]``."""
        self.calls.append(Fetch(tuple(slis), start, end, step, tuple(ids) if ids else None))
        return self._steps([self._counts_of(sli) for sli in slis], start, end, step)

    def _steps(
        self,
        pairs: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]] | None],
        start: int,
        end: int,
        step: int,
    ) -> list[CountSeries]:
        """Per-minute counts summed into ``step``-second steps over ``(start, end]``."""
        n = grid_length(start, end, step)
        if step % MINUTE or (start - self.start) % MINUTE:
            raise SourceError(
                f"the fake source counts whole minutes from {self.start}; asked for "
                f"{step}s steps from {start}"
            )
        first = (start - self.start) // MINUTE
        per = step // MINUTE
        out = []
        for pair in pairs:
            if pair is None:
                out.append(CountSeries.empty(start, end, step))
                continue
            good, total = (_minutes(a, first, n * per).reshape(n, per).sum(axis=1) for a in pair)
            out.append(CountSeries(start, step, good, total, series=self.series))
        return out

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
        """Each group's counts (``groups=``, per SLI) summed into steps over
        ``(start, end]``, from the step of the group's first minute with events on (a
        group that appears inside the range has a shorter history).

        ``group_by`` must name the labels of the keys given; an SLI without groups has
        none (no data).
        """
        self.calls.append(Fetch((sli,), start, end, step, None))
        given = self._groups.get(sli)
        if given is None and isinstance(sli, TimeslicesSLI):
            given = self._groups.get(sli.indicator)
        given = given or {}
        for key in given:
            if tuple(label for label, _ in key) != tuple(group_by):
                raise ValueError(f"group {key} is not keyed by {tuple(group_by)}")
        first_minute = (start - self.start) // MINUTE
        live = {
            key: pair
            for key, pair in given.items()
            if _minutes(pair[1], first_minute, (end - start) // MINUTE).any()
        }
        check_group_count(len(live), max_groups)
        out = {}
        for key, (good, total) in sorted(live.items()):
            [counts] = self._steps([(good, total)], start, end, step)
            first = int(np.flatnonzero(counts.total)[0])
            out[key] = trim_to_data(counts, first)
        return out

    def _counts_of(self, sli: SLI) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        # A time-slice SLI reads its indicator's events, as from a real source.
        found = self._counts.get(sli)
        if found is None and isinstance(sli, TimeslicesSLI):
            found = self._counts.get(sli.indicator)
        return found if found is not None else self._every

    def close(self) -> None:
        """Mark the source closed (a test can check its caller closed it)."""
        self.closed = True


def _pair(counts: Counts) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    good, total = (np.asarray(a, dtype=np.float64) for a in counts)
    if good.shape != total.shape or good.ndim != 1:
        raise ValueError(
            f"good and total must be 1-d and of one length, got {good.shape} and {total.shape}"
        )
    return good, total


def _minutes(values: NDArray[np.float64], first: int, count: int) -> NDArray[np.float64]:
    """``values[first:first+count]``, with zeros where that runs past either end."""
    out = np.zeros(count)
    lo, hi = max(first, 0), min(first + count, len(values))
    if hi > lo:
        out[lo - first : hi - first] = values[lo:hi]
    return out


# --- Prometheus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PrometheusRequest:
    """One request as the fake saw it: the form fields (POST body or query string)."""

    method: str
    path: str
    form: dict[str, list[str]]
    headers: dict[str, str]

    def one(self, key: str) -> str:
        """The single value of a form field (``query``, ``start``, ``match[]``...)."""
        [value] = self.form[key]
        return value


@dataclass(frozen=True)
class PrometheusAnswer:
    """What the fake answers: a status and a JSON ``body``, or raw ``text`` (an HTML page)."""

    status: int = 200
    body: Any = None
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        """The body's bytes and the response headers, Content-Type included."""
        text = self.text if self.text is not None else json.dumps(self.body)
        content = "text/html" if self.text is not None else "application/json"
        return text.encode(), {"Content-Type": content, **self.headers}


PrometheusHandler = Callable[[PrometheusRequest], PrometheusAnswer]
RangeValues = Callable[[str, int], float | None]


def success(data: Any) -> PrometheusAnswer:
    """A successful API answer carrying ``data``."""
    return PrometheusAnswer(200, {"status": "success", "data": data})


def failure(status: int, kind: str, message: str) -> PrometheusAnswer:
    """An API error as Prometheus writes it (``errorType`` ``bad_data``, ``timeout``...)."""
    return PrometheusAnswer(status, {"status": "error", "errorType": kind, "error": message})


def matrix(*series: tuple[Mapping[str, str], Sequence[tuple[int, float]]]) -> PrometheusAnswer:
    """A ``query_range`` answer: each series' labels and its (timestamp, value) points."""
    return success(
        {
            "resultType": "matrix",
            "result": [
                {"metric": dict(labels), "values": [[t, repr(float(v))] for t, v in points]}
                for labels, points in series
            ],
        }
    )


def vector(*samples: tuple[Mapping[str, str], float], at: int = 0) -> PrometheusAnswer:
    """An instant ``query`` answer: each sample's labels and value at ``at``."""
    return success(
        {
            "resultType": "vector",
            "result": [
                {"metric": dict(labels), "value": [at, repr(float(v))]} for labels, v in samples
            ],
        }
    )


def prometheus_api(
    series: Mapping[str, Sequence[Mapping[str, str]]],
    values: RangeValues,
    recorded: Sequence[tuple[Mapping[str, str], float]] = (),
) -> PrometheusHandler:
    """A handler for the three endpoints the Prometheus source calls.

    ``/api/v1/series``: the label sets in ``series`` under the ``match[]`` selector's
    text (none for another). ``/api/v1/query_range``: one series whose point at each
    step ``t`` is ``values(query, t)`` (no point where it returns ``None``).
    ``/api/v1/query`` (the recording-rules lookup): the ``recorded`` samples. Any other
    path: 404, as a server behind a route prefix answers.
    """

    def handle(request: PrometheusRequest) -> PrometheusAnswer:
        if request.path == "/api/v1/series":
            found = [s for match in request.form["match[]"] for s in series.get(match, [])]
            return success(list({tuple(sorted(s.items())): dict(s) for s in found}.values()))
        if request.path == "/api/v1/query":
            return vector(*recorded, at=int(request.one("time")))
        if request.path == "/api/v1/query_range":
            query = request.one("query")
            first, last, step = (int(request.one(k)) for k in ("start", "end", "step"))
            points = [
                (t, v) for t in range(first, last + 1, step) if (v := values(query, t)) is not None
            ]
            return matrix(({}, points)) if points else matrix()
        return PrometheusAnswer(404, text="404 page not found")

    return handle


#: A counter's instant value at ``t`` (None: no value there), by the series' labels.
Levels = Callable[[Mapping[str, str], int], float | None]


def prometheus_counters(
    series: Sequence[Mapping[str, str]],
    levels: Levels,
    recorded: Sequence[tuple[Mapping[str, str], float]] = (),
) -> PrometheusHandler:
    """A handler that answers like a server holding counter ``series`` (each with its
    ``__name__``), for SLIs read from raw series.

    ``/api/v1/series``: the series the ``match[]`` selector matches.
    ``/api/v1/query_range`` of a series selector: each matching series, its point at
    each step ``t`` being ``levels(labels, t)`` (none where that is ``None``); any other
    expression is answered 400, as the source sends none. ``/api/v1/query``: the
    ``recorded`` samples. Any other path: 404.
    """
    from sloscope.spec.selectors import SelectorSyntaxError, parse_selector

    def matching(text: str) -> list[Mapping[str, str]]:
        selector = parse_selector(text)
        return [s for s in series if selector.matches(s.get("__name__", ""), dict(s))]

    def handle(request: PrometheusRequest) -> PrometheusAnswer:
        if request.path == "/api/v1/series":
            found = [s for match in request.form["match[]"] for s in matching(match)]
            return success(list({tuple(sorted(s.items())): dict(s) for s in found}.values()))
        if request.path == "/api/v1/query":
            return vector(*recorded, at=int(request.one("time")))
        if request.path != "/api/v1/query_range":
            return PrometheusAnswer(404, text="404 page not found")
        first, last, step = (int(request.one(k)) for k in ("start", "end", "step"))
        try:
            chosen = matching(request.one("query"))
        except SelectorSyntaxError as exc:
            return failure(400, "bad_data", f"the fake answers series selectors only: {exc}")
        answered = []
        for labels in chosen:
            points = [
                (t, v) for t in range(first, last + 1, step) if (v := levels(labels, t)) is not None
            ]
            if points:
                answered.append((labels, points))
        return matrix(*answered)

    return handle


class FakePrometheus(Closing):
    """The Prometheus HTTP API on ``httpx.MockTransport``, answered by ``handler``.

    ::

        from sloscope.sources.prometheus.source import PrometheusSource
        from sloscope.testing import FakePrometheus, prometheus_counters

        handler = prometheus_counters(
            [{"__name__": "req_total", "code": "200"}, {"__name__": "req_total", "code": "500"}],
            levels=lambda labels, t: (t - start) / 6,   # each counter: 10 a minute
        )
        with FakePrometheus(handler) as prometheus:
            source = PrometheusSource(prometheus.url, client=prometheus.client())
            [counts] = source.fetch([sli], start, end, 60)
        assert prometheus.paths().count("/api/v1/query_range") == 1   # one per metric

    ``requests`` holds every request in arrival order (the source sends several at
    once; the list is safe to append to from its threads). Nothing is sent over the
    network, so timeouts and refused connections need a real server.
    """

    url = "http://prometheus.invalid"

    def __init__(self, handler: PrometheusHandler) -> None:
        self.handler = handler
        self.requests: list[PrometheusRequest] = []
        self._lock = threading.Lock()
        self._clients: list[httpx.Client] = []

    @property
    def transport(self) -> httpx.MockTransport:
        """A transport that answers every request with :attr:`handler`."""
        import httpx

        return httpx.MockTransport(self._answer)

    def client(self, **options: Any) -> httpx.Client:
        """An ``httpx.Client`` on this fake (closed when the ``with`` block ends)."""
        import httpx

        made = httpx.Client(transport=self.transport, **options)
        self._clients.append(made)
        return made

    def paths(self) -> list[str]:
        """The path of every request, in order."""
        return [r.path for r in self.requests]

    def close(self) -> None:
        """Close the clients :meth:`client` made."""
        for made in self._clients:
            made.close()

    def _answer(self, request: httpx.Request) -> httpx.Response:
        import httpx

        body = request.read().decode()
        form = parse_qs(body or request.url.query.decode(), keep_blank_values=True)
        seen = PrometheusRequest(
            request.method,
            request.url.path,
            form,
            {k.lower(): v for k, v in request.headers.items()},
        )
        with self._lock:
            self.requests.append(seen)
        answer = self.handler(seen)
        content, headers = answer.encode()
        return httpx.Response(answer.status, headers=headers, content=content)


class CapturingNotifier:
    """A notifier that records what it is sent instead of sending it.

    ::

        notifier = CapturingNotifier("pager")
        deliver_due(store, {"pager": notifier}, now=t)   # or route through the workspace
        assert [m.slo for m in notifier.messages] == ["place-order-availability"]

    ``fail_next(n)`` makes the next ``n`` deliveries fail (``retryable`` as given), so a
    test can see the outbox retry and dead-letter; failed attempts are kept in
    ``attempts`` but not in ``messages``. Thread-safe, as delivery may run in a worker.
    """

    def __init__(self, name: str = "capture") -> None:
        self.name = name
        #: Messages delivered, in order.
        self.messages: list[Notification] = []
        #: Every message handed to :meth:`send`, delivered or not.
        self.attempts: list[Notification] = []
        self._failures = 0
        self._retryable = True
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1, *, retryable: bool = True) -> None:
        """Fail the next ``count`` deliveries (a 503 when retryable, else a 400)."""
        with self._lock:
            self._failures = count
            self._retryable = retryable

    def send(self, message: Notification) -> DeliveryResult:
        """Record ``message``; delivered unless a failure was asked for."""
        from sloscope.alerting.notify.base import DeliveryResult

        with self._lock:
            self.attempts.append(message)
            if self._failures > 0:
                self._failures -= 1
                status = 503 if self._retryable else 400
                return DeliveryResult.failed(
                    f"{self.name}: HTTP {status} (asked for by fail_next)",
                    retryable=self._retryable,
                    status=status,
                )
            self.messages.append(message)
            return DeliveryResult.delivered(status=200)
