"""Grouped SLOs in a report: one status per group of label values (``group_by``).

A grouped SLO (``group_by: [route]``) is fetched apart from the batched fetch of the
other SLOs, through :meth:`~sloscope.sources.base.GroupedSource.fetch_grouped`, which
answers one :class:`~sloscope.sources.base.CountSeries` per group. Each group is then
evaluated as an SLO of its own: its row, JSON entry, budget-policy decision and gate
figures name the group. A group that appears inside the window is evaluated over the
part of the window it exists in (its counts start at its first sample); one that
vanished keeps its history until it leaves the window.

The number of groups is bounded (sloscope.yaml ``max_groups``, default 500): a spec
whose grouping yields more is an error naming the SLO and the count, found before any
sample is read where the source can tell (the embedded catalog, Prometheus's series API).
"""

from __future__ import annotations

from collections.abc import Sequence

from sloscope.alerting.adjustments import Adjustment, evaluate_adjusted
from sloscope.alerting.history import labels_of
from sloscope.engine.evaluate import needed_span
from sloscope.engine.trend import budget_trend
from sloscope.engine.windows import AlertPolicy
from sloscope.errors import ConfigError, NotFoundError, SourceError, TooManyGroupsError
from sloscope.policy.budget import BudgetPolicy, PolicyDecision, decide
from sloscope.report.model import SLOResult, group_text
from sloscope.sources.base import CountSeries, GroupedSource, GroupKey, Source
from sloscope.spec.model import SLO, Service


def fetch_groups(
    src: Source,
    service: Service,
    slo: SLO,
    span: tuple[int, int],
    step: int,
    *,
    max_groups: int,
) -> list[tuple[GroupKey, CountSeries]]:
    """Each group's counts over ``span`` (``(begin, at]``), groups sorted by their values.

    An SLO with no group at all (no series) gives one entry without a group and no data,
    so the SLO still shows, with null figures. Raises :class:`ConfigError` naming the SLO
    (file and line) and the count when there are more than ``max_groups`` groups, and
    :class:`SourceError` when the source cannot count per group.
    """
    begin, at = span
    if not isinstance(src, GroupedSource):
        raise SourceError(
            f"the {src.name} source cannot evaluate grouped SLOs ({service.name}/{slo.name} "
            f"groups by {', '.join(slo.group_by)}); use the embedded or a Prometheus source"
        )
    try:
        groups = src.fetch_grouped(slo.sli, slo.group_by, begin, at, step, max_groups=max_groups)
    except TooManyGroupsError as exc:
        # Not a SpecError: the spec is valid (validate cannot know the data); the data
        # yields more groups than sloscope.yaml allows.
        where = f"{slo.origin}: " if slo.origin else ""
        raise ConfigError(
            f"{where}SLO {service.name}/{slo.name} groups by ({', '.join(slo.group_by)}) "
            f"into {exc.count} groups, more than max_groups ({exc.limit}) (hint: group by "
            "fewer labels, narrow the SLI's selectors, or raise max_groups in sloscope.yaml)"
        ) from None
    if not groups:
        return [((), CountSeries.empty(begin, at, step))]
    return sorted(groups.items())


def find_group(groups: Sequence[GroupKey], wanted: str, service: str, slo: str) -> int:
    """The index in ``groups`` of the group written ``wanted`` (as :func:`group_text`
    writes it: ``{route="/orders"}``), the one rule by which a page or the history API
    picks a group of a grouped SLO. :class:`NotFoundError` naming the SLO's groups when
    none is (an ungrouped SLO has none)."""
    texts = [group_text(g) for g in groups]
    if wanted and wanted in texts:
        return texts.index(wanted)
    known = ", ".join(t for t in texts if t) or "none"
    raise NotFoundError(f"SLO {slo!r} of {service!r} has no group {wanted!r}; its groups: {known}")


def name_group(decision: PolicyDecision, group: GroupKey) -> PolicyDecision:
    """A group's policy decision, each reason naming the group (``{route="/orders"}:
    ...``), so a freeze says which route froze the SLO."""
    if not group:
        return decision
    prefix = group_text(group)
    return PolicyDecision(decision.state, tuple(f"{prefix}: {r}" for r in decision.reasons))


def evaluate_groups(
    src: Source,
    service: Service,
    slo: SLO,
    *,
    at: int,
    step: int,
    policy: AlertPolicy,
    budget: BudgetPolicy,
    lookbacks: tuple[int, ...],
    max_groups: int,
    trends: bool,
    adjustments: Sequence[Adjustment] = (),
) -> list[SLOResult]:
    """A grouped SLO at ``at``: one result per group, each evaluated as an SLO of its own
    over its own counts (the engine, the budget policy and the trend, as for any SLO).

    Budget adjustments apply as to any SLO; they match the SLO's labels and the group's.
    """
    span = needed_span(slo, at, step=step, policy=policy, lookbacks=lookbacks)
    out = []
    for group, series in fetch_groups(
        src, service, slo, (span.begin, at), step, max_groups=max_groups
    ):
        status = evaluate_adjusted(
            slo,
            series.good,
            series.total,
            start=series.start,
            step=series.step,
            at=at,
            policy=policy,
            lookbacks=lookbacks,
            adjustments=adjustments,
            labels={**labels_of(service, slo), **dict(group)},
        )
        has_data = series.series > 0
        consumed = status.consumed if has_data else None
        decision = name_group(decide(budget, consumed, status.burn_rates), group)
        trend = None
        if trends:
            trend = budget_trend(
                slo, series.good, series.total, start=series.start, step=series.step, at=at
            )
        out.append(SLOResult(service, slo, status, decision, has_data, series.note, trend, group))
    return out
