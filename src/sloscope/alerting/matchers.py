"""Label matchers as Alertmanager writes them: ``name=value``, ``!=``, ``=~`` and ``!~``.

Silences and notification routes select alerts with the same matchers::

    >>> m = parse_matcher("severity=~page|ticket")
    >>> m.matches({"severity": "page"})
    True

A regular expression is RE2 and matches the whole value (as in Alertmanager and PromQL;
:mod:`sloscope.spec.regex` is the one dialect of every user regex). A label
that is absent matches as the empty string, so ``team!=payments`` holds for an alert with
no ``team`` label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from sloscope.spec.regex import RegexError, check_regex, full_match

Op = Literal["=", "!=", "=~", "!~"]
_OPS: dict[str, Op] = {"=": "=", "!=": "!=", "=~": "=~", "!~": "!~"}

#: Matchers longer than this are refused: nobody writes one, and a huge regex is a risk.
MAX_MATCHER_CHARS = 1000

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The operator is the first of these after the name; "=~" and "!~" before "=" and "!=".
_SPLIT = re.compile(r"^\s*([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Matcher:
    """One label condition: ``name`` ``op`` ``value``."""

    name: str
    op: Op
    value: str

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                f"label name {self.name!r} is not valid; use letters, digits and _ "
                "(not starting with a digit)"
            )
        if self.op in ("=~", "!~"):
            try:
                check_regex(self.value)
            except RegexError as exc:
                raise ValueError(
                    f"{self.value!r} is not a regular expression (RE2): {exc}"
                ) from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this matcher."""
        value = labels.get(self.name, "")
        if self.op in ("=~", "!~"):
            found = full_match(self.value, value)
            return found if self.op == "=~" else not found
        return (value == self.value) if self.op == "=" else (value != self.value)

    def to_dict(self) -> dict[str, str]:
        """As stored in JSON: ``{"name": ..., "op": ..., "value": ...}``."""
        return {"name": self.name, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def parse_matcher(text: str) -> Matcher:
    """``service=checkout`` (or ``!=``, ``=~``, ``!~``) into a :class:`Matcher`.

    Raises :class:`ValueError` saying what is wrong and how to write one. The value may be
    quoted (``team="a b"``).
    """
    if len(text) > MAX_MATCHER_CHARS:
        raise ValueError(f"matcher longer than {MAX_MATCHER_CHARS} characters")
    found = _SPLIT.match(text)
    if found is None:
        raise ValueError(
            f"{text!r} is not a matcher; write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or "
            "NAME!~REGEX, e.g. service=checkout"
        )
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return Matcher(name, _OPS[op], value)


def matcher_from_dict(data: Mapping[str, str]) -> Matcher:
    """The inverse of :meth:`Matcher.to_dict` (raises ValueError on a bad record)."""
    op = data.get("op", "=")
    if op not in _OPS:
        raise ValueError(f"unknown matcher operator {op!r}")
    return Matcher(str(data.get("name", "")), _OPS[op], str(data.get("value", "")))


def match_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds (no matchers: always)."""
    return all(m.matches(labels) for m in matchers)
