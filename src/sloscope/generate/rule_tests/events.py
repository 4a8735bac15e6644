"""The SLI of a rule test as signed sums of selectors: bad events and all events.

Ratio and latency SLIs map directly; PromQL SLIs are parsed when their queries are sums
and differences of ``rate``/``increase`` of selectors (as Sloth's are). What cannot be
modelled raises :class:`UntestableError`, which the rule tests report as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sloscope.generate import promql
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI
from sloscope.spec.selectors import Selector, SelectorSyntaxError, parse_selector


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


class UntestableError(Exception):
    """This SLI's inputs cannot be synthesised; the message says why."""


def _negate(terms: Iterable[tuple[int, Selector]]) -> tuple[tuple[int, Selector], ...]:
    return tuple((-c, s) for c, s in terms)


def event_model(sli: RatioSLI | LatencySLI | PromQLSLI) -> EventModel:
    """The SLI's bad and total events as sums of selectors. Raises ``UntestableError``."""
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
        raise UntestableError("an error_ratio PromQL SLI has no events to synthesise")
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

    def fail(self, what: str) -> UntestableError:
        return UntestableError(f"PromQL {self.text.strip()!r}: {what} at offset {self.pos}")

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

    def skip_to_range(self) -> None:
        """Move to the ``[`` that opens the range, past any quoted label values."""
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
                return
            self.pos += 1

    def ranged_selector(self) -> Selector:
        self.space()
        start = self.pos
        self.skip_to_range()
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
