"""PromQL series selectors, parsed into a small typed model.

``http_requests_total{service="checkout", code!~"5.."}`` becomes a :class:`Selector` with a
metric name and :class:`Matcher` objects. The same model compiles to PromQL (for a
Prometheus source) and to SQL (for the embedded store), so a spec means one thing wherever
it is evaluated.

Regular expressions are fully anchored, as in Prometheus: ``code=~"5.."`` matches ``500``
but not ``1500``.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from sloscope.spec.regex import RegexError, check_regex, full_match

MatchOp = Literal["=", "!=", "=~", "!~"]

_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "`": "`"}

#: The common shape, for :func:`_parse_plain`: a metric name, then label matchers whose
#: values are double-quoted without escapes, spaces only between the parts. Anything
#: else (and every error) goes through :class:`_Parser`, which names the column.
_PLAIN_ITEM = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*) *(=~|!~|!=|=) *"([^"\\]*)"')
_PLAIN_MATCHER = r'[a-zA-Z_][a-zA-Z0-9_]* *(?:=~|!~|!=|=) *"[^"\\]*"'
_PLAIN = re.compile(
    rf" *([a-zA-Z_:][a-zA-Z0-9_:]*) *"
    rf"(?:\{{( *(?:{_PLAIN_MATCHER} *, *)*(?:{_PLAIN_MATCHER} *,? *)?)\}} *)?"
)


class SelectorSyntaxError(ValueError):
    """A selector does not parse; ``column`` is 1-based within the selector text."""

    def __init__(self, message: str, column: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


class Matcher(NamedTuple):
    """One label matcher: ``label op "value"``."""

    label: str
    op: MatchOp
    value: str

    def matches(self, value: str | None) -> bool:
        """Whether a series whose label has ``value`` (None: label absent) is selected.

        As in Prometheus, an absent label reads as the empty string.
        """
        actual = value or ""
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = full_match(self.value, actual)
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.label}{self.op}"{escaped}"'


class Selector(NamedTuple):
    """A series selector: a metric name and label matchers (``name{a="b"}``)."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    def with_metric(self, metric: str) -> Selector:
        """The same matchers on another metric (``x`` → ``x_bucket``)."""
        return Selector(metric=metric, matchers=self.matchers)

    def with_matcher(self, matcher: Matcher) -> Selector:
        """This selector with one more matcher (replacing one on the same label and op)."""
        kept = tuple(
            m for m in self.matchers if not (m.label == matcher.label and m.op == matcher.op)
        )
        return Selector(metric=self.metric, matchers=(*kept, matcher))

    def matches(self, metric: str, labels: dict[str, str]) -> bool:
        """Whether a series (metric name and labels) is selected."""
        return metric == self.metric and all(m.matches(labels.get(m.label)) for m in self.matchers)

    def __str__(self) -> str:
        if not self.matchers:
            return self.metric
        return self.metric + "{" + ", ".join(str(m) for m in self.matchers) + "}"


def parse_selector(text: str) -> Selector:
    """Parse a PromQL series selector.

    Raises :class:`SelectorSyntaxError` with the 1-based column of the first problem.

    >>> str(parse_selector('up{job="api", code!~"5.."}'))
    'up{job="api", code!~"5.."}'
    """
    # A spec of a thousand SLOs holds thousands of selectors: most take the plain path,
    # several times faster than the parser's character-by-character walk.
    return _parse_plain(text) or _Parser(text).parse()


def _parse_plain(text: str) -> Selector | None:
    """The selector :class:`_Parser` gives for ``text`` when it has the plain shape
    (:data:`_PLAIN`) and every regex compiles; None otherwise, for the parser to read."""
    whole = _PLAIN.fullmatch(text)
    if whole is None:
        return None
    matchers = []
    for label, op, value in _PLAIN_ITEM.findall(whole.group(2) or ""):
        if label == "__name__":
            return None  # the name given twice, or as a matcher: the parser decides
        if op in ("=~", "!~"):
            try:
                check_regex(value)
            except RegexError:
                return None
        matchers.append(Matcher(label=label, op=op, value=value))
    return Selector(metric=whole.group(1), matchers=tuple(matchers))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str, hint: str = "") -> SelectorSyntaxError:
        return SelectorSyntaxError(message, self.pos + 1, hint)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def parse(self) -> Selector:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.fail(
                "empty selector", 'write a metric name such as http_requests_total{job="api"}'
            )
        metric = ""
        match = _METRIC.match(self.text, self.pos)
        if match:
            metric = match.group(0)
            self.pos = match.end()
        self.skip_space()
        matchers: list[Matcher] = []
        if self.pos < len(self.text) and self.text[self.pos] == "{":
            self.pos += 1
            matchers = self.parse_matchers()
        self.skip_space()
        if self.pos < len(self.text):
            raise self.fail(
                f"unexpected {self.text[self.pos]!r} after the selector",
                'a selector is name{label="value", ...}; use the promql: form for functions',
            )
        return self.named(metric, matchers)

    def named(self, metric: str, matchers: list[Matcher]) -> Selector:
        """The selector, its metric name given before the braces or as ``__name__=``."""
        name_matchers = [m for m in matchers if m.label == "__name__"]
        if metric and name_matchers:
            raise SelectorSyntaxError(
                "metric name given twice (before the braces and as __name__)", 1
            )
        if metric:
            return Selector(metric=metric, matchers=tuple(matchers))
        if len(name_matchers) == 1 and name_matchers[0].op == "=":
            rest = tuple(m for m in matchers if m is not name_matchers[0])
            return Selector(metric=name_matchers[0].value, matchers=rest)
        self.pos = 0
        raise self.fail(
            "a selector needs a metric name",
            'start with the metric name, as in http_requests_total{job="api"}',
        )

    def parse_matchers(self) -> list[Matcher]:
        matchers: list[Matcher] = []
        while True:
            self.skip_space()
            if self.pos >= len(self.text):
                raise self.fail("missing closing '}'", "close the label matchers with }")
            if self.text[self.pos] == "}":
                self.pos += 1
                return matchers
            matchers.append(self.parse_matcher())
            self.skip_space()
            self.parse_separator()

    def parse_matcher(self) -> Matcher:
        """One ``label op "value"``; a regex value must compile."""
        label_match = _LABEL.match(self.text, self.pos)
        if not label_match:
            raise self.fail(
                f"expected a label name, found {self.text[self.pos]!r}",
                "label names are letters, digits and _ and do not start with a digit",
            )
        label = label_match.group(0)
        self.pos = label_match.end()
        self.skip_space()
        op = self.parse_op()
        self.skip_space()
        value_column = self.pos
        value = self.parse_string()
        if op in ("=~", "!~"):
            try:
                check_regex(value)
            except RegexError as exc:
                self.pos = value_column
                raise self.fail(
                    f"invalid regular expression {value!r} for label {label!r}: {exc}",
                    "regexes are RE2 syntax and fully anchored, as in Prometheus",
                ) from None
        return Matcher(label=label, op=op, value=value)

    def parse_separator(self) -> None:
        """After a matcher: a comma (consumed) or the closing brace (left for the loop)."""
        if self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            return
        if self.pos < len(self.text) and self.text[self.pos] == "}":
            return
        if self.pos >= len(self.text):
            raise self.fail("missing closing '}'", "close the label matchers with }")
        raise self.fail(
            f"expected ',' or '}}', found {self.text[self.pos]!r}",
            "separate matchers with commas",
        )

    def parse_op(self) -> MatchOp:
        for op in ("=~", "!~", "!=", "="):
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        found = self.text[self.pos] if self.pos < len(self.text) else "end of text"
        raise self.fail(
            f"expected a match operator (=, !=, =~, !~), found {found!r}",
            'write label="value"',
        )

    def parse_string(self) -> str:
        if self.pos >= len(self.text) or self.text[self.pos] not in "\"'`":
            raise self.fail("expected a quoted label value", 'quote values: label="value"')
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char == "\\" and quote != "`":
                nxt = self.text[self.pos + 1 : self.pos + 2]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                    self.pos += 2
                    continue
                # Unknown escapes pass through, as regexes need \d, \. and friends.
                out.append(char)
                self.pos += 1
                continue
            out.append(char)
            self.pos += 1
        self.pos = start
        raise self.fail("unterminated string", f"close the value with {quote}")
