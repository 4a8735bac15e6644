"""The noise pipeline: a list of small callables, each alerts in → fewer alerts out.

As structlog chains processors, an alert list goes through :data:`Step` functions in
order; each one either passes an alert on, drops it (silenced), or folds it into
another alert as a :class:`~sloscope.alerting.model.Link` (grouped, held, inhibited), so
the notification that goes out says what it stands for. :func:`default_pipeline`
builds the usual chain::

    alerts = run(alerts, default_pipeline(depends_on={"checkout": ("payments",)}))

Every step keeps time order and is pure: the same alerts give the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sloscope.alerting.model import Alert, Relation
from sloscope.alerting.silences import Silence

#: One step of the pipeline.
Step = Callable[[Sequence[Alert]], list[Alert]]


def _ordered(alerts: Sequence[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (a.start, a.severity != "page", a.service, a.slo))


def dedup(alerts: Sequence[Alert]) -> list[Alert]:
    """One alert per stable key; a repeat (the same alert evaluated twice) is dropped.

    Of two alerts with one key the longer span is kept, with the links of both.
    """
    kept: dict[str, Alert] = {}
    for alert in alerts:
        seen = kept.get(alert.key)
        if seen is None:
            kept[alert.key] = alert
            continue
        longer, other = (alert, seen) if alert.last > seen.last else (seen, alert)
        extra = tuple(k for k in other.related if k not in longer.related)
        kept[alert.key] = longer.with_links(*extra)
    return _ordered(list(kept.values()))


def silence(silences: Sequence[Silence], at: int | None = None) -> Step:
    """A step dropping alerts that a silence covers when they start to fire, or (with
    ``at``) at that time: the live evaluator asks at each evaluation, so a silence made
    while an alert fires holds it from then on, and one that expired holds it no more."""

    def held(alert: Alert) -> bool:
        when = alert.start if at is None else at
        return any(s.silences(alert.match_labels(), when) for s in silences)

    def step(alerts: Sequence[Alert]) -> list[Alert]:
        return [a for a in alerts if not held(a)]

    return step


#: Given an alert and the alerts kept so far, the one to fold it into (None: keep it).
LeaderOf = Callable[[Alert, Sequence[Alert]], Alert | None]


def fold_into(alerts: Sequence[Alert], leader_of: LeaderOf, relation: Relation) -> list[Alert]:
    """Fold each alert (in time order) into the alert ``leader_of`` names, or keep it.

    The kept alerts come back in time order, each with the alerts folded into it (and
    what those had folded) as links of ``relation``.
    """
    links: dict[str, list[Alert]] = {}
    kept: list[Alert] = []
    for alert in _ordered(alerts):
        leader = leader_of(alert, kept)
        if leader is None:
            kept.append(alert)
        else:
            links.setdefault(leader.key, []).append(alert)
    return [_fold(a, links.get(a.key, ()), relation) for a in kept]


def _fold(alert: Alert, folded: Sequence[Alert], relation: Relation) -> Alert:
    """``alert`` with ``folded`` (and what they had folded) attached as links."""
    if not folded:
        return alert
    made = []
    for other in folded:
        made.append(other.link(relation))
        made.extend(other.related)
    return alert.with_links(*made)


def inhibit(alerts: Sequence[Alert]) -> list[Alert]:
    """A page inhibits the tickets of its SLO: a ticket overlapping a page is folded into it.

    One burn is one notification: the ticket that follows a fast burn (its longer
    windows burn on for hours) reaches nobody; the page lists it.
    """
    pages = [a for a in alerts if a.severity == "page"]

    def page_of(alert: Alert, kept: Sequence[Alert]) -> Alert | None:
        if alert.severity != "ticket":
            return None
        same = (alert.service, alert.slo, alert.group)
        return next(
            (
                p
                for p in pages
                if (p.service, p.slo, p.group) == same and p.overlaps(alert.start, alert.last)
            ),
            None,
        )

    return fold_into(alerts, page_of, "inhibited")


def hold_dependencies(depends_on: Mapping[str, Sequence[str]]) -> Step:
    """A step holding the pages of a service while a service it depends on pages.

    ``depends_on`` maps a service to the services it depends on (``checkout`` →
    ``payments``). A page of checkout that starts while a page of payments fires is
    folded into the payments page: the payments team is paged once, and its
    notification links to what it broke downstream.
    """

    def cause_of(alert: Alert, kept: Sequence[Alert]) -> Alert | None:
        parents = depends_on.get(alert.service, ())
        if alert.severity != "page" or not parents:
            return None
        return next(
            (
                p
                for p in kept
                if p.severity == "page" and p.service in parents and p.firing_at(alert.start)
            ),
            None,
        )

    def step(alerts: Sequence[Alert]) -> list[Alert]:
        return fold_into(alerts, cause_of, "held")

    return step


def group(alerts: Sequence[Alert]) -> list[Alert]:
    """One notification for several SLOs of a service burning at once.

    An alert that starts while an alert of the same service and severity is firing is
    folded into that one (the first to fire leads the group).
    """

    def leader_of(alert: Alert, kept: Sequence[Alert]) -> Alert | None:
        same = (alert.service, alert.severity)
        return next(
            (k for k in kept if (k.service, k.severity) == same and k.firing_at(alert.start)),
            None,
        )

    return fold_into(alerts, leader_of, "grouped")


def default_pipeline(
    *,
    silences: Sequence[Silence] = (),
    depends_on: Mapping[str, Sequence[str]] | None = None,
    silenced_at: int | None = None,
) -> list[Step]:
    """Dedup, silences, page-inhibits-ticket, dependencies, grouping: in that order.

    ``silenced_at``: judge silences at that time instead of each alert's start.
    """
    steps: list[Step] = [dedup]
    if silences:
        steps.append(silence(silences, silenced_at))
    steps.append(inhibit)
    if depends_on:
        steps.append(hold_dependencies(depends_on))
    steps.append(group)
    return steps


def run(alerts: Sequence[Alert], steps: Sequence[Step]) -> list[Alert]:
    """The alerts that notify after every step, in time order."""
    current = list(alerts)
    for step in steps:
        current = step(current)
    return current
