"""``promtool test rules`` files that prove the generated alerts fire when they should.

For every SLO with alerting, two test groups over synthetic counters of the raw series
the SLI reads (good/total or bad/total selectors, histogram bucket and count, or the
selectors of a PromQL SLI):

*page*
    A steady burn of 1.1 × the factor of the fastest page row (the one with the shortest
    long window; 14.784 for a 28d SLO's 13.44), so strictly above it. At ``long window +
    5m`` (both windows full) the page alert fires; every other alert is asserted too.
*quiet*
    A steady 1x burn (the budget lasts exactly the window) for a day, checked every 6h.
    No page fires. A row whose factor is below 1 *does* fire, and the test says so: the
    google table's 3d ticket spends 10% of the budget in 3 days, which for a 28d SLO is a
    0.933 burn, less than 1x (3/28 > 10%). A row whose factor is within 2% of 1 (the same
    ticket of a 30d SLO: exactly 1) would make the outcome depend on the last bit of a
    float, so then the quiet burn is 0.97x.

Expected values are exact: counters rise by multiples of 21,600 per minute, so every
``rate()`` over windows up to 6h is an integer, sums are exact, and the error ratio is
the correctly rounded fraction. The expected ``{{ $value | humanize }}`` of annotations is
computed as Go formats it.

Time-slice SLIs are simulated slice by slice (1m slices; other lengths are reported and
not tested): one bad slice every *P* minutes, the largest *P* that fires the page, and
slices without traffic at the start of every window that is checked, so Prometheus 2
(ranges closed at both ends) and 3 (open at the start) see the same slices. Their input
series step every 15s, so a 1m ``rate()`` has samples in both versions. PromQL SLIs are
tested when their queries are sums, differences and ``rate``/``increase`` of selectors
(as Sloth's are); ``error_ratio`` queries and others are reported and not tested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sloscope import conventions as names
from sloscope.engine.burn import AlertThreshold
from sloscope.engine.windows import AlertPolicy, AlertSeverity
from sloscope.generate import promql
from sloscope.generate.prometheus import (
    ALERT_NAMES,
    TIERS,
    SLOPlan,
    alert_annotations,
    alert_labels,
    dump_yaml,
    generate_rules,
    plans,
)
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, Service, TimeslicesSLI
from sloscope.spec.selectors import Matcher, Selector, SelectorSyntaxError, parse_selector

#: Counters rise by a multiple of this per minute: every window up to 6h divides it, so
#: every rate is an integer.
UNIT = 21600
#: The page test burns this much above the fastest page row's factor.
PAGE_MARGIN = Fraction(11, 10)
#: When to check the quiet day.
QUIET_CHECKS = (6 * 3600, 12 * 3600, 18 * 3600, 24 * 3600)
#: A row whose factor is this close to 1 makes a 1x burn ambiguous.
AMBIGUOUS = 0.02
#: Extra time after the long window before the page is checked.
SETTLE = 300


class RuleTestsDocument(dict[str, Any]):
    """A ``promtool test rules`` document and the SLOs it could not test (``warnings``)."""

    def __init__(self, body: Mapping[str, Any], warnings: Sequence[str] = ()) -> None:
        super().__init__(body)
        self.warnings: tuple[str, ...] = tuple(warnings)


# --- Go's template functions ------------------------------------------------------------


def _go_g4(value: float) -> str:
    """Go's ``fmt.Sprintf("%.4g", v)`` (same rules as Python's for finite numbers)."""
    return f"{value:.4g}"


def humanize(value: float) -> str:
    """Prometheus' ``humanize`` template function (SI prefixes, 4 significant digits).

    >>> humanize(14.784), humanize(1.0), humanize(0.5)
    ('14.78', '1', '500m')
    """
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _go_g4(value)
    prefix = ""
    if abs(value) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix = p
            value /= 1000
        return _go_g4(value) + prefix
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix = p
        value *= 1000
    return _go_g4(value) + prefix


def humanize_percentage(value: float) -> str:
    """Prometheus' ``humanizePercentage``: ``0.25`` → ``25%``."""
    return _go_g4(value * 100) + "%"


def _expand(template: str, value: float) -> str | None:
    """An annotation as Prometheus renders it, or None when it uses other templates."""
    text = template.replace("{{ $value | humanize }}", humanize(value))
    text = text.replace("{{ $value | humanizePercentage }}", humanize_percentage(value))
    return None if "{{" in text else text


# --- the SLI as linear sums of selectors ------------------------------------------------


@dataclass(frozen=True)
class EventModel:
    """Bad and total events as signed sums of selectors' increases."""

    bad: tuple[tuple[int, Selector], ...]
    total: tuple[tuple[int, Selector], ...]

    @property
    def selectors(self) -> tuple[Selector, ...]:
        """Every selector, once, in order of appearance."""
        seen: dict[Selector, None] = {}
        for _, sel in (*self.bad, *self.total):
            seen.setdefault(sel, None)
        return tuple(seen)


class _UnsupportedError(Exception):
    """This SLI's inputs cannot be synthesised; the message says why."""


def _negate(terms: Iterable[tuple[int, Selector]]) -> tuple[tuple[int, Selector], ...]:
    return tuple((-c, s) for c, s in terms)


def event_model(sli: RatioSLI | LatencySLI | PromQLSLI) -> EventModel:
    """The SLI's bad and total events as sums of selectors. Raises ``_UnsupportedError``."""
    if isinstance(sli, RatioSLI):
        total = ((1, sli.total),)
        if sli.bad is not None:
            return EventModel(bad=((1, sli.bad),), total=total)
        assert sli.good is not None
        return EventModel(bad=((1, sli.total), (-1, sli.good)), total=total)
    if isinstance(sli, LatencySLI):
        count = ((1, sli.count_selector),)
        return EventModel(
            bad=((1, sli.count_selector), (-1, promql.good_bucket_selector(sli))), total=count
        )
    if sli.total is None:
        raise _UnsupportedError("an error_ratio PromQL SLI has no events to synthesise")
    total_terms = _parse_linear(sli.total)
    if sli.bad is not None:
        return EventModel(bad=_parse_linear(sli.bad), total=total_terms)
    assert sli.good is not None
    return EventModel(bad=(*total_terms, *_negate(_parse_linear(sli.good))), total=total_terms)


class _LinearParser:
    """Sums and differences of ``[sum(]rate|increase(selector[{{window}}])[)]`` terms.

    ``expr := term (('+'|'-') term)*``; ``term := '(' expr ')' | sum(term) | f(sel[w])``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> _UnsupportedError:
        return _UnsupportedError(f"PromQL {self.text.strip()!r}: {what} at offset {self.pos}")

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def eat(self, token: str) -> bool:
        self.space()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def word(self) -> str:
        self.space()
        match = re.compile(r"[a-z_]+").match(self.text, self.pos)
        if not match:
            return ""
        self.pos = match.end()
        return match.group(0)

    def expr(self) -> list[tuple[int, Selector]]:
        terms = self.term()
        while True:
            if self.eat("+"):
                terms += self.term()
            elif self.eat("-"):
                terms += [(-c, s) for c, s in self.term()]
            else:
                return terms

    def term(self) -> list[tuple[int, Selector]]:
        if self.eat("("):
            inner = self.expr()
            if not self.eat(")"):
                raise self.fail("expected ')'")
            return inner
        start = self.pos
        name = self.word()
        if name == "sum":
            if not self.eat("("):
                raise self.fail("only sum(...) without grouping is understood")
            inner = self.term()
            if not self.eat(")"):
                raise self.fail("expected ')'")
            return inner
        if name in ("rate", "increase"):
            if not self.eat("("):
                raise self.fail("expected '('")
            return [(1, self.ranged_selector())]
        self.pos = start
        raise self.fail("expected sum, rate or increase")

    def ranged_selector(self) -> Selector:
        self.space()
        start = self.pos
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == "\\":
                    self.pos += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'`":
                quote = char
            elif char == "[":
                break
            self.pos += 1
        try:
            selector = parse_selector(self.text[start : self.pos])
        except SelectorSyntaxError as exc:
            raise self.fail(f"selector: {exc.message}") from None
        end = self.text.find("]", self.pos)
        if end < 0 or not promql.WINDOW_TEMPLATE.fullmatch(self.text[self.pos + 1 : end].strip()):
            raise self.fail("expected [{{window}}]")
        self.pos = end + 1
        if not self.eat(")"):
            raise self.fail("expected ')'")
        return selector


def _parse_linear(text: str) -> tuple[tuple[int, Selector], ...]:
    parser = _LinearParser(text)
    terms = parser.expr()
    parser.space()
    if parser.pos != len(text):
        raise parser.fail("unexpected text")
    return tuple(terms)


# --- synthetic series -------------------------------------------------------------------


def _regex_examples(pattern: str) -> list[str]:
    """Strings likely to match a simple regex (``5..`` → ``500``, ``(a|b)`` → ``a``, ``b``)."""
    body = pattern
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    out = []
    for alternative in body.split("|"):
        text = alternative.replace("\\d", "0").replace("\\.", ".")
        text = re.sub(r"\[([^\]])[^\]]*\]", r"\1", text)
        text = text.replace(".*", "").replace(".+", "0").replace(".", "0")
        out.append(text.replace("\\", "").strip("^$()"))
    return [*out, "500", "200", "0", "x"]


def _example(matcher: Matcher, satisfy: bool) -> str | None:
    """A label value (``""``: leave the label out) that satisfies ``matcher`` or violates it."""
    if matcher.op == "=":
        candidates = [matcher.value] if satisfy else ["", "x", "other"]
    elif matcher.op == "!=":
        candidates = ["", "x", "other"] if satisfy else [matcher.value]
    else:
        candidates = ["", *_regex_examples(matcher.value)]
    for value in candidates:
        if matcher.matches(value) == satisfy:
            return value
    return None


def _base_labels(selector: Selector) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    for matcher in selector.matchers:
        value = _example(matcher, satisfy=True)
        if value is None:
            return None
        if value:
            labels[matcher.label] = value
    return labels if selector.matches(selector.metric, labels) else None


def _candidates(model: EventModel) -> list[Selector]:
    """Series to synthesise: one per selector, and ones that violate a negative matcher."""
    found: dict[Selector, None] = {}

    def add(metric: str, labels: Mapping[str, str]) -> None:
        series = Selector(metric, tuple(Matcher(k, "=", v) for k, v in sorted(labels.items())))
        found.setdefault(series, None)

    for selector in model.selectors:
        base = _base_labels(selector)
        if base is None:
            continue
        add(selector.metric, base)
        for matcher in selector.matchers:
            if matcher.op in ("!=", "!~"):
                value = _example(matcher, satisfy=False)
                if value:
                    add(selector.metric, {**base, matcher.label: value})
    return list(found)


def _matches(selector: Selector, series: Selector) -> bool:
    return selector.matches(series.metric, {m.label: m.value for m in series.matchers})


@dataclass(frozen=True)
class _Mix:
    """Shares of total events per minute on each synthetic series, for one error ratio."""

    weights: tuple[tuple[Selector, Fraction], ...]


def _solve(model: EventModel, series: Sequence[Selector], ratio: Fraction) -> _Mix:
    """Non-negative rates of ``series`` whose bad ÷ total is ``ratio`` and total is 1."""
    a = [sum(c for c, s in model.bad if _matches(s, x)) for x in series]
    b = [sum(c for c, s in model.total if _matches(s, x)) for x in series]
    d = [Fraction(a_j) - ratio * b_j for a_j, b_j in zip(a, b, strict=True)]
    options: list[dict[int, Fraction]] = []
    options += [{j: Fraction(1)} for j in range(len(series)) if d[j] == 0 and b[j] > 0]
    for j in range(len(series)):
        for k in range(len(series)):
            if d[j] > 0 > d[k]:
                options.append({j: -d[k], k: d[j]})
    for option in options:
        total = sum(b[j] * x for j, x in option.items())
        if total > 0:
            return _Mix(tuple((series[j], x / total) for j, x in sorted(option.items())))
    raise _UnsupportedError(f"no mix of synthetic series gives an error ratio of {ratio}")


def _encode(values: Sequence[int]) -> str:
    """Counter values in promtool's expanding notation (``0+60x1440``)."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        if i + 1 == len(values):
            parts.append(str(values[i]))
            break
        step = values[i + 1] - values[i]
        j = i + 1
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        parts.append(f"{values[i]}+{step}x{j - i}")
        i = j + 1
    return " ".join(parts)


def _input_series(
    minutes: Sequence[_Mix | None], steps_per_minute: int, events_per_minute: int
) -> list[dict[str, str]]:
    """Counters of every series, from the mix of each minute (None: no traffic)."""
    order: dict[Selector, None] = {}
    for mix in minutes:
        for series, _ in mix.weights if mix else ():
            order.setdefault(series, None)
    out = []
    for series in order:
        values = [0]
        for mix in minutes:
            share = dict(mix.weights).get(series, Fraction(0)) if mix else Fraction(0)
            per_step = share * events_per_minute / steps_per_minute
            if per_step.denominator != 1:
                raise _UnsupportedError("synthetic counts are not whole numbers")
            last = values[-1]
            values.extend(last + int(per_step) * (n + 1) for n in range(steps_per_minute))
        out.append({"series": str(series), "values": _encode(values)})
    return out


def _events_per_minute(mixes: Iterable[_Mix]) -> int:
    denominator = 1
    for mix in mixes:
        for _, share in mix.weights:
            denominator = math.lcm(denominator, share.denominator)
    return UNIT * denominator


# --- scenarios --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expect:
    """Alerts expected at one evaluation time: value by alert name (None: not firing)."""

    at: int
    values: Mapping[str, float | None]


def _threshold(plan: SLOPlan, row: AlertThreshold) -> float:
    """``(factor * budget)`` as Prometheus computes it from the rule text."""
    return float(promql.format_number(row.factor)) * plan.budget_value


def _expect_steady(plan: SLOPlan, ratio: float, at: int, exhausted: bool) -> _Expect:
    """Expected alerts when every window's error ratio is exactly ``ratio``."""
    values: dict[str, float | None] = {}
    for tier in TIERS:
        rows = plan.tier_rows(tier)
        if rows:
            fires = any(ratio > _threshold(plan, row) for row in rows)
            values[ALERT_NAMES[tier]] = ratio / plan.budget_value if fires else None
    if exhausted:
        remaining = 1 - ratio / plan.budget_value
        values[names.ALERT_EXHAUSTED] = remaining if remaining <= 0 else None
    return _Expect(at, values)


def _slice_ratio(states: Sequence[int | None], at_min: int, window_min: int) -> float | None:
    """Share of bad slices among slices with events in ``[at - window, at]`` (minutes)."""
    lo = max(1, at_min - window_min)
    picked = [s for s in states[lo - 1 : at_min] if s is not None]
    return sum(picked) / len(picked) if picked else None


def _expect_slices(
    plan: SLOPlan, states: Sequence[int | None], at: int, exhausted: bool
) -> _Expect:
    """Expected alerts of a time-slice SLO from its slices (1 bad, 0 good, None empty)."""
    at_min = at // 60
    values: dict[str, float | None] = {}
    for tier in TIERS:
        rows = plan.tier_rows(tier)
        if not rows:
            continue
        value: float | None = None
        for row in rows:
            long = _slice_ratio(states, at_min, row.long_seconds // 60)
            short = _slice_ratio(states, at_min, row.short_seconds // 60)
            limit = _threshold(plan, row)
            if long is not None and short is not None and long > limit and short > limit:
                value = long / plan.budget_value
                break
        values[ALERT_NAMES[tier]] = value
    if exhausted:
        period = _slice_ratio(states, at_min, plan.slo_window // 60)
        remaining = None if period is None else 1 - period / plan.budget_value
        values[names.ALERT_EXHAUSTED] = (
            remaining if remaining is not None and remaining <= 0 else None
        )
    return _Expect(at, values)


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


@dataclass(frozen=True)
class _Scenario:
    name: str
    interval: str
    input_series: list[dict[str, str]]
    expects: tuple[_Expect, ...]


def _steady_scenarios(plan: SLOPlan, model: EventModel, exhausted: bool) -> list[_Scenario]:
    series = _candidates(model)
    budget = Fraction(plan.budget)
    out: list[_Scenario] = []
    page = _fastest_page(plan)
    if page is not None:
        burn = min(_ceil_fraction(float(PAGE_MARGIN) * page.factor * float(budget)), Fraction(1))
        mix = _solve(model, series, burn)
        at = page.long_seconds + SETTLE
        minutes = at // 60 + 5
        name = (
            f"{plan.service.name}/{plan.slo.name}: a steady {float(burn / budget):.4g}x burn "
            f"(1.1 × the {page.window.long_label} page factor "
            f"{promql.format_number(page.factor)}) pages within "
            f"{promql.window_text(at)}"
        )
        out.append(
            _Scenario(
                name,
                "1m",
                _input_series([mix] * minutes, 1, _events_per_minute([mix])),
                (_expect_steady(plan, float(burn), at, exhausted),),
            )
        )
    quiet = _quiet_burn(plan, exhausted)
    mix = _solve(model, series, quiet * budget)
    minutes = QUIET_CHECKS[-1] // 60
    out.append(
        _Scenario(
            _quiet_name(plan, f"a steady {float(quiet):g}x burn", quiet),
            "1m",
            _input_series([mix] * minutes, 1, _events_per_minute([mix])),
            tuple(_expect_steady(plan, float(quiet * budget), t, exhausted) for t in QUIET_CHECKS),
        )
    )
    return out


def _slice_states(
    minutes: int, period: int, checks: Iterable[int], windows: Iterable[int]
) -> list[int | None]:
    """1 (bad) every ``period`` minutes, None at the start of every checked window."""
    empty = {t // 60 - w // 60 for t in checks for w in windows}
    return [None if m in empty else (1 if m % period == 0 else 0) for m in range(1, minutes + 1)]


def _slice_scenarios(plan: SLOPlan, sli: TimeslicesSLI, exhausted: bool) -> list[_Scenario]:
    if sli.slice_seconds != 60:
        raise _UnsupportedError(
            f"time slices of {promql.window_text(sli.slice_seconds)}: promtool evaluates every "
            "group at the test's 1m interval, so only 1m slices are simulated"
        )
    if isinstance(sli.indicator, PromQLSLI) and sli.indicator.total is None:
        raise _UnsupportedError("an error_ratio PromQL indicator has no events to synthesise")
    model = event_model(sli.indicator)
    series = _candidates(model)
    good, bad = _solve(model, series, Fraction(0)), _solve(model, series, Fraction(1))
    per_minute = _events_per_minute([good, bad])
    windows = {s for row in plan.thresholds for s in (row.long_seconds, row.short_seconds)}
    budget = plan.budget_value
    out: list[_Scenario] = []

    def mixes(states: Sequence[int | None]) -> list[_Mix | None]:
        return [None if s is None else (bad if s else good) for s in states]

    page = _fastest_page(plan)
    if page is not None:
        at = page.long_seconds + SETTLE
        minutes = at // 60 + 5
        period = max(1, math.floor(1 / (float(PAGE_MARGIN) * page.factor * budget)))
        while True:
            states = _slice_states(minutes, period, [at], windows)
            expect = _expect_slices(plan, states, at, exhausted)
            if expect.values[names.ALERT_PAGE] is not None or period == 1:
                break
            period -= 1
        name = (
            f"{plan.service.name}/{plan.slo.name}: one bad 1m slice in {period} "
            f"(the {page.window.long_label} page factor is "
            f"{promql.format_number(page.factor)}) pages within {promql.window_text(at)}"
        )
        out.append(_Scenario(name, "15s", _input_series(mixes(states), 4, per_minute), (expect,)))
    quiet = _quiet_burn(plan, exhausted)
    period = round(1 / (float(quiet) * budget))
    minutes = QUIET_CHECKS[-1] // 60
    states = _slice_states(minutes, period, QUIET_CHECKS, windows | {plan.slo_window})
    out.append(
        _Scenario(
            f"{plan.service.name}/{plan.slo.name}: one bad 1m slice in {period} for a day "
            f"(about {float(quiet):g}x) pages no one",
            "15s",
            _input_series(mixes(states), 4, per_minute),
            tuple(_expect_slices(plan, states, t, exhausted) for t in QUIET_CHECKS),
        )
    )
    return out


def _alert_tests(plan: SLOPlan, expect: _Expect, dashboard_url: str | None) -> list[dict[str, Any]]:
    tests = []
    for alertname, value in expect.values.items():
        exp_alerts = []
        if value is not None:
            if alertname == names.ALERT_EXHAUSTED:
                labels = {**plan.window_labels(plan.slo_window), **alert_labels(plan, "ticket")}
                templates = alert_annotations(plan, "exhausted", dashboard_url)
            else:
                tier: AlertSeverity = "page" if alertname == names.ALERT_PAGE else "ticket"
                labels = {**plan.labels, **alert_labels(plan, tier)}
                templates = alert_annotations(plan, tier, dashboard_url)
            annotations = {}
            for key, template in templates.items():
                text = _expand(template, value)
                if text is None:
                    raise _UnsupportedError(
                        f"annotation {key!r} uses templates sloscope cannot expand"
                    )
                annotations[key] = text
            exp_alerts.append(
                {"exp_labels": dict(sorted(labels.items())), "exp_annotations": annotations}
            )
        tests.append(
            {
                "eval_time": promql.window_text(expect.at),
                "alertname": alertname,
                "exp_alerts": exp_alerts,
            }
        )
    return tests


def _slo_tests(plan: SLOPlan, exhausted: bool, dashboard_url: str | None) -> list[dict[str, Any]]:
    sli = plan.slo.sli
    if isinstance(sli, TimeslicesSLI):
        scenarios = _slice_scenarios(plan, sli, exhausted)
    else:
        scenarios = _steady_scenarios(plan, event_model(sli), exhausted)
    return [
        {
            "name": scenario.name,
            "interval": scenario.interval,
            "input_series": scenario.input_series,
            "alert_rule_test": [
                test
                for expect in scenario.expects
                for test in _alert_tests(plan, expect, dashboard_url)
            ],
        }
        for scenario in scenarios
    ]


def generate_rule_tests(
    services: Iterable[Service],
    policies: Mapping[str, AlertPolicy],
    rules_file_name: str,
    *,
    exhausted_alert: bool = False,
    dashboard_url: str | None = None,
    extra_labels: Mapping[str, str] | None = None,
) -> RuleTestsDocument:
    """A ``promtool test rules`` document for the rules :func:`generate_rules` writes.

    Pass the same options as to :func:`~sloscope.generate.prometheus.generate_rules`
    (labels and annotations are compared exactly). ``rules_file_name`` is the rules file
    as the test file refers to it (relative to the test file). SLOs that cannot be tested
    are listed in ``warnings`` with the reason.
    """
    services = list(services)
    rules = generate_rules(
        services,
        policies,
        exhausted_alert=exhausted_alert,
        dashboard_url=dashboard_url,
        extra_labels=extra_labels,
    )
    tests: list[dict[str, Any]] = []
    warnings: list[str] = []
    slices = False
    for plan in plans(services, policies, extra_labels):
        if not plan.alerting or not plan.thresholds:
            continue
        try:
            tests.extend(_slo_tests(plan, exhausted_alert, dashboard_url))
        except _UnsupportedError as exc:
            warnings.append(f"{plan.service.name}/{plan.slo.name}: not tested: {exc}")
            continue
        slices = slices or isinstance(plan.slo.sli, TimeslicesSLI)
    body = {
        "rule_files": [rules_file_name],
        # promtool evaluates every group at this interval, whatever the group says. Each
        # evaluation costs about as much as a rule's, so 5m keeps a simulated day at a
        # second or two per SLO (sums of 5m rates stay exact). 1m slices must be judged
        # every minute, as their group's interval says, so with them it is 1m.
        "evaluation_interval": "1m" if slices else "5m",
        # Recordings before the groups that read them, as the simulation assumes.
        "group_eval_order": [group["name"] for group in rules["groups"]],
        "tests": tests,
    }
    return RuleTestsDocument(body, warnings)


def render_rule_tests(doc: Mapping[str, Any]) -> str:
    """YAML text of a rule tests document, with its warnings as comments on top."""
    comments = ["promtool test rules file generated by sloscope; regenerate with the rules."]
    comments.extend(f"warning: {w}" for w in getattr(doc, "warnings", ()))
    return dump_yaml(doc, comments)
