"""Synthetic input series of a rule test: counters in promtool's expanding notation.

For an error ratio, pick series that the SLI's selectors match (and ones a negative
matcher excludes), solve for non-negative shares of traffic on them, and write counters
that rise by whole numbers every step, so every ``rate()`` the rules take is exact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sloscope.generate.rule_tests.events import EventModel, UntestableError
from sloscope.spec.selectors import Matcher, Selector

#: Counters rise by a multiple of this per minute: every window up to 6h divides it, so
#: every rate is an integer.
UNIT = 21600


#: A regex alternative without metacharacters, except escaped ones.
_LITERAL = re.compile(r"(?:[^\\.*+?()\[\]{}|^$]|\\[\\.*+?()\[\]{}|^$])+")


def _regex_examples(pattern: str) -> list[str]:
    """Strings likely to match a simple regex (``5..`` → ``500``, ``(a|b)`` → ``a``, ``b``)."""
    body = pattern
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    out = []
    for alternative in body.split("|"):
        if _LITERAL.fullmatch(alternative):
            # Only escaped metacharacters (an le boundary's 0\.3): the text itself.
            out.append(re.sub(r"\\(.)", r"\1", alternative))
            continue
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


def candidate_series(model: EventModel) -> list[Selector]:
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
class Mix:
    """Shares of total events per minute on each synthetic series, for one error ratio."""

    weights: tuple[tuple[Selector, Fraction], ...]


def _counts(terms: Iterable[tuple[int, Selector]], series: Sequence[Selector]) -> list[int]:
    """How often each series counts in a signed sum of selectors (matching terms' signs)."""
    return [sum(c for c, s in terms if _matches(s, x)) for x in series]


def _mix_options(totals: Sequence[int], excess: Sequence[Fraction]) -> list[dict[int, Fraction]]:
    """Candidate mixes as unnormalised rates by series index, simplest first.

    ``totals[j]``: how often series ``j`` counts in the total; ``excess[j]``: its bad count
    minus the ratio times its total count. One series alone fits when its excess is 0;
    two fit when one's excess is positive and the other's negative (weighted to cancel).
    """
    options: list[dict[int, Fraction]] = [
        {j: Fraction(1)} for j, (d, b) in enumerate(zip(excess, totals, strict=True)) if d == 0 < b
    ]
    for j, over in enumerate(excess):
        for k, under in enumerate(excess):
            if over > 0 > under:
                options.append({j: -under, k: over})
    return options


def solve_mix(model: EventModel, series: Sequence[Selector], ratio: Fraction) -> Mix:
    """Non-negative rates of ``series`` whose bad ÷ total is ``ratio`` and total is 1."""
    a = _counts(model.bad, series)
    b = _counts(model.total, series)
    d = [Fraction(a_j) - ratio * b_j for a_j, b_j in zip(a, b, strict=True)]
    for option in _mix_options(b, d):
        total = sum(b[j] * x for j, x in option.items())
        if total > 0:
            return Mix(tuple((series[j], x / total) for j, x in sorted(option.items())))
    raise UntestableError(f"no mix of synthetic series gives an error ratio of {ratio}")


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


def synthetic_input_series(
    minutes: Sequence[Mix | None], steps_per_minute: int, events_per_minute: int
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
                raise UntestableError("synthetic counts are not whole numbers")
            last = values[-1]
            values.extend(last + int(per_step) * (n + 1) for n in range(steps_per_minute))
        out.append({"series": str(series), "values": _encode(values)})
    return out


def events_per_minute(mixes: Iterable[Mix], unit: int = UNIT) -> int:
    """Events per minute that make every share of every mix a whole number of events: a
    multiple of ``unit`` (whose default makes every rate an integer)."""
    denominator = 1
    for mix in mixes:
        for _, share in mix.weights:
            denominator = math.lcm(denominator, share.denominator)
    return unit * denominator
