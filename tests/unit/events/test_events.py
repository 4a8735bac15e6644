"""Deployments and incidents: the incident timeline, change failure rate, impact and
priority, repeat incidents, MTTA and MTTR, each with hand-computed figures."""

from __future__ import annotations

import numpy as np
import pytest

from sloscope.errors import RequestError
from sloscope.events.changes import FailureRate, change_failure_rate, deployment_outcomes
from sloscope.events.impact import SLOImpact, incident_impact
from sloscope.events.model import Deployment, Incident, Page, advance, open_incident
from sloscope.events.priority import PriorityRule, incident_priority
from sloscope.events.response import repeat_rate, repeats, response_times
from sloscope.spec.model import SLO, RatioSLI, RollingWindow, TimeslicesSLI
from sloscope.spec.selectors import parse_selector

T0 = 1_795_176_000  # 2026-11-20T12:00:00Z
MIN = 60
HOUR = 3600
DAY = 86_400

RATIO = RatioSLI(
    total=parse_selector('http_requests_total{service="checkout"}'),
    bad=parse_selector('http_requests_total{service="checkout", code=~"5.."}'),
)


def incident(
    id: str,
    start: int,
    *,
    service: str = "checkout",
    slos: tuple[str, ...] = ("availability",),
    tags: tuple[str, ...] = (),
    ack: int | None = None,
    mitigate: int | None = None,
    resolve: int | None = None,
) -> Incident:
    made = open_incident(id, service, start, slos=slos, cause_tags=tags)
    for state, at in (("acknowledged", ack), ("mitigated", mitigate), ("resolved", resolve)):
        if at is not None:
            made = advance(made, state, at)  # type: ignore[arg-type]
    return made


# --- the timeline ------------------------------------------------------------------------


def test_an_incident_timeline_gives_its_times_and_a_resolution_counts_as_mitigation() -> None:
    made = incident("i1", T0, ack=T0 + 4 * MIN, resolve=T0 + HOUR)
    assert (made.start, made.acknowledged, made.mitigated, made.resolved) == (
        T0,
        T0 + 4 * MIN,
        T0 + HOUR,
        T0 + HOUR,
    )
    assert [e.state for e in made.timeline] == ["open", "acknowledged", "resolved"]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("resolved", T0 - 1)], "cannot resolve incident i1 at 2026-11-20T11:59:59Z: it opened"),
        ([("acknowledged", T0), ("acknowledged", T0 + 1)], "already acknowledged"),
        ([("resolved", T0 + 5), ("mitigated", T0 + 6)], "was resolved at 2026-11-20T12:00:05Z"),
        ([("mitigated", T0 + 9), ("resolved", T0 + 8)], "before its mitigation"),
        ([("open", T0)], "already open"),
    ],
)
def test_a_step_that_cannot_follow_is_a_request_error(
    steps: list[tuple[str, int]], message: str
) -> None:
    made = open_incident("i1", "checkout", T0)
    for state, at in steps[:-1]:
        made = advance(made, state, at)  # type: ignore[arg-type]
    last_state, last_at = steps[-1]
    with pytest.raises(RequestError, match=message):
        advance(made, last_state, last_at)  # type: ignore[arg-type]


# --- change failure rate -----------------------------------------------------------------


def test_a_deployment_fails_when_an_incident_or_page_follows_within_the_hour_before_the_next():
    """checkout: d1 at T0, d2 at +30m, d3 at +3h; an SLO incident at +40m fails d2 (not
    d1: d2 came between), a page at +3h59m59s fails d3. search: s1 at T0 and an incident
    with no SLO at +5m, which is not SLO-impacting. CFR: checkout 2/3, search 0/1, 2/4."""
    deployments = [
        Deployment("checkout", "1.0", T0),
        Deployment("checkout", "1.1", T0 + 30 * MIN),
        Deployment("checkout", "1.2", T0 + 3 * HOUR),
        Deployment("search", "7", T0),
    ]
    incidents = [
        incident("i1", T0 + 40 * MIN),
        incident("i2", T0 + 5 * MIN, service="search", slos=()),
    ]
    pages = [Page("checkout", T0 + 4 * HOUR - 1)]
    outcomes = deployment_outcomes(deployments, incidents, pages)
    assert [(o.deployment.version, o.failed_by) for o in outcomes] == [
        ("1.0", None),
        ("7", None),
        ("1.1", "incident i1"),
        ("1.2", "page at 2026-11-20T15:59:59Z"),
    ]
    report = change_failure_rate(deployments, incidents, pages, begin=T0, end=T0 + DAY)
    assert report.by_service == {"checkout": FailureRate(3, 2), "search": FailureRate(1, 0)}
    assert report.overall == FailureRate(4, 2)
    assert report.overall.rate == 0.5


def test_a_failure_exactly_one_window_after_the_deployment_does_not_count() -> None:
    deployments = [Deployment("checkout", "1.0", T0)]
    assert not deployment_outcomes(deployments, [], [Page("checkout", T0 + HOUR)])[0].failed
    assert deployment_outcomes(
        deployments, [], [Page("checkout", T0 + HOUR)], failure_window=2 * HOUR
    )[0].failed


def test_the_range_selects_deployments_and_a_failure_after_it_still_counts() -> None:
    deployments = [Deployment("checkout", "1.0", T0), Deployment("checkout", "1.1", T0 + DAY)]
    pages = [Page("checkout", T0 + DAY + 10 * MIN)]
    report = change_failure_rate(deployments, [], pages, begin=T0 + HOUR, end=T0 + DAY + 1)
    assert report.overall == FailureRate(1, 1)


def test_no_deployments_is_no_rate_not_zero() -> None:
    assert change_failure_rate([], [], begin=T0, end=T0 + DAY).overall.rate is None


# --- impact and priority -----------------------------------------------------------------


def _day_of_counts(bad_per_minute: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    total = np.full(1440, 100.0)
    good = total.copy()
    for minute, bad in bad_per_minute.items():
        good[minute] -= bad
    return good, total


def test_the_impact_is_the_share_of_the_windows_budget_lost_and_its_outage_minutes() -> None:
    """1 day of 100 events/min (144,000); a 99.9% 1d SLO may fail 144. An incident of
    10 minutes with 3 bad events/min costs 30 / 144 = 20.83% of the budget, which is
    0.2083 × 1440 min × 0.001 = 0.3 minutes of full outage (30 events at 100/min)."""
    slo = SLO("availability", 0.999, RollingWindow(DAY), RATIO)
    start = T0 - DAY
    good, total = _day_of_counts(dict.fromkeys(range(1000, 1010), 3.0))
    # Steps 1000..1009 have right edges start + 1001 min .. start + 1010 min.
    impact = incident_impact(
        slo, good, total, start=start, step=MIN, began=start + 1000 * MIN, mitigated=T0
    )
    assert impact.bad == 30.0
    assert impact.window_total == 144_000.0
    assert impact.consumed == pytest.approx(30 / 144)
    assert impact.outage_minutes == pytest.approx(0.3)


def test_bad_events_before_the_incident_started_are_not_its_impact() -> None:
    slo = SLO("availability", 0.999, RollingWindow(DAY), RATIO)
    start = T0 - DAY
    good, total = _day_of_counts({10: 50.0, 1000: 3.0})
    impact = incident_impact(
        slo, good, total, start=start, step=MIN, began=start + 999 * MIN, mitigated=T0
    )
    assert impact.bad == 3.0


def test_a_timeslice_slo_counts_bad_slices() -> None:
    """5-minute slices at 99% of good events: one slice with 3% bad events is bad. The
    1d window has 288 slices, 1% budget = 2.88 slices, so one bad slice = 34.72%."""
    slo = SLO("good-minutes", 0.99, RollingWindow(DAY), TimeslicesSLI(RATIO, 300, 0.99))
    start = T0 - DAY
    good, total = _day_of_counts({1002: 15.0})
    impact = incident_impact(
        slo, good, total, start=start, step=MIN, began=start + 1000 * MIN, mitigated=T0
    )
    assert impact.bad == 1.0
    assert impact.consumed == pytest.approx(1 / 2.88)


@pytest.mark.parametrize(
    ("consumed", "priority", "reason"),
    [
        (0.25, "P1", "availability lost 25% of its error budget (P1 from 20%)"),
        (0.2, "P1", "availability lost 20% of its error budget (P1 from 20%)"),
        (0.199, "P2", "availability lost 19.9% of its error budget (P2 from 5%)"),
        (0.01, "P3", "availability lost 1% of its error budget (P3 from 1%)"),
        (0.004, "P4", "availability lost 0.4% of its error budget (below 1%)"),
    ],
)
def test_priority_follows_the_largest_impact(consumed: float, priority: str, reason: str) -> None:
    impacts = [
        SLOImpact("latency", 0.001, 0.0, 1.0, 1000.0),
        SLOImpact("availability", consumed, 0.0, 1.0, 1000.0),
        SLOImpact("no-data", None, None, 0.0, 0.0),
    ]
    found = incident_priority(impacts)
    assert (found.priority, found.reason) == (priority, reason)


def test_priority_thresholds_are_configurable_and_no_data_gives_the_lowest() -> None:
    rules = [PriorityRule("SEV1", 0.5)]
    assert incident_priority([SLOImpact("a", 0.6, 0, 0, 0)], rules, "SEV2").priority == "SEV1"
    assert incident_priority([SLOImpact("a", None, None, 0, 0)], rules, "SEV2").priority == "SEV2"


# --- repeats, MTTA, MTTR -----------------------------------------------------------------


def test_same_slo_and_cause_tag_within_thirty_days_is_a_repeat() -> None:
    first = incident("a", T0, tags=("db-failover",))
    again = incident("b", T0 + 29 * DAY, tags=("db-failover", "config"))
    other_tag = incident("c", T0 + 2 * DAY, tags=("config-push",))
    other_slo = incident("d", T0 + 3 * DAY, slos=("latency",), tags=("db-failover",))
    late = incident("e", T0 + 60 * DAY, tags=("db-failover",))
    found = repeats([first, again, other_tag, other_slo, late])
    assert found == {"b": "a"}
    assert repeats([first, again], window=28 * DAY) == {}
    # Of the 4 incidents from T0 + 1d, one (b) repeats an earlier one.
    everything = [first, again, other_tag, other_slo, late]
    assert repeat_rate(everything, begin=T0 + DAY, end=T0 + 90 * DAY) == 0.25


def test_mtta_and_mttr_average_the_incidents_that_reached_each_step() -> None:
    """a: ack 4 min, mitigated 30 min; b: ack 10 min, resolved at 90 min; c: open.
    MTTA = (4 + 10) / 2 = 7 min; MTTR = (30 + 90) / 2 = 60 min; d starts after the range."""
    chosen = [
        incident("a", T0, ack=T0 + 4 * MIN, mitigate=T0 + 30 * MIN),
        incident("b", T0 + HOUR, ack=T0 + HOUR + 10 * MIN, resolve=T0 + HOUR + 90 * MIN),
        incident("c", T0 + 2 * HOUR),
        incident("d", T0 + DAY, ack=T0 + DAY + 1),
    ]
    times = response_times(chosen, begin=T0, end=T0 + DAY)
    assert times.incidents == 3
    assert (times.acknowledged, times.mtta_seconds) == (2, 7 * MIN)
    assert (times.restored, times.mttr_seconds) == (2, 60 * MIN)
    assert response_times([], begin=T0, end=T0 + DAY).mtta_seconds is None
