"""Routes: which notifiers hear about an alert, chosen by its labels.

Routes are tried in order; the first whose matchers all hold decides, unless it says
``continue: true``, in which case later routes may add notifiers too. A route without
matchers matches every alert (a catch-all, usually last). Labels include the alert's own
and ``service``, ``slo``, ``severity`` and ``journey``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.alerting.matchers import Matcher, match_all


@dataclass(frozen=True)
class Route:
    """Matchers, the notifiers they send to, and whether to keep looking after a match."""

    matchers: tuple[Matcher, ...]
    notifiers: tuple[str, ...]
    name: str | None = None
    keep_going: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every matcher holds for ``labels``."""
        return match_all(self.matchers, labels)


def receivers(routes: Sequence[Route], labels: Mapping[str, str]) -> tuple[str, ...]:
    """The notifier names for an alert with ``labels``, in route order, each once."""
    found: list[str] = []
    for route in routes:
        if not route.matches(labels):
            continue
        found += [n for n in route.notifiers if n not in found]
        if not route.keep_going:
            break
    return tuple(found)
