"""A small client for the Prometheus HTTP API: queries, retries and errors users can act on.

Only what the Prometheus source needs: ``/api/v1/query``, ``/api/v1/query_range``
(split into chunks under the server's 11,000 points per series) and ``/api/v1/series``.
Every request is a form POST, so long selectors never hit a URL length limit.

Failures become :class:`~sloscope.errors.SourceError` with the server's URL and what to
do, never a credential: the URL is shown without user info, and every secret the client
was given is scrubbed from any text before it is raised or logged. 5xx, 429 and
connection errors are retried with exponential backoff (``backoff × 2^attempt``, or the
server's ``Retry-After`` when it sends one, both capped); 4xx answers are not.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

from sloscope.deadline import deadline
from sloscope.errors import SourceError
from sloscope.secrets import Scrubber
from sloscope.sources.prometheus.settings import STEP_LIMIT, safe_url

log = logging.getLogger("sloscope.sources.prometheus")

#: Longest wait between two attempts, whatever the server asks for.
MAX_DELAY = 30.0
_RETRY_STATUS = frozenset({429}) | frozenset(range(500, 600))

Labels = dict[str, str]


@dataclass(frozen=True)
class RangeSeries:
    """One series of a range query: its labels, timestamps (s) and values."""

    labels: Labels
    timestamps: NDArray[np.int64]
    values: NDArray[np.float64]


class PrometheusAPI:
    """Requests to one Prometheus server, with retries and readable errors.

    ``client`` carries the authentication, TLS and timeouts (the source builds it);
    ``secrets`` are the credentials to scrub from every message.
    """

    def __init__(
        self,
        url: str,
        client: httpx.Client,
        *,
        timeout: float,
        max_retries: int,
        backoff: float,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.shown_url = safe_url(url)
        self.client = client
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.scrubber = Scrubber(secrets)
        self.sleep = sleep
        #: When the command in progress must be done with this server (monotonic), or None.
        self.command_deadline: float | None = None
        self.command_timeout = 0.0

    @contextlib.contextmanager
    def command(self, seconds: float) -> Iterator[None]:
        """Every request made inside the block, retries and waits included, ends within
        ``seconds`` of its start (``source.command_timeout``)."""
        self.command_deadline = time.monotonic() + seconds
        self.command_timeout = seconds
        try:
            yield
        finally:
            self.command_deadline = None

    # --- endpoints -----------------------------------------------------------------------

    def query(self, expr: str, at: int) -> list[tuple[Labels, float]]:
        """An instant query at ``at``: each result series' labels and value."""
        data = self._post("/api/v1/query", {"query": expr, "time": str(at)}, expr)
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            found = data.get("resultType") if isinstance(data, dict) else data
            raise self._error(f"expected an instant vector from {expr!r}, got {found!r}")
        with self._shape(expr):
            return [(dict(item["metric"]), _number(item["value"][1])) for item in data["result"]]

    def query_range(
        self, expr: str, first: int, last: int, step: int, step_limit: int = STEP_LIMIT
    ) -> list[RangeSeries]:
        """``expr`` at ``first``, ``first + step`` ... ``last``, in chunks of at most
        ``step_limit`` points; the series of all chunks, merged by label set.
        """
        points = (last - first) // step + 1
        # Each chunk's points become arrays at once: Python lists of every point of a
        # long range cost ~150 bytes a point.
        merged: dict[tuple[tuple[str, str], ...], list[tuple[NDArray[Any], NDArray[Any]]]] = {}
        for lo in range(0, points, step_limit):
            hi = min(points, lo + step_limit) - 1
            form = {
                "query": expr,
                "start": str(first + lo * step),
                "end": str(first + hi * step),
                "step": str(step),
            }
            data = self._post("/api/v1/query_range", form, expr)
            if not isinstance(data, dict) or data.get("resultType") != "matrix":
                found = data.get("resultType") if isinstance(data, dict) else data
                raise self._error(f"expected a range vector from {expr!r}, got {found!r}")
            with self._shape(expr):
                for item in data["result"]:
                    key = tuple(sorted(item["metric"].items()))
                    values = item["values"]
                    times = np.fromiter((round(float(v[0])) for v in values), np.int64, len(values))
                    numbers = np.fromiter((_number(v[1]) for v in values), np.float64, len(values))
                    merged.setdefault(key, []).append((times, numbers))
            del data
        return [
            RangeSeries(
                dict(key),
                np.concatenate([t for t, _ in parts]),
                np.concatenate([v for _, v in parts]),
            )
            for key, parts in merged.items()
        ]

    def series(self, selector: str | Sequence[str], start: int, end: int) -> list[Labels]:
        """Label sets of the series ``selector`` matches with samples in ``[start, end]``
        (several selectors: the series any of them matches, each once)."""
        selectors = [selector] if isinstance(selector, str) else list(selector)
        form: dict[str, str | list[str]] = {
            "match[]": selectors,
            "start": str(start),
            "end": str(end),
        }
        what = ", ".join(selectors)
        data = self._post("/api/v1/series", form, what)
        if not isinstance(data, list):
            raise self._error(f"expected a list of series for {what!r}")
        with self._shape(what):
            return [dict(item) for item in data]

    @contextlib.contextmanager
    def _shape(self, what: str) -> Iterator[None]:
        """An answer that is JSON but not the shape the API documents is bad input."""
        try:
            yield
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise self._error(
                f"answered {what!r} with data that is not a Prometheus API result "
                f"({type(exc).__name__}: {self.scrub(str(exc))[:100]}); is source.url a "
                "Prometheus-compatible server?"
            ) from None

    # --- transport -----------------------------------------------------------------------

    def _post(self, path: str, form: Mapping[str, str | list[str]], what: str) -> Any:
        """POST a form; the ``data`` of a successful answer, else :class:`SourceError`."""
        url = self.url + path
        body = {**form, "timeout": f"{self.timeout:g}s"}
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            at, by_command = self._deadline()
            try:
                with deadline(at):
                    response = self.client.post(url, data=body)
                if time.monotonic() > at:
                    # A client without the deadline transport (passed in) read past it.
                    raise httpx.ReadTimeout("the request's deadline has passed")
            except httpx.TimeoutException:
                if by_command:
                    raise self._command_expired(f"during {what!r}") from None
                if last:
                    raise self._error(
                        f"did not answer within {self.timeout:g}s ({attempts} attempt(s)) for "
                        f"{what!r}; raise source.timeout or evaluate a shorter range"
                    ) from None
                self._wait(attempt, None, "a timeout")
                continue
            except httpx.TransportError as exc:
                reason = self.scrub(str(exc)) or type(exc).__name__
                if _is_tls(reason):
                    raise self._error(
                        f"TLS handshake failed: {reason} (hint: set source.tls.ca_file to the "
                        "CA that signed the server's certificate)"
                    ) from None
                if last:
                    hint = "is it running, and is source.url (or SLOSCOPE_PROMETHEUS_URL) right?"
                    raise self._error(
                        f"cannot connect ({attempts} attempt(s)): {reason}; {hint}"
                    ) from None
                self._wait(attempt, None, reason)
                continue
            if response.status_code in _RETRY_STATUS and not last:
                self._wait(attempt, response.headers.get("retry-after"), response.status_code)
                continue
            return self._data(response, what, attempts)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _deadline(self) -> tuple[float, bool]:
        """When the next request must be over, and whether the command's deadline is it."""
        at = time.monotonic() + self.timeout
        if self.command_deadline is not None and self.command_deadline < at:
            return self.command_deadline, True
        return at, False

    def _command_expired(self, during: str) -> SourceError:
        return self._error(
            f"the command's time with the server ({self.command_timeout:g}s, "
            f"source.command_timeout) ran out {during}; raise it or evaluate a shorter range"
        )

    def _wait(self, attempt: int, retry_after: str | None, why: object) -> None:
        delay = min(MAX_DELAY, self.backoff * 2**attempt)
        if retry_after is not None:
            # An HTTP date instead of seconds: keep our own backoff.
            with contextlib.suppress(ValueError):
                delay = min(MAX_DELAY, max(0.0, float(retry_after)))
        if self.command_deadline is not None and time.monotonic() + delay >= self.command_deadline:
            raise self._command_expired(f"before a retry after {why}")
        log.info(
            "Prometheus at %s: %s; retry %d of %d in %.2fs",
            self.shown_url,
            why,
            attempt + 1,
            self.max_retries,
            delay,
        )
        self.sleep(delay)

    def _data(self, response: httpx.Response, what: str, attempts: int) -> Any:
        """The ``data`` of a successful answer; else the most helpful error there is."""
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if (
            response.status_code == 200
            and isinstance(payload, dict)
            and payload.get("status") == "success"
        ):
            return payload.get("data")
        raise self._failure(response, payload, what, attempts)

    def _failure(
        self, response: httpx.Response, payload: Any, what: str, attempts: int
    ) -> SourceError:
        status = response.status_code
        retried = f" after {attempts} attempts" if status in _RETRY_STATUS else ""
        if isinstance(payload, dict) and "error" in payload:
            kind = payload.get("errorType") or "error"
            message = self.scrub(str(payload["error"]))
            return self._error(f"HTTP {status}{retried} for {what!r}: {kind}: {message}")
        if status in (401, 403):
            return self._error(
                f"HTTP {status} {response.reason_phrase}: the server refused the credentials "
                "(check source.bearer_token, source.bearer_token_file or source.basic_auth)"
            )
        if status == 404:
            return self._error(
                f"HTTP 404 for {response.request.url.path}: no Prometheus API there (check "
                "source.url, including any --web.route-prefix such as /prometheus)"
            )
        if status == 200:
            return self._error(
                f"answered {what!r} with something that is not the Prometheus API (is "
                "source.url a Prometheus server, not a proxy's login page?)"
            )
        text = self.scrub(response.text.strip().replace("\n", " "))[:200]
        return self._error(f"HTTP {status} {response.reason_phrase}{retried}: {text}")

    def scrub(self, text: str) -> str:
        """``text`` with every credential this client holds replaced by ``***``."""
        return self.scrubber.scrub(text)

    def _error(self, message: str) -> SourceError:
        return SourceError(self.scrub(f"Prometheus at {self.shown_url}: {message}"))


def _number(text: object) -> float:
    """A sample value as Prometheus writes it (``"12"``, ``"NaN"``, ``"+Inf"``)."""
    return float(str(text))


def _is_tls(reason: str) -> bool:
    lowered = reason.lower()
    return "certificate" in lowered or "ssl" in lowered or "tls" in lowered


def single_series(found: Sequence[RangeSeries], expr: str, shown_url: str) -> RangeSeries | None:
    """The one series a count query returns, None for none; several is an error."""
    if len(found) <= 1:
        return found[0] if found else None
    shown = "; ".join(
        "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(s.labels.items())) + "}" for s in found[:5]
    )
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    raise SourceError(
        f"Prometheus at {shown_url}: the query {expr!r} returned {len(found)} series where one "
        f"was expected: {shown}{more} (hint: aggregate it, e.g. sum(...), so it gives one "
        "number per step)"
    )


def finite_or_zero(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """NaN counts (0/0 in an expression, NaN samples) count as no events."""
    return np.where(np.isnan(values), 0.0, values)
