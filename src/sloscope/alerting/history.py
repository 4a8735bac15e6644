"""The stored history a replay needs, fetched once through the source interface.

A replay of ``(start, end]`` needs every step of the range plus, before it, the alert
lifetime's lead (pending time and hysteresis) and the longest alert window (3 days for
the SRE workbook's table), and the SLO window (the budget an alert consumes is a share
of the window's), at the full resolution of the step, for every SLO at once,
so a backend can batch the queries. Whichever source answers (the embedded store or
Prometheus), nothing past this module knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sloscope.alerting.adjustments import Adjustment, excluded_steps
from sloscope.alerting.backtest import STATIC_LOOKBACK, BacktestTarget
from sloscope.alerting.model import slo_labels
from sloscope.conventions import slo_id
from sloscope.engine.windows import AlertPolicy
from sloscope.sources.base import Source
from sloscope.spec.model import SLO, Service


def history_start(
    start: int,
    lead: int,
    policies: Sequence[AlertPolicy],
    step: int,
    slos: Sequence[SLO] = (),
) -> int:
    """Where the counts must begin, on the grid: before the lead by the longest alert
    window, and before the range by the longest SLO window (the base of the budget an
    alert consumes)."""
    longest = max([STATIC_LOOKBACK, *(s for p in policies for s in p.lookbacks)])
    budget_base = max([0, *(slo.window.nominal_seconds for slo in slos)])
    begin = min(start - lead - longest, start - budget_base)
    return begin - begin % step


def labels_of(service: Service, slo: SLO) -> dict[str, str]:
    """The labels adjustments and silences match an SLO's alerts on."""
    own = {**service.labels, **slo.labels, **slo.alerting.labels}
    return slo_labels(service.name, slo.name, journey=slo.journey, own=own)


def fetch_targets(
    src: Source,
    pairs: Sequence[tuple[Service, SLO]],
    *,
    begin: int,
    end: int,
    step: int,
    adjustments: Sequence[Adjustment] = (),
) -> list[BacktestTarget]:
    """One :class:`BacktestTarget` per SLO, counts from ``begin`` to ``end`` at ``step``."""
    if not pairs:
        return []
    series = src.fetch(
        [slo.sli for _, slo in pairs],
        begin,
        end,
        step,
        ids=[slo_id(service.name, slo.name) for service, slo in pairs],
    )
    targets = []
    for (service, slo), counts in zip(pairs, series, strict=True):
        labels = labels_of(service, slo)
        excluded = excluded_steps(adjustments, labels, counts.timestamps, counts.step)
        targets.append(BacktestTarget(service.name, slo, counts, excluded, labels))
    return targets


def excluded_mapping(targets: Sequence[BacktestTarget]) -> Mapping[str, int]:
    """How many steps adjustments exclude, per SLO id (for messages)."""
    return {
        slo_id(t.service, t.slo.name): int(t.excluded.sum())
        for t in targets
        if t.excluded is not None
    }
