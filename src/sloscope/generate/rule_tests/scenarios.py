"""Scenarios of a rule test: a steady burn that pages, a quiet day that pages no one.

Each scenario holds its input series and the alerts expected at each check, with the
values Prometheus computes: burn rates for the tiers, the budget left for the exhausted
alert. Time-slice SLIs are simulated slice by slice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sloscope import conventions as names
from sloscope.engine.burn import AlertThreshold
from sloscope.generate import promql
from sloscope.generate.prometheus.alerts import alert_labels
from sloscope.generate.prometheus.plan import BASE_WINDOW, TIERS, SLOPlan, alert_name
from sloscope.generate.rule_tests.events import EventModel, UntestableError, event_model
from sloscope.generate.rule_tests.series import (
    candidate_series,
    events_per_minute,
    solve_mix,
    synthetic_input_series,
)
from sloscope.spec.model import PromQLSLI, TimeslicesSLI

#: The page test burns this much above the fastest page row's factor.
PAGE_MARGIN = Fraction(11, 10)
#: When to check the quiet day.
QUIET_CHECKS = (6 * 3600, 12 * 3600, 18 * 3600, 24 * 3600)
#: A row whose factor is this close to 1 makes a 1x burn ambiguous.
AMBIGUOUS = 0.02
#: Extra time after the long window before the page is checked.
SETTLE = 300


@dataclass(frozen=True)
class Expect:
    """Alerts expected at one evaluation time: value by tier (``page``, ``ticket``) or
    the exhausted alert's name (None: not firing)."""

    at: int
    values: Mapping[str, float | None]


def _threshold(plan: SLOPlan, row: AlertThreshold) -> float:
    """``(factor * budget)`` as Prometheus computes it from the rule text."""
    return float(promql.format_number(row.factor)) * plan.budget_value


def _guard_passes(plan: SLOPlan, row: AlertThreshold, per_second: float, ratio: float) -> bool:
    """Whether both windows of ``row`` hold enough events under the plan's guard, for a
    steady ``per_second`` events at ``ratio`` (the rules count rate × window)."""
    guard = plan.guard
    return all(
        per_second * seconds >= guard.min_total and per_second * seconds * ratio >= guard.min_bad
        for seconds in (row.long_seconds, row.short_seconds)
    )


def _expect_steady(
    plan: SLOPlan, ratio: float, at: int, exhausted: bool, per_second: float
) -> Expect:
    """Expected alerts when every window's error ratio is exactly ``ratio`` and every
    window sees ``per_second`` events a second."""
    values: dict[str, float | None] = {}
    for tier in TIERS:
        rows = plan.tier_rows(tier)
        if rows:
            fires = any(
                ratio > _threshold(plan, row) and _guard_passes(plan, row, per_second, ratio)
                for row in rows
            )
            values[tier] = ratio / plan.budget_value if fires else None
    if exhausted:
        remaining = 1 - ratio / plan.budget_value
        values[names.ALERT_EXHAUSTED] = remaining if remaining <= 0 else None
    return Expect(at, values)


def _slice_ratio(states: Sequence[int | None], at_min: int, window_min: int) -> float | None:
    """Share of bad slices among slices with events in ``[at - window, at]`` (minutes)."""
    lo = max(1, at_min - window_min)
    picked = [s for s in states[lo - 1 : at_min] if s is not None]
    return sum(picked) / len(picked) if picked else None


def _slice_tier_value(
    plan: SLOPlan, rows: Sequence[AlertThreshold], states: Sequence[int | None], at_min: int
) -> float | None:
    """The burn rate a tier's alert shows: the long window's of its first row that fires."""
    for row in rows:
        long = _slice_ratio(states, at_min, row.long_seconds // 60)
        short = _slice_ratio(states, at_min, row.short_seconds // 60)
        limit = _threshold(plan, row)
        if long is not None and short is not None and long > limit and short > limit:
            return long / plan.budget_value
    return None


def _slice_budget_left(plan: SLOPlan, states: Sequence[int | None], at_min: int) -> float | None:
    """The budget left over the SLO window when it is spent (the exhausted alert's value)."""
    period = _slice_ratio(states, at_min, plan.slo_window // 60)
    remaining = None if period is None else 1 - period / plan.budget_value
    return remaining if remaining is not None and remaining <= 0 else None


def _expect_slices(plan: SLOPlan, states: Sequence[int | None], at: int, exhausted: bool) -> Expect:
    """Expected alerts of a time-slice SLO from its slices (1 bad, 0 good, None empty)."""
    at_min = at // 60
    values: dict[str, float | None] = {}
    for tier in TIERS:
        rows = plan.tier_rows(tier)
        if rows:
            values[tier] = _slice_tier_value(plan, rows, states, at_min)
    if exhausted:
        values[names.ALERT_EXHAUSTED] = _slice_budget_left(plan, states, at_min)
    return Expect(at, values)


def _fastest_page(plan: SLOPlan) -> AlertThreshold | None:
    rows = plan.tier_rows("page")
    return min(rows, key=lambda r: (r.long_seconds, -r.factor)) if rows else None


def _quiet_burn(plan: SLOPlan, exhausted: bool) -> Fraction:
    """1x, or 0.97x when 1x would sit exactly on a threshold (a factor of 1, or the
    exhausted alert's "no budget left", which a 1x burn reaches exactly)."""
    if exhausted or any(abs(row.factor - 1) <= AMBIGUOUS for row in plan.thresholds):
        return Fraction(97, 100)
    return Fraction(1)


def _quiet_name(plan: SLOPlan, what: str, burn: Fraction) -> str:
    """``svc/slo: <what> for a day pages no one`` and which rows fire anyway, and why."""
    firing = [row for row in plan.thresholds if row.factor < float(burn)]
    name = f"{plan.service.name}/{plan.slo.name}: {what} for a day pages no one"
    if firing:
        rows = ", ".join(
            f"the {row.window.long_label}/{row.window.short_label} {row.severity} "
            f"(factor {promql.format_number(row.factor)})"
            for row in firing
        )
        name += f"; {rows} fires, its factor is below {float(burn):g}x"
    return name


def _ceil_fraction(value: float, denominator: int = 10**6) -> Fraction:
    return Fraction(math.ceil(value * denominator), denominator)


def _sampling(plan: SLOPlan) -> tuple[str, int]:
    """The input series' interval and samples a minute: every minute, or every 15s when
    an alert window is under 2m, so Prometheus 3 (ranges open at the start) finds two
    samples for ``rate()`` in it too."""
    shortest = min((row.short_seconds for row in plan.thresholds), default=BASE_WINDOW)
    return ("15s", 4) if shortest < 120 else ("1m", 1)


@dataclass(frozen=True)
class Scenario:
    """One promtool test: its name, input series and the alerts expected at each check."""

    name: str
    interval: str
    input_series: list[dict[str, str]]
    expects: tuple[Expect, ...]
    expr_tests: tuple[dict[str, Any], ...] = ()


def steady_scenarios(plan: SLOPlan, model: EventModel, exhausted: bool) -> list[Scenario]:
    """The page and quiet scenarios of an event-based SLI (a steady error ratio)."""
    series = candidate_series(model)
    budget = Fraction(plan.budget)
    out: list[Scenario] = []
    interval, steps = _sampling(plan)
    page = _fastest_page(plan)
    if page is not None:
        burn = min(_ceil_fraction(float(PAGE_MARGIN) * page.factor * float(budget)), Fraction(1))
        mix = solve_mix(model, series, burn)
        at = page.long_seconds + SETTLE
        minutes = at // 60 + 5
        name = (
            f"{plan.service.name}/{plan.slo.name}: a steady {float(burn / budget):.4g}x burn "
            f"(1.1 × the {page.window.long_label} page factor "
            f"{promql.format_number(page.factor)}) pages within "
            f"{promql.window_text(at)}"
        )
        out.append(
            Scenario(
                name,
                interval,
                synthetic_input_series([mix] * minutes, steps, events_per_minute([mix])),
                (_expect_steady(plan, float(burn), at, exhausted, events_per_minute([mix]) / 60),),
            )
        )
        out.extend(low_traffic_scenarios(plan, model, page))
    quiet = _quiet_burn(plan, exhausted)
    mix = solve_mix(model, series, quiet * budget)
    minutes = QUIET_CHECKS[-1] // 60
    out.append(
        Scenario(
            _quiet_name(plan, f"a steady {float(quiet):g}x burn", quiet),
            interval,
            synthetic_input_series([mix] * minutes, steps, events_per_minute([mix])),
            tuple(
                _expect_steady(
                    plan, float(quiet * budget), t, exhausted, events_per_minute([mix]) / 60
                )
                for t in QUIET_CHECKS
            ),
        )
    )
    return out


#: ``rate()`` extrapolates a window's increase by at most this much (5 samples a minute
#: apart cover 4 of a 5m window's minutes), so a count this much below the guard is held.
EXTRAPOLATION = 1.25
#: A ratio this much above a threshold fires in Prometheus 2 and 3 alike.
RATIO_MARGIN = 1.05


def _one_bad_minute_pages(plan: SLOPlan, page: AlertThreshold, scale: int) -> bool:
    """Whether a page row fires when ``scale`` events a minute flow for ``page``'s long
    window and 5m, the last minute's all bad.

    The error ratio over a window of ``w`` minutes is about ``1 / min(w, minutes so far)``
    (Prometheus 3's ranges, open at the start, hold one minute less: 5% is left for
    that); a window's events are counted as the rules count them.
    """
    minutes = (page.long_seconds + SETTLE) // 60
    guard = plan.guard
    for row in plan.tier_rows("page"):
        spans = [min(s // 60, minutes) for s in (row.long_seconds, row.short_seconds)]
        if max(spans) * _threshold(plan, row) * RATIO_MARGIN >= 1:
            continue
        if min(spans) * scale >= guard.min_total and scale >= guard.min_bad:
            return True
    return False


def _held_back(plan: SLOPlan, scale: int) -> bool:
    """Whether the guard holds back every page row on ``scale`` events a minute with one
    bad minute, however ``rate()`` extrapolates the counts."""
    guard = plan.guard
    return all(
        any(
            scale * (s // 60) * EXTRAPOLATION < guard.min_total
            or scale * EXTRAPOLATION < guard.min_bad
            for s in (row.long_seconds, row.short_seconds)
        )
        for row in plan.tier_rows("page")
    )


def _alerts_test(plan: SLOPlan, at: int, fires: bool) -> dict[str, Any]:
    """A ``promql_expr_test`` that the page alert is firing at ``at`` (or not at all).

    ``ALERTS`` rather than an alert test: its labels do not carry the burn rate, which
    Prometheus 2 and 3 compute a little apart over one bad minute.
    """
    name = alert_name(plan, "page")
    labels = {
        **plan.labels,
        **alert_labels(plan, "page"),
        "alertname": name,
        "alertstate": "firing",
    }
    body = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return {
        "expr": f'ALERTS{{alertname="{name}", {names.LABEL_TIER}="page"}}',
        "eval_time": promql.window_text(at),
        "exp_samples": [{"labels": f"ALERTS{{{body}}}", "value": 1}] if fires else [],
    }


def low_traffic_scenarios(plan: SLOPlan, model: EventModel, page: AlertThreshold) -> list[Scenario]:
    """One bad minute on quiet traffic pages no one; the same minute on busy traffic does.

    Steady traffic for the fastest page row's long window and 5m, whose last minute's
    events all fail: the error ratio is the same on few events (the fewest the SLI's
    series can carry) and on many (enough for the guard). Only under a guard, only when
    that ratio pages without the guard, and only for page rows under a day (the rules
    count longer windows from an average rate, which a test of an hour overstates).
    """
    if not plan.guard.active or any(r.long_seconds >= 86400 for r in plan.tier_rows("page")):
        return []
    series = candidate_series(model)
    good, bad = solve_mix(model, series, Fraction(0)), solve_mix(model, series, Fraction(1))
    interval, steps = _sampling(plan)
    # The fewest events a minute the series carry, a whole number in every sample.
    quiet = events_per_minute([good, bad], unit=steps)
    if not _held_back(plan, quiet) or not _one_bad_minute_pages(plan, page, 10**12):
        return []
    guard = plan.guard
    need = max(guard.min_total / 5, guard.min_bad) * EXTRAPOLATION * 10
    busy = quiet * max(1, math.ceil(need / quiet))
    at = page.long_seconds + SETTLE
    mixes = [good] * (at // 60 - 1) + [bad]
    return [
        Scenario(
            f"{plan.service.name}/{plan.slo.name}: {scale} events a minute, the last "
            f"minute's all bad, {'pages' if fires else 'pages no one'} (the guard needs "
            f"{promql.format_number(guard.min_total)} events and "
            f"{promql.format_number(guard.min_bad)} bad ones a window)",
            interval,
            synthetic_input_series(mixes, steps, scale),
            (),
            (_alerts_test(plan, at, fires),),
        )
        for scale, fires in ((quiet, False), (busy, True))
    ]


def _slice_states(
    minutes: int, period: int, checks: Iterable[int], windows: Iterable[int]
) -> list[int | None]:
    """1 (bad) every ``period`` minutes, None at the start of every checked window."""
    empty = {t // 60 - w // 60 for t in checks for w in windows}
    return [None if m in empty else (1 if m % period == 0 else 0) for m in range(1, minutes + 1)]


def _slice_page_scenario(
    plan: SLOPlan,
    page: AlertThreshold,
    windows: set[int],
    exhausted: bool,
    series_of: Callable[[Sequence[int | None]], list[dict[str, str]]],
) -> Scenario:
    """One bad slice every P minutes, the largest P that fires the page."""
    at = page.long_seconds + SETTLE
    minutes = at // 60 + 5
    period = max(1, math.floor(1 / (float(PAGE_MARGIN) * page.factor * plan.budget_value)))
    while True:
        states = _slice_states(minutes, period, [at], windows)
        expect = _expect_slices(plan, states, at, exhausted)
        if expect.values["page"] is not None or period == 1:
            break
        period -= 1
    name = (
        f"{plan.service.name}/{plan.slo.name}: one bad 1m slice in {period} "
        f"(the {page.window.long_label} page factor is "
        f"{promql.format_number(page.factor)}) pages within {promql.window_text(at)}"
    )
    return Scenario(name, "15s", series_of(states), (expect,))


def slice_scenarios(plan: SLOPlan, sli: TimeslicesSLI, exhausted: bool) -> list[Scenario]:
    """The page and quiet scenarios of a time-slice SLI (one bad slice every P minutes)."""
    if sli.slice_seconds != 60:
        raise UntestableError(
            f"time slices of {promql.window_text(sli.slice_seconds)}: promtool evaluates every "
            "group at the test's 1m interval, so only 1m slices are simulated"
        )
    if isinstance(sli.indicator, PromQLSLI) and sli.indicator.total is None:
        raise UntestableError("an error_ratio PromQL indicator has no events to synthesise")
    model = event_model(sli.indicator)
    series = candidate_series(model)
    good, bad = solve_mix(model, series, Fraction(0)), solve_mix(model, series, Fraction(1))
    per_minute = events_per_minute([good, bad])
    windows = {s for row in plan.thresholds for s in (row.long_seconds, row.short_seconds)}
    out: list[Scenario] = []

    def series_of(states: Sequence[int | None]) -> list[dict[str, str]]:
        mixes = [None if s is None else (bad if s else good) for s in states]
        return synthetic_input_series(mixes, 4, per_minute)

    page = _fastest_page(plan)
    if page is not None:
        out.append(_slice_page_scenario(plan, page, windows, exhausted, series_of))
    quiet = _quiet_burn(plan, exhausted)
    period = round(1 / (float(quiet) * plan.budget_value))
    minutes = QUIET_CHECKS[-1] // 60
    states = _slice_states(minutes, period, QUIET_CHECKS, windows | {plan.slo_window})
    out.append(
        Scenario(
            f"{plan.service.name}/{plan.slo.name}: one bad 1m slice in {period} for a day "
            f"(about {float(quiet):g}x) pages no one",
            "15s",
            series_of(states),
            tuple(_expect_slices(plan, states, t, exhausted) for t in QUIET_CHECKS),
        )
    )
    return out
