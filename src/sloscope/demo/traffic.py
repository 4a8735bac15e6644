"""Synthetic request traffic: per-step counts of one HTTP route, drawn with numpy.

Everything here is pure: a seeded :class:`numpy.random.Generator` and a time grid in, arrays
of per-step counts out. The grid is the one of ``sources/base.py``: step ``i`` covers
``(start + i*step, start + (i+1)*step]``, so the counts of step ``i`` are what the scrape at
``start + (i+1)*step`` adds to the counters.

The shape of the traffic follows what production HTTP services look like:

- a diurnal curve (quiet around 03:00 UTC, a lunchtime and a larger evening peak, as a
  European audience makes), lighter on Saturdays and Sundays, and a slight growth trend;
- slow multiplicative noise (a smoothed random walk of a few percent) and Poisson noise
  on top, so no two minutes are alike;
- a small baseline of server errors, a little higher under load;
- log-normal latencies whose median rises slightly with load.

Incidents are :class:`Effect` objects that add errors or slow requests during a span.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

EffectKind = Literal["errors", "latency"]

_DAY = 86400
_WEEK = 7 * _DAY
# 1970-01-01 was a Thursday: day index 2 (Sat) and 3 (Sun) of the week counted from it.
_WEEKEND_DAYS = (2, 3)
_WEEKDAY_FACTOR = 1.08
_WEEKEND_FACTOR = 0.8  # 5 * 1.08 + 2 * 0.8 = 7: the weekly mean stays 1
_GROWTH_PER_30D = 0.04
_NOISE_SIGMA = 0.04
_NOISE_SMOOTH_SECONDS = 1800


@dataclass(frozen=True)
class RouteModel:
    """How one route of one service behaves when nothing is wrong.

    ``good_codes`` and ``error_codes`` give the shares of the status codes among the
    non-5xx and the 5xx answers. ``buckets`` are the finite boundaries (seconds) of the
    route's latency histogram; an empty tuple means the route exports no histogram.
    """

    service: str
    route: str
    mean_rps: float
    error_ratio: float
    diurnal_depth: float = 0.85
    good_codes: Mapping[str, float] = field(default_factory=lambda: {"200": 1.0})
    error_codes: Mapping[str, float] = field(default_factory=lambda: {"500": 1.0})
    buckets: tuple[float, ...] = ()
    latency_median: float = 0.08
    latency_sigma: float = 0.5

    @property
    def codes(self) -> tuple[str, ...]:
        """Every status code the route answers with, good ones first."""
        return (*self.good_codes, *self.error_codes)

    @property
    def key(self) -> tuple[str, str]:
        """``(service, route)``: how effects name the route they hit."""
        return (self.service, self.route)


@dataclass(frozen=True)
class Effect:
    """Something wrong on one route during ``(start, end]`` (Unix seconds).

    ``kind="errors"`` adds ``share`` to the route's error ratio; ``kind="latency"`` makes
    ``share`` of its requests slow (log-normal around ``slow_median`` seconds).
    """

    service: str
    route: str
    kind: EffectKind
    start: int
    end: int
    share: float
    slow_median: float = 0.6
    slow_sigma: float = 0.35


@dataclass(frozen=True)
class RouteTraffic:
    """Per-step counts of one route: what its counters add in each step.

    ``by_code`` has one row per entry of ``codes`` and one column per step.
    ``latency_bins`` (when the route has a histogram) has one row per bucket of
    ``buckets`` plus a last row for requests slower than the largest boundary; each row
    counts the requests *in* that bucket (not cumulative). ``latency_sum`` is the
    seconds spent per step. The histogram counts the same requests as ``by_code``.
    """

    service: str
    route: str
    codes: tuple[str, ...]
    by_code: NDArray[np.int64]
    buckets: tuple[float, ...]
    latency_bins: NDArray[np.int64] | None
    latency_sum: NDArray[np.float64] | None

    @property
    def total(self) -> NDArray[np.int64]:
        """Requests per step."""
        return np.asarray(self.by_code.sum(axis=0), dtype=np.int64)

    @property
    def errors(self) -> NDArray[np.int64]:
        """Requests answered with a 5xx code per step."""
        rows = [i for i, code in enumerate(self.codes) if code.startswith("5")]
        return np.asarray(self.by_code[rows].sum(axis=0), dtype=np.int64)

    def slower_than(self, threshold: float) -> NDArray[np.int64]:
        """Requests per step slower than ``threshold`` (one of ``buckets``)."""
        if self.latency_bins is None or threshold not in self.buckets:
            raise ValueError(f"{self.service} {self.route} has no bucket at {threshold}")
        first_slow = self.buckets.index(threshold) + 1
        return np.asarray(self.latency_bins[first_slow:].sum(axis=0), dtype=np.int64)


def step_ends(start: int, step: int, n_steps: int) -> NDArray[np.int64]:
    """Right edges of the ``n_steps`` steps after ``start``: the scrape times."""
    return start + step * np.arange(1, n_steps + 1, dtype=np.int64)


def _daily_shape(hours: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unnormalised traffic by hour of the UTC day: a floor, a lunch and an evening peak."""
    angle = 2.0 * np.pi / 24.0
    return np.asarray(
        0.18
        + 0.55 * np.exp(3.0 * (np.cos(angle * (hours - 11.0)) - 1.0))
        + 0.8 * np.exp(3.5 * (np.cos(angle * (hours - 19.0)) - 1.0)),
        dtype=np.float64,
    )


# Normalised on a one-minute grid of one day, so the daily mean is 1.
_DAILY_MEAN = float(np.mean(_daily_shape(np.arange(0, 24, 1 / 60))))


def load_curve(times: NDArray[np.int64], start: int) -> NDArray[np.float64]:
    """Relative traffic at ``times`` (Unix seconds, UTC), with a mean close to 1.

    Two daily peaks (around 11:00 and 19:00 UTC) over a floor, weekdays busier than
    weekends, and a growth of a few percent a month counted from ``start``.
    """
    daily = _daily_shape((times % _DAY) / 3600.0) / _DAILY_MEAN
    weekday = (times // _DAY) % 7
    week = np.where(np.isin(weekday, _WEEKEND_DAYS), _WEEKEND_FACTOR, _WEEKDAY_FACTOR)
    trend = 1.0 + _GROWTH_PER_30D * (times - start) / (30 * _DAY)
    return np.asarray(daily * week * trend, dtype=np.float64)


def _smooth_noise(rng: np.random.Generator, n: int, step: int) -> NDArray[np.float64]:
    """Slowly varying multiplicative noise around 1 (a few percent)."""
    width = max(1, _NOISE_SMOOTH_SECONDS // step)
    white = rng.standard_normal(n + width - 1)
    smooth = np.convolve(white, np.ones(width) / math.sqrt(width), mode="valid")
    return np.asarray(np.exp(_NOISE_SIGMA * smooth), dtype=np.float64)


def _split(
    rng: np.random.Generator, n: NDArray[np.int64], shares: Sequence[float]
) -> NDArray[np.int64]:
    """Split counts ``n`` (per step) into ``len(shares)`` rows, multinomially.

    Drawn as a chain of binomials (each share of what is left), which numpy vectorises
    over steps and which works with per-step shares too.
    """
    out = np.empty((len(shares), n.shape[0]), dtype=np.int64)
    left = n.copy()
    rest = 1.0
    for i, share in enumerate(shares[:-1]):
        p = min(1.0, max(0.0, share / rest)) if rest > 0 else 0.0
        out[i] = rng.binomial(left, p)
        left -= out[i]
        rest -= share
    out[-1] = left
    return out


def _norm_cdf(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The standard normal CDF, elementwise."""
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return np.asarray(0.5 * (1.0 + erf(x / math.sqrt(2.0))), dtype=np.float64)


def _lognormal_bins(
    rng: np.random.Generator,
    n: NDArray[np.int64],
    median: NDArray[np.float64],
    sigma: float,
    bounds: tuple[float, ...],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Histogram bin counts and the latency sum of ``n`` log-normal requests per step.

    Bin ``j`` holds requests in ``(bounds[j-1], bounds[j]]``, the last bin those above
    ``bounds[-1]``. The sum uses each bin's conditional mean, so it is consistent with
    the counts (a bin's requests are never credited with a latency outside it).
    """
    mu = np.log(median)
    edges = np.log(np.asarray(bounds, dtype=np.float64))[:, None]
    cdf = np.vstack([np.zeros_like(mu), _norm_cdf((edges - mu) / sigma), np.ones_like(mu)])
    # Partial expectations E[X; X <= b] = exp(mu + s^2/2) * Phi((ln b - mu - s^2) / s).
    partial = np.vstack(
        [np.zeros_like(mu), _norm_cdf((edges - mu - sigma**2) / sigma), np.ones_like(mu)]
    ) * np.exp(mu + sigma**2 / 2.0)
    p_bin = np.diff(cdf, axis=0)
    mean_bin = np.diff(partial, axis=0) / np.maximum(p_bin, 1e-300)
    counts = np.empty((len(bounds) + 1, n.shape[0]), dtype=np.int64)
    left = n.copy()
    rest = np.ones_like(mu)
    for j in range(len(bounds)):
        p = np.clip(np.divide(p_bin[j], rest, out=np.zeros_like(rest), where=rest > 0), 0, 1)
        counts[j] = rng.binomial(left, p)
        left -= counts[j]
        rest = rest - p_bin[j]
    counts[-1] = left
    return counts, (counts * mean_bin).sum(axis=0)


def simulate_route(
    model: RouteModel,
    effects: Sequence[Effect],
    rng: np.random.Generator,
    *,
    start: int,
    step: int,
    n_steps: int,
) -> RouteTraffic:
    """Draw ``n_steps`` steps of traffic of one route, with the effects that hit it."""
    times = step_ends(start, step, n_steps)
    load = load_curve(times, start)
    shape = 1.0 - model.diurnal_depth + model.diurnal_depth * load
    rate = model.mean_rps * shape * _smooth_noise(rng, n_steps, step)
    total = rng.poisson(rate * step).astype(np.int64)

    # Slightly more errors under load, as queues fill and timeouts trip.
    error_ratio = model.error_ratio * (0.7 + 0.3 * shape)
    slow_share = np.zeros(n_steps)
    slow_median = np.full(n_steps, 0.6)
    slow_sigma = 0.35
    for effect in effects:
        if (effect.service, effect.route) != model.key:
            continue
        hit = (times > effect.start) & (times <= effect.end)
        if effect.kind == "errors":
            error_ratio = np.where(hit, error_ratio + effect.share, error_ratio)
        else:
            slow_share = np.where(hit, effect.share, slow_share)
            slow_median = np.where(hit, effect.slow_median, slow_median)
            slow_sigma = effect.slow_sigma
    error_ratio = np.clip(error_ratio, 0.0, 1.0)

    errors = rng.binomial(total, error_ratio)
    good = total - errors
    by_code = np.vstack(
        [
            _split(rng, good, list(model.good_codes.values())),
            _split(rng, errors, list(model.error_codes.values())),
        ]
    )
    if not model.buckets:
        return RouteTraffic(model.service, model.route, model.codes, by_code, (), None, None)

    slow = rng.binomial(total, slow_share)
    median = model.latency_median * (1.0 + 0.05 * (shape - 1.0))
    bins, seconds = _lognormal_bins(rng, total - slow, median, model.latency_sigma, model.buckets)
    slow_bins, slow_seconds = _lognormal_bins(rng, slow, slow_median, slow_sigma, model.buckets)
    return RouteTraffic(
        model.service,
        model.route,
        model.codes,
        by_code,
        model.buckets,
        bins + slow_bins,
        seconds + slow_seconds,
    )
