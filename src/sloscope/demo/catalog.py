"""What the demo services are and what goes wrong with them.

The routes here are the ones the packaged specs (``demo/specs/*.yaml``) select; a test
checks that every selector of those specs matches a generated series and that every
latency threshold is a bucket boundary here.

The incidents are placed relative to ``end`` (the time the demo report is made), so that
the report at ``end`` and a backtest over the whole range both have something to find.
Figures are for the default 30 days at 60 s (the unit tests check them):

==================  ====================  ==============================================
kind                where                 what the report at ``end`` / a backtest sees
==================  ====================  ==============================================
fast-burn           checkout ``/orders``  35% errors for 45 min at 14:10 UTC on the
                                          weekday 4+ days before ``end``: pages on
                                          place-order-availability (about 59% of its
                                          budget consumed: the one SLO past 50%) and on
                                          place-order-good-minutes (45 bad minutes, 22%)
latency-regression  checkout ``/orders``  a release makes 15% of orders slower than
                                          300ms, 10:00-13:00 UTC on the weekday 9+ days
                                          before ``end``, until its rollback: pages
                                          place-order-latency (about 36% consumed)
slow-burn           search ``/search``    +0.4% errors for 2 days from 06:00 UTC 17
                                          days before ``end``: tickets (1d/2h, 3d/6h),
                                          no page; about 41% consumed
recent-burn         identity ``/login``   3% errors from 45 to 15 min before ``end``:
                                          30m and 1h burn rates about 30, 6h about 7;
                                          the 1h/5m page has reset (the 5m window is
                                          clear) while the 6h/30m page still fires
==================  ====================  ==============================================

Every other SLO spends 15-30% of its budget on baseline errors and slow requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sloscope.demo.traffic import Effect, RouteModel

IncidentKind = Literal["fast-burn", "slow-burn", "latency-regression", "recent-burn"]

_DAY = 86400
_HOUR = 3600
_MINUTE = 60

DEMO_ROUTES: tuple[RouteModel, ...] = (
    RouteModel(
        service="checkout",
        route="/orders",
        mean_rps=40.0,
        error_ratio=0.0002,
        diurnal_depth=0.9,
        error_codes={"500": 0.6, "503": 0.4},
        buckets=(0.1, 0.3, 1.0, 2.5),
        latency_median=0.08,
        # P(latency > 300ms) is about 0.25% at the median load.
        latency_sigma=0.47,
    ),
    RouteModel(
        service="checkout",
        route="/cart",
        mean_rps=120.0,
        error_ratio=0.0008,
        diurnal_depth=0.85,
    ),
    RouteModel(
        service="search",
        route="/search",
        mean_rps=250.0,
        error_ratio=0.0001,
        diurnal_depth=0.8,
        buckets=(0.1, 0.25, 0.5, 1.0),
        latency_median=0.06,
        # P(latency > 250ms) is about 0.1%.
        latency_sigma=0.46,
    ),
    RouteModel(
        service="identity",
        route="/login",
        mean_rps=60.0,
        error_ratio=0.0001,
        diurnal_depth=0.85,
        good_codes={"200": 0.96, "401": 0.04},
        buckets=(0.1, 0.3, 1.0, 2.5),
        # Password hashing makes logins slower than the rest; P(> 300ms) about 0.1%.
        latency_median=0.12,
        latency_sigma=0.3,
    ),
    RouteModel(
        service="identity",
        route="/token",
        mean_rps=150.0,
        error_ratio=0.0002,
        # Apps refresh tokens in the background, so the curve is flatter.
        diurnal_depth=0.5,
    ),
)


@dataclass(frozen=True)
class Incident:
    """An injected incident: what a backtest should find (times are Unix seconds).

    One incident hurts one SLO; an outage that hurts two SLOs is listed twice.
    """

    service: str
    slo: str
    start: int
    end: int
    kind: IncidentKind
    description: str = ""


@dataclass(frozen=True)
class Deployment:
    """A release of a service at ``at`` (Unix seconds), as ``sloscope deploy`` records it."""

    service: str
    version: str
    at: int
    description: str = ""


@dataclass(frozen=True)
class IncidentPlan:
    """The effects to draw into the traffic and the incidents they amount to."""

    effects: tuple[Effect, ...]
    incidents: tuple[Incident, ...]
    deployments: tuple[Deployment, ...]


def _weekday_before(day_start: int) -> int:
    """The start of the latest weekday (Mon-Fri, UTC) at or before ``day_start``."""
    # Day 0 (1970-01-01) was a Thursday, so days 2 and 3 of each week are Sat and Sun.
    while (day_start // _DAY) % 7 in (2, 3):
        day_start -= _DAY
    return day_start


def _snap(t: int, start: int, step: int) -> int:
    """``t`` moved to the nearest scrape time of the grid that starts at ``start``."""
    return start + round((t - start) / step) * step


def plan_demo_incidents(start: int, end: int, step: int) -> IncidentPlan:
    """Place the demo's incidents and deployments in ``(start, end]``.

    Incidents that do not fit entirely in the range (a short ``days``) are left out;
    the recent burn always fits when the range is longer than an hour.
    """
    midnight = end - end % _DAY
    fast_day = _weekday_before(midnight - 4 * _DAY)
    regression_day = _weekday_before(midnight - 9 * _DAY)
    slow_day = midnight - 17 * _DAY

    def span(a: int, b: int) -> tuple[int, int]:
        return _snap(a, start, step), _snap(b, start, step)

    fast = span(fast_day + 14 * _HOUR + 10 * _MINUTE, fast_day + 14 * _HOUR + 55 * _MINUTE)
    regression = span(regression_day + 10 * _HOUR, regression_day + 13 * _HOUR)
    slow = span(slow_day + 6 * _HOUR, slow_day + 2 * _DAY + 6 * _HOUR)
    recent = span(end - 45 * _MINUTE, end - 15 * _MINUTE)

    candidates: list[tuple[Effect, tuple[Incident, ...]]] = [
        (
            Effect("checkout", "/orders", "errors", *fast, share=0.35),
            tuple(
                Incident(
                    "checkout",
                    slo,
                    *fast,
                    kind="fast-burn",
                    description="payment provider outage: 35% of orders fail with 500/503",
                )
                for slo in ("place-order-availability", "place-order-good-minutes")
            ),
        ),
        (
            Effect("checkout", "/orders", "latency", *regression, share=0.15),
            (
                Incident(
                    "checkout",
                    "place-order-latency",
                    *regression,
                    kind="latency-regression",
                    description="a release adds a synchronous fraud check: "
                    "15% of orders take about 600ms until the rollback",
                ),
            ),
        ),
        (
            Effect("search", "/search", "errors", *slow, share=0.004),
            (
                Incident(
                    "search",
                    "search-availability",
                    *slow,
                    kind="slow-burn",
                    description="one index shard times out: 0.4% of searches fail for 2 days",
                ),
            ),
        ),
        (
            Effect("identity", "/login", "errors", *recent, share=0.03),
            (
                Incident(
                    "identity",
                    "login-availability",
                    *recent,
                    kind="recent-burn",
                    description="session store failover: 3% of logins fail",
                ),
            ),
        ),
    ]
    kept = [(e, i) for e, i in candidates if start <= e.start < e.end <= end]
    effects = tuple(e for e, _ in kept)
    incidents = tuple(i for _, group in kept for i in group)
    return IncidentPlan(effects, incidents, _deployments(start, end, regression))


def _deployments(start: int, end: int, regression: tuple[int, int]) -> tuple[Deployment, ...]:
    """Routine releases on weekdays, plus the bad release and its rollback.

    Drawn from their own seeded generator so they never change the traffic. Versions count
    up per service in time order; the rollback redeploys the version before the bad one.
    """
    rng = np.random.default_rng(2024)
    planned: list[tuple[int, str, str]] = []
    day = start - start % _DAY + _DAY
    while day < end - _DAY:
        for service in ("checkout", "search", "identity"):
            if (day // _DAY) % 7 in (2, 3) or rng.random() > 0.4:
                continue
            at = day + int(rng.integers(9 * _HOUR, 16 * _HOUR)) // _MINUTE * _MINUTE
            # Keep the day around the bad release free of other checkout releases.
            if service != "checkout" or not regression[0] - _DAY < at < regression[1] + _DAY:
                planned.append((at, service, "release"))
        day += _DAY
    if start <= regression[0] and regression[1] <= end:
        planned += [(regression[0], "checkout", "bad"), (regression[1], "checkout", "rollback")]
    minor = {"checkout": 30, "search": 11, "identity": 7}
    found: list[Deployment] = []
    for at, service, what in sorted(planned):
        if what == "rollback":
            found.append(
                Deployment(
                    service, f"1.{minor[service] - 1}.0", at, "rollback: revert the bad release"
                )
            )
            continue
        minor[service] += 1
        note = "adds a synchronous fraud check to order placement" if what == "bad" else ""
        found.append(Deployment(service, f"1.{minor[service]}.0", at, note))
    return tuple(found)
