"""Backtests on generated histories with known incidents (sloscope.alerting.backtest).

Every history is 10 days of one-minute counts of one 99.9% / 30-day SLO, replayed from
day 3 to day 10 (a week) with the SRE workbook's policy, the default guard (100 events,
5 bad) and 15 minutes of resolve hysteresis: the setup ``sloscope backtest`` uses.
"""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.alerting.adjustments import Adjustment, excluded_steps
from sloscope.alerting.backtest import BacktestTarget, PolicySet, backtest
from sloscope.alerting.noise import default_pipeline
from sloscope.alerting.quality import Incident
from sloscope.alerting.spans import Lifetime
from sloscope.engine.windows import TrafficGuard, alert_policy
from sloscope.sources.base import CountSeries
from sloscope.spec.model import SLO, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector

DAY, MINUTE = 86400, 60
START = 1_795_000_000 - 1_795_000_000 % DAY  # day 0, midnight UTC
STEPS = 10 * 1440
FROM, TO = START + 3 * DAY, START + 10 * DAY
POLICY = alert_policy("google")._replace(guard=TrafficGuard(100, 5))
LIFETIME = Lifetime(MINUTE, resolve_after=15 * MINUTE)


def slo(name: str = "orders") -> SLO:
    return SLO(
        name=name,
        objective=0.999,
        window=RollingWindow(30 * DAY),
        sli=RatioSLI(total=parse_selector("req_total"), bad=parse_selector("err_total")),
    )


def at(day: int, hour: int = 0, minute: int = 0) -> int:
    return START + day * DAY + hour * 3600 + minute * MINUTE


def step_of(t: int) -> int:
    """The index of the step whose right edge is ``t``."""
    return (t - START) // MINUTE - 1


class History:
    """Per-minute counts: a steady rate, optional noise, and error bursts."""

    def __init__(self, per_minute: float = 1000.0) -> None:
        self.total = np.full(STEPS, per_minute)
        self.bad = np.zeros(STEPS)

    def noise(self, ratio: float, seed: int = 3) -> History:
        rng = np.random.default_rng(seed)
        self.bad += rng.binomial(self.total.astype(np.int64), ratio)
        return self

    def errors(self, start: int, end: int, ratio: float) -> History:
        """``ratio`` of the requests fail in the steps ending in ``(start, end]``."""
        a, b = step_of(start) + 1, step_of(end) + 1
        self.bad[a:b] = np.round(self.total[a:b] * ratio)
        return self

    def target(self, name: str = "orders", excluded: np.ndarray | None = None) -> BacktestTarget:
        counts = CountSeries(START, MINUTE, self.total - self.bad, self.total.copy(), series=2)
        return BacktestTarget("checkout", slo(name), counts, excluded)


def replay(
    *targets: BacktestTarget,
    incidents: list[Incident] | None = None,
    policy=POLICY,  # type: ignore[no-untyped-def]
    static: bool = False,
):  # type: ignore[no-untyped-def]
    return backtest(
        list(targets),
        [PolicySet("google", [policy] * len(targets))],
        LIFETIME,
        start=FROM,
        end=TO,
        pipeline=default_pipeline(),
        incidents=incidents,
        compare_static=static,
    )


def test_a_fast_burn_pages_within_minutes() -> None:
    begin = at(5, 12)
    history = History().noise(0.0002).errors(begin, begin + 30 * MINUTE, 0.3)
    result = replay(history.target(), incidents=[Incident("checkout", begin, begin + 1800)])
    (page,) = result.replays[0].alerts
    assert page.severity == "page"
    assert page.start - begin <= 5 * MINUTE
    assert result.replays[0].quality is not None
    assert result.replays[0].quality.recall == 1.0


def test_a_slow_burn_opens_a_ticket_and_pages_nobody() -> None:
    begin = at(4, 6)
    # 0.4% errors burn a 99.9% budget at 4x: above the 3x and 1x tickets, below the pages.
    history = History().noise(0.0002).errors(begin, begin + 2 * DAY, 0.004)
    result = replay(history.target())
    assert [a.severity for a in result.replays[0].alerts] == ["ticket"]
    assert result.replays[0].alerts[0].start < begin + DAY


def test_noise_alone_raises_nothing() -> None:
    # 0.02% errors: a fifth of the budget, with the binomial noise of 1000 requests/min.
    result = replay(History().noise(0.0002).target(), static=True)
    assert result.replays[0].alerts == ()
    assert result.static is not None


def test_a_low_traffic_services_stray_errors_raise_nothing() -> None:
    history = History(per_minute=0.0)
    history.total[::5] = 1.0  # one request every five minutes
    for night in (3, 5, 8):
        i = step_of(at(night, 3)) // 5 * 5
        history.bad[i] = 1.0  # one failed request on a quiet night
    assert replay(history.target()).replays[0].alerts == ()
    # The guard is what holds them: without it each one pages.
    unguarded = POLICY._replace(guard=TrafficGuard())
    assert len(replay(history.target(), policy=unguarded).replays[0].alerts) == 3


def test_a_maintenance_window_raises_nothing_and_leaves_the_budget_alone() -> None:
    begin = at(6, 2)
    history = History().errors(begin, begin + 3600, 1.0)  # everything fails for an hour
    maintenance = Adjustment.create(
        start=begin, duration=3600, reason="db upgrade", matchers=['service="checkout"']
    )
    times = START + MINUTE * np.arange(1, STEPS + 1)
    excluded = excluded_steps([maintenance], {"service": "checkout"}, times, MINUTE)
    assert excluded is not None
    assert replay(history.target(excluded=excluded)).replays[0].alerts == ()
    assert len(replay(history.target()).replays[0].alerts) == 1


def test_the_figures_match_a_hand_count() -> None:
    t0, burst, quiet = at(5, 12), at(7, 12), at(9, 12)
    history = History().errors(t0, t0 + 20 * MINUTE, 0.5).errors(burst, burst + 600, 0.5)
    incidents = [
        Incident("checkout", t0, t0 + 20 * MINUTE, "orders"),
        Incident("checkout", quiet, quiet + 3600, "orders"),  # nothing burns: missed
    ]
    result = replay(history.target(), incidents=incidents, static=True)
    main = result.replays[0]
    first, second = main.alerts
    # 500 bad of 1000 a minute burn at 500x: after 2 minutes the 1h burn is
    # 500 * 2/60 = 16.7 > 14.4, so the page fires at t0 + 2m.
    assert (first.severity, first.start - t0) == ("page", 120)
    # The 30m window of the 6h page holds errors until t0 + 49m; 15 minutes later, at
    # t0 + 64m, the page resolves. The tickets overlap it and fold into it.
    assert first.resolved_at - t0 == 64 * MINUTE
    assert sorted(k.severity for k in first.related) == ["ticket"]
    # Peak: the 1h window holding all 20 minutes of errors: 500 * 20 / 60.
    assert first.peak_burn_rate == pytest.approx(500 * 20 / 60)
    # Bad events from t0 + 1m to t0 + 63m: 19 minutes of 500, over the budget of the
    # 5 days and 63 minutes of 1000 requests a minute before t0 + 63m.
    assert first.budget_consumed == pytest.approx(19 * 500 / ((5 * 1440 + 12 * 60 + 63) * 1.0))
    assert second.start == burst + 120
    assert (main.started, main.alerts_per_week) == (2, 2.0)
    q = main.quality
    assert q is not None
    assert (q.precision, q.recall) == (0.5, 0.5)
    assert (q.detection_seconds_median, q.reset_seconds_median) == (120.0, 44 * 60.0)
    assert q.missed == (incidents[1],)
    assert [a.start for a in q.false_alerts] == [burst + 120]
    # The static policy fires while the 5-minute burn is above 1: from the first minute
    # of each burst until 5 minutes after it (no hysteresis): two alerts.
    assert result.static is not None
    assert [
        (a.start - s, a.last - s) for a, s in zip(result.static.alerts, (t0, burst), strict=True)
    ] == [
        (60, 24 * 60),
        (60, 14 * 60),
    ]


def test_two_slos_of_a_service_burning_at_once_notify_once() -> None:
    begin = at(5, 12)
    a = History().errors(begin, begin + 1800, 0.3).target("orders")
    b = History().errors(begin + 120, begin + 1800, 0.3).target("cart")
    (alert,) = replay(a, b).replays[0].alerts
    assert alert.slo == "orders"
    assert ("grouped", "cart", "page") in {(k.relation, k.slo, k.severity) for k in alert.related}


def test_an_alert_going_on_when_the_range_starts_is_listed_but_not_counted() -> None:
    history = History().errors(FROM - 1800, FROM + 600, 0.3)
    main = replay(history.target()).replays[0]
    assert [a.start < FROM for a in main.alerts] == [True]
    assert main.started == 0
