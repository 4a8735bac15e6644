"""Silences: label matchers and a period during which matching alerts notify nobody.

A silence is what Alertmanager calls one: matchers (``=``, ``!=``, ``=~``, ``!~``, with
the regular expressions fully anchored, as Prometheus matches them), a start and an end,
who made it and why. The matchers are those of spec selectors
(:class:`~sloscope.spec.selectors.Matcher`): one matching rule in the whole project.

>>> s = Silence.create(['service="checkout"', 'severity=~"page|ticket"'],
...                    start=100, end=200, author="ana", comment="migration")
>>> s.silences({"service": "checkout", "severity": "page"}, at=150)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.spec.selectors import Matcher, SelectorSyntaxError, parse_selector

#: How many matchers a silence or an adjustment may carry.
MAX_MATCHERS = 32


def parse_matchers(texts: Sequence[str], field: str = "matchers") -> tuple[Matcher, ...]:
    """Matchers written as ``label="value"`` (or ``!=``, ``=~``, ``!~``), one per text.

    A text may also hold several, comma-separated, or be braced (``{a="b", c!="d"}``).
    Raises :class:`ValueError` naming ``field`` and the matcher that does not parse.
    """
    if len(texts) > MAX_MATCHERS:
        raise ValueError(f"{field}: at most {MAX_MATCHERS} matchers, got {len(texts)}")
    found: list[Matcher] = []
    for index, text in enumerate(texts):
        inner = text.strip()
        if inner.startswith("{") and inner.endswith("}"):
            inner = inner[1:-1]
        try:
            # The selector parser is the one matcher grammar; a fixed metric name carries it.
            found += parse_selector("alert{" + inner + "}").matchers
        except SelectorSyntaxError as exc:
            raise ValueError(
                f"{field}[{index}]: {text!r} is not a matcher: {exc.message}; write "
                'label="value", label!="value", label=~"regex" or label!~"regex"'
            ) from None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{field}[{index}]: {text!r}: {exc}") from None
    return tuple(found)


def matches(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher accepts ``labels`` (an absent label reads as empty)."""
    return all(m.matches(labels.get(m.label)) for m in matchers)


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
        return self.active(at) and matches(self.matchers, labels)
