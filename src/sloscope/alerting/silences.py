"""Silences: label matchers and a period during which matching alerts notify nobody.

A silence is what Alertmanager calls one: matchers (``=``, ``!=``, ``=~``, ``!~``, a
regular expression matching the whole value; :mod:`sloscope.alerting.matchers`, the one
matcher rule of silences, routes and adjustments), a start and an end, who made it and
why. This is the pure model the noise pipeline applies; the state store keeps them.

>>> s = Silence.create(['service="checkout"', 'severity=~"page|ticket"'],
...                    start=100, end=200, author="ana", comment="migration")
>>> s.silences({"service": "checkout", "severity": "page"}, at=150)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.alerting.matchers import Matcher, match_all, parse_matcher

#: How many matchers a silence or an adjustment may carry.
MAX_MATCHERS = 32


def parse_matchers(texts: Sequence[str], field: str = "matchers") -> tuple[Matcher, ...]:
    """Matchers written as ``label="value"`` (or ``!=``, ``=~``, ``!~``), one per text.

    Raises :class:`ValueError` naming ``field`` and the position of the one that does not
    parse (``matchers[1]: ...``).
    """
    if len(texts) > MAX_MATCHERS:
        raise ValueError(f"{field}: at most {MAX_MATCHERS} matchers, got {len(texts)}")
    found = []
    for index, text in enumerate(texts):
        try:
            found.append(parse_matcher(text))
        except ValueError as exc:
            raise ValueError(f"{field}[{index}]: {exc}") from None
    return tuple(found)


@dataclass(frozen=True)
class Silence:
    """Matching alerts notify nobody from ``start`` until ``end`` (Unix seconds)."""

    matchers: tuple[Matcher, ...]
    start: int
    end: int
    author: str
    comment: str

    @classmethod
    def create(
        cls,
        matchers: Sequence[str],
        *,
        start: int,
        end: int,
        author: str,
        comment: str,
    ) -> Silence:
        """A silence from matcher texts; :class:`ValueError` names the field that is wrong."""
        parsed = parse_matchers(matchers)
        if not parsed:
            raise ValueError("matchers: a silence needs at least one matcher")
        if end <= start:
            raise ValueError(f"end: must be after start ({end} <= {start})")
        if not author.strip():
            raise ValueError("author: say who silences the alerts")
        if not comment.strip():
            raise ValueError("comment: say why the alerts are silenced")
        return cls(parsed, start, end, author.strip(), comment.strip())

    def active(self, at: int) -> bool:
        """Whether the silence holds at ``at``: ``start <= at < end``."""
        return self.start <= at < self.end

    def silences(self, labels: Mapping[str, str], at: int) -> bool:
        """Whether an alert with ``labels`` that notifies at ``at`` is silenced."""
        return self.active(at) and match_all(self.matchers, labels)
