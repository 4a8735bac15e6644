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


def silence(silences: Sequence[Silence]) -> Step:
    """A step dropping alerts that a silence covers when they start to fire."""

    def step(alerts: Sequence[Alert]) -> list[Alert]:
        return [
            a for a in alerts if not any(s.silences(a.match_labels(), a.start) for s in silences)
        ]

    return step


def inhibit(alerts: Sequence[Alert]) -> list[Alert]:
    """A page inhibits the tickets of its SLO: a ticket overlapping a page is folded into it.

    One burn is one notification: the ticket that follows a fast burn (its longer
    windows burn on for hours) reaches nobody; the page lists it.
    """
    pages = [a for a in _ordered(alerts) if a.severity == "page"]
    links: dict[str, list[Alert]] = {}
    kept = []
    for alert in _ordered(alerts):
        if alert.severity == "ticket":
            page = next(
                (
                    p
                    for p in pages
                    if (p.service, p.slo, p.group) == (alert.service, alert.slo, alert.group)
                    and p.overlaps(alert.start, alert.last)
                ),
                None,
            )
            if page is not None:
                links.setdefault(page.key, []).append(alert)
                continue
        kept.append(alert)
    return [_fold(a, links.get(a.key, ()), "inhibited") for a in kept]


def _fold(alert: Alert, folded: Sequence[Alert], relation: Relation) -> Alert:
    """``alert`` with ``folded`` (and what they had folded) attached as links."""
    if not folded:
        return alert
    made = []
    for other in folded:
        made.append(other.link(relation))
        made.extend(other.related)
    return alert.with_links(*made)


def hold_dependencies(depends_on: Mapping[str, Sequence[str]]) -> Step:
    """A step holding the pages of a service while a service it depends on pages.

    ``depends_on`` maps a service to the services it depends on (``checkout`` →
    ``payments``). A page of checkout that starts while a page of payments fires is
    folded into the payments page: the payments team is paged once, and its
    notification links to what it broke downstream.
    """

    def step(alerts: Sequence[Alert]) -> list[Alert]:
        ordered = _ordered(alerts)
        links: dict[str, list[Alert]] = {}
        kept: list[Alert] = []
        for alert in ordered:
            parents = depends_on.get(alert.service, ())
            cause = None
            if alert.severity == "page" and parents:
                cause = next(
                    (
                        p
                        for p in kept
                        if p.severity == "page"
                        and p.service in parents
                        and p.firing_at(alert.start)
                    ),
                    None,
                )
            if cause is not None:
                links.setdefault(cause.key, []).append(alert)
            else:
                kept.append(alert)
        return [_fold(a, links.get(a.key, ()), "held") for a in kept]

    return step


def group(alerts: Sequence[Alert]) -> list[Alert]:
    """One notification for several SLOs of a service burning at once.

    An alert that starts while an alert of the same service and severity is firing is
    folded into that one (the first to fire leads the group).
    """
    links: dict[str, list[Alert]] = {}
    kept: list[Alert] = []
    for alert in _ordered(alerts):
        leader = next(
            (
                k
                for k in kept
                if (k.service, k.severity) == (alert.service, alert.severity)
                and k.firing_at(alert.start)
            ),
            None,
        )
        if leader is not None:
            links.setdefault(leader.key, []).append(alert)
        else:
            kept.append(alert)
    return [_fold(a, links.get(a.key, ()), "grouped") for a in kept]


def default_pipeline(
    *,
    silences: Sequence[Silence] = (),
    depends_on: Mapping[str, Sequence[str]] | None = None,
) -> list[Step]:
    """Dedup, silences, page-inhibits-ticket, dependencies, grouping: in that order."""
    steps: list[Step] = [dedup]
    if silences:
        steps.append(silence(silences))
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
