"""Write per-step route counts as OpenMetrics text with timestamps (seconds).

Counters are cumulative and start at a value the process had already counted before the
range (a real scrape never starts at 0); the first sample, at ``start``, only sets that
value. Histograms are written Metric by Metric, each MetricPoint (one timestamp) as its
``_bucket`` lines in ``le`` order, then ``_count`` and ``_sum``, as the OpenMetrics text
format requires. Text is built per chunk of timestamps and written as it goes, so a file
of hundreds of megabytes never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from sloscope.demo.traffic import RouteTraffic

REQUESTS = "http_requests"
DURATION = "http_request_duration_seconds"
_CHUNK = 8192


@dataclass(frozen=True)
class CounterReset:
    """A counter that restarted from 0 (a process restart) in the generated data.

    ``series`` is the series as written (``name{labels}``); ``at`` the timestamp of the
    first sample after the restart. Its value there is what was counted since.
    """

    series: str
    at: int


@dataclass(frozen=True)
class Written:
    """What a writer produced: sample lines, series and bytes (the text is ASCII)."""

    samples: int
    series: int
    bytes: int


def format_le(bound: float) -> str:
    """A bucket boundary as Prometheus clients write it (``0.3``, ``1.0``, ``+Inf``)."""
    return "+Inf" if bound == float("inf") else repr(float(bound))


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _cumulative(
    increments: NDArray[np.int64], offset: int, reset_index: int | None
) -> NDArray[np.int64]:
    """Counter values at ``start`` and after each step; a reset restarts from 0.

    With a reset at sample ``k`` (1-based step index), the value there is what step
    ``k`` added, so a reader that handles resets as Prometheus does loses nothing.
    """
    values = np.concatenate([[offset], offset + np.cumsum(increments)])
    if reset_index is not None:
        values[reset_index:] -= values[reset_index - 1]
    return values


class _Out:
    """A text sink that counts what it wrote."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bytes = 0
        self.samples = 0

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.bytes += len(text)


def _write_series(out: _Out, prefix: str, values: Sequence[object], times: Sequence[int]) -> None:
    """One counter series: ``prefix value timestamp`` per sample, in chunks."""
    for lo in range(0, len(times), _CHUNK):
        hi = lo + _CHUNK
        out.write(
            "".join(
                [f"{prefix}{v} {t}\n" for v, t in zip(values[lo:hi], times[lo:hi], strict=True)]
            )
        )
    out.samples += len(times)


def _write_histogram_metric(
    out: _Out, columns: Sequence[tuple[str, Sequence[object]]], times: Sequence[int]
) -> None:
    """One histogram Metric: per timestamp, its bucket, count and sum lines together."""
    for lo in range(0, len(times), _CHUNK):
        hi = lo + _CHUNK
        chunk_times = times[lo:hi]
        lines = [
            [f"{prefix}{v} {t}\n" for v, t in zip(values[lo:hi], chunk_times, strict=True)]
            for prefix, values in columns
        ]
        out.write("".join(chain.from_iterable(zip(*lines, strict=True))))
    out.samples += len(times) * len(columns)


def write_openmetrics(
    stream: TextIO,
    routes: Iterable[RouteTraffic],
    *,
    start: int,
    step: int,
    rng: np.random.Generator,
    reset: tuple[str, str, str, int] | None = None,
) -> tuple[Written, CounterReset | None]:
    """Write ``http_requests_total`` and the latency histograms of ``routes``.

    ``reset`` names one counter series ``(service, route, code, step_index)`` that
    restarts from 0 at the sample ``start + step_index * step``.
    """
    routes = list(routes)
    n_steps = routes[0].by_code.shape[1] if routes else 0
    times = (start + step * np.arange(n_steps + 1, dtype=np.int64)).tolist()
    out = _Out(stream)
    # Counters first, then histograms: the order the generator draws the uptimes in.
    counters, done_reset = _write_counters(out, routes, times, rng, reset)
    histograms = _write_histograms(out, routes, times, rng)
    out.write("# EOF\n")
    return Written(out.samples, counters + histograms, out.bytes), done_reset


def _write_counters(
    out: _Out,
    routes: Sequence[RouteTraffic],
    times: Sequence[int],
    rng: np.random.Generator,
    reset: tuple[str, str, str, int] | None,
) -> tuple[int, CounterReset | None]:
    """The ``http_requests_total`` Metric; the number of series and the reset written."""
    out.write(f"# HELP {REQUESTS} HTTP requests answered, by route and status code.\n")
    out.write(f"# TYPE {REQUESTS} counter\n")
    series = 0
    done_reset: CounterReset | None = None
    for traffic in routes:
        # How much the process had counted before the range: a few hours to days of uptime.
        uptime_steps = int(rng.integers(60, 5 * 1440))
        for row, code in enumerate(traffic.codes):
            increments = traffic.by_code[row]
            offset = round(float(increments.mean()) * uptime_steps)
            prefix = f"{REQUESTS}_total" + _labels(
                service=traffic.service, route=traffic.route, code=code
            )
            reset_index = None
            if reset is not None and reset[:3] == (traffic.service, traffic.route, code):
                reset_index = reset[3]
                done_reset = CounterReset(prefix, times[reset_index])
            values = _cumulative(increments, offset, reset_index)
            _write_series(out, prefix + " ", values.tolist(), times)
            series += 1
    return series, done_reset


def _write_histograms(
    out: _Out, routes: Sequence[RouteTraffic], times: Sequence[int], rng: np.random.Generator
) -> int:
    """The latency histogram Metric of the routes that have one; the number of series."""
    series = 0
    histograms = [t for t in routes if t.latency_bins is not None and t.latency_sum is not None]
    if histograms:
        out.write(f"# HELP {DURATION} HTTP request latency in seconds, by route.\n")
        out.write(f"# TYPE {DURATION} histogram\n")
    for traffic in histograms:
        columns = _histogram_columns(traffic, int(rng.integers(60, 5 * 1440)))
        _write_histogram_metric(out, columns, times)
        series += len(columns)
    return series


def _histogram_columns(
    traffic: RouteTraffic, uptime_steps: int
) -> list[tuple[str, Sequence[object]]]:
    """Each bucket, count and sum line prefix of one route, with its values over time."""
    assert traffic.latency_bins is not None
    assert traffic.latency_sum is not None
    bins = np.vstack(
        [
            _cumulative(row, round(float(row.mean()) * uptime_steps), None)
            for row in traffic.latency_bins
        ]
    )
    buckets = np.cumsum(bins, axis=0)
    seconds = np.concatenate(
        [[float(traffic.latency_sum.mean()) * uptime_steps], np.cumsum(traffic.latency_sum)]
    )
    seconds[1:] += seconds[0]
    labels = {"service": traffic.service, "route": traffic.route}
    columns: list[tuple[str, Sequence[object]]] = []
    for bound, row in zip((*traffic.buckets, float("inf")), buckets, strict=True):
        prefix = f"{DURATION}_bucket" + _labels(**labels, le=format_le(bound))
        columns.append((prefix + " ", row.tolist()))
    columns.append((f"{DURATION}_count{_labels(**labels)} ", buckets[-1].tolist()))
    columns.append((f"{DURATION}_sum{_labels(**labels)} ", [f"{s:.3f}" for s in seconds.tolist()]))
    return columns
