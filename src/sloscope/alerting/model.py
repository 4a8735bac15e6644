"""An alert: one contiguous span of firing of one SLO at one severity.

Times are Unix seconds on the evaluation grid. ``start`` is the first evaluation at which
the alert fired, ``last`` the last one at which it was still firing; it resolved at the
next evaluation (``resolved_at``), unless the replay ended first (``open``). Alerts that
the noise pipeline folded into another (grouped, held for a dependency, inhibited) live
on as :class:`Link` objects of the alert that was notified, so a notification can say
what it stands for and a backtest can score every SLO it covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from sloscope.engine.windows import AlertSeverity

#: Why an alert was folded into another.
Relation = Literal["grouped", "held", "inhibited"]


@dataclass(frozen=True)
class Link:
    """An alert folded into a notified one, and why (``relation``)."""

    relation: Relation
    key: str
    service: str
    slo: str
    severity: AlertSeverity
    start: int
    last: int


@dataclass(frozen=True)
class Alert:
    """One span of firing (see the module docstring).

    ``peak_burn_rate`` is the highest long-window burn of the severity's alert rows while
    firing; ``budget_consumed`` the bad events while firing as a share of the SLO
    window's budget (``None`` without events). ``group`` tells apart alerts of one SLO and
    severity that a caller keeps separately (a label set); empty for one per SLO.
    ``labels`` are what silences and routes match on (``service``, ``slo``, ``severity``
    and the SLO's own labels).
    """

    service: str
    slo: str
    severity: AlertSeverity
    start: int
    last: int
    interval: int
    peak_burn_rate: float | None = None
    budget_consumed: float | None = None
    open: bool = False
    group: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    related: tuple[Link, ...] = ()

    @property
    def key(self) -> str:
        """A stable key: the same alert evaluated twice has the same key."""
        group = f"/{self.group}" if self.group else ""
        return f"{self.service}/{self.slo}/{self.severity}{group}@{self.start}"

    @property
    def resolved_at(self) -> int:
        """When the alert resolved: the evaluation after its last firing one."""
        return self.last + self.interval

    def firing_at(self, t: int) -> bool:
        """Whether the alert was firing at the evaluation time ``t``."""
        return self.start <= t <= self.last

    def overlaps(self, start: int, end: int) -> bool:
        """Whether the alert fired at some time in ``[start, end]``."""
        return self.start <= end and start <= self.last

    def match_labels(self) -> dict[str, str]:
        """The labels silences and routes match on."""
        return {**self.labels, "service": self.service, "slo": self.slo, "severity": self.severity}

    def link(self, relation: Relation) -> Link:
        """This alert as a link of another, folded for ``relation``."""
        return Link(
            relation, self.key, self.service, self.slo, self.severity, self.start, self.last
        )

    def with_links(self, *links: Link) -> Alert:
        """This alert with more folded alerts attached."""
        return replace(self, related=(*self.related, *links))

    def members(self) -> list[tuple[str, str, AlertSeverity, int, int]]:
        """``(service, slo, severity, start, last)`` of this alert and every folded one."""
        own = (self.service, self.slo, self.severity, self.start, self.last)
        return [own, *((k.service, k.slo, k.severity, k.start, k.last) for k in self.related)]


def slo_labels(
    service: str,
    slo: str,
    *,
    journey: str | None = None,
    own: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The labels of an SLO's alerts: its own labels, then ``service``, ``slo``, ``journey``."""
    labels = dict(own or {})
    labels.update(service=service, slo=slo)
    if journey:
        labels["journey"] = journey
    return labels
