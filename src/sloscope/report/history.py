"""An SLO's history for charts: SLI, error-budget burn-down and burn rates over its window.

Computed with the engine's vectorised :func:`~sloscope.engine.evaluate.evaluate_range`
over the counts of the whole window, then reduced to at most ``width`` points, since a
chart a few hundred pixels wide cannot show 40,000 minutes. Cumulative figures (the SLI
and budget consumed since the window started) are read at each bucket's last step, which
is exact; burn rates take each bucket's highest value, so a short spike still shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sloscope.engine.budget import error_budget
from sloscope.engine.burn import alert_thresholds
from sloscope.engine.calendar import window_start
from sloscope.engine.evaluate import evaluate_range
from sloscope.engine.windows import AlertPolicy
from sloscope.sources.base import CountSeries
from sloscope.spec.durations import format_duration
from sloscope.spec.model import SLO

#: The most points a chart may ask for.
MAX_WIDTH = 2000


@dataclass(frozen=True)
class History:
    """Chart series of one SLO (or of one ``group`` of a grouped SLO, written as
    ``{route="/orders"}``) from its window's start to ``at`` (times: right edges)."""

    service: str
    slo: str
    objective: float
    at: int
    window_start: int
    timestamps: NDArray[np.int64]
    sli: NDArray[np.float64]
    consumed: NDArray[np.float64]
    burn: dict[int, NDArray[np.float64]]
    thresholds: tuple[dict[str, Any], ...]
    has_data: bool
    group: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The ``/history`` JSON: arrays of equal length, null where there were no events."""
        return {
            "service": self.service,
            "slo": self.slo,
            "group": self.group or None,
            "objective": self.objective,
            "at": int(self.at),
            "window_start": int(self.window_start),
            "has_data": self.has_data,
            "timestamps": [int(t) for t in self.timestamps],
            "sli": _floats(self.sli, 8),
            "budget_consumed": _floats(self.consumed, 6),
            "budget_remaining": _floats(1.0 - self.consumed, 6),
            "burn_rates": {
                format_duration(lookback): _floats(rates, 4)
                for lookback, rates in self.burn.items()
            },
            "alert_thresholds": list(self.thresholds),
        }


def _floats(values: NDArray[np.float64], digits: int) -> list[float | None]:
    return [round(float(v), digits) if math.isfinite(v) else None for v in values]


def slo_history(
    service: str,
    slo: SLO,
    counts: CountSeries,
    *,
    at: int,
    policy: AlertPolicy,
    lookbacks: Sequence[int],
    width: int,
    group: str = "",
) -> History:
    """The history of ``slo`` over its window ending at ``at``, in at most ``width`` points.

    ``counts`` must cover the window at full resolution (and the longest lookback before
    it, for the first burn rates) and end at ``at``; ``group`` names the group they
    are the counts of, if any.
    """
    width = max(2, min(width, MAX_WIDTH))
    end = counts.start + len(counts.total) * counts.step
    first_edge = window_start(slo.window, at)
    # The range starts on the grid edge at or after the window start.
    offset = max(0, -(-(first_edge - counts.start) // counts.step))
    offset = min(offset, len(counts.total) - 1)
    range_start = counts.start + offset * counts.step
    evaluated = evaluate_range(
        slo,
        counts.good,
        counts.total,
        start=counts.start,
        step=counts.step,
        policy=policy,
        lookbacks=lookbacks,
        range_start=range_start,
    )
    cum = evaluated.counts
    first = (range_start - cum.start) // cum.step
    bad = np.maximum(cum.bad[first + 1 :] - cum.bad[first], 0.0)
    total = cum.total[first + 1 :] - cum.total[first]
    with np.errstate(divide="ignore", invalid="ignore"):
        sli = np.where(total > 0, 1.0 - bad / total, np.nan)
        consumed = np.where(total > 0, bad / (total * error_budget(slo.objective)), np.nan)
    picks, starts = _buckets(len(evaluated.timestamps), width)
    thresholds = (
        alert_thresholds(policy, slo.window.nominal_seconds) if slo.alerting.enabled else ()
    )
    shown = sorted({*lookbacks, *(t.long_seconds for t in thresholds)})
    burn = {
        lookback: _bucket_max(evaluated.burn_rates(lookback), starts)
        for lookback in shown
        if lookback in evaluated.lookbacks
    }
    return History(
        service=service,
        slo=slo.name,
        objective=slo.objective,
        at=min(at, end),
        window_start=range_start,
        timestamps=evaluated.timestamps[picks],
        sli=sli[picks],
        consumed=consumed[picks],
        burn=burn,
        thresholds=tuple(
            {
                "severity": t.severity,
                "long_window": format_duration(t.long_seconds),
                "short_window": format_duration(t.short_seconds),
                "factor": t.factor,
            }
            for t in thresholds
        ),
        has_data=bool(np.any(total > 0)),
        group=group,
    )


def _buckets(n: int, width: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The last index of each of at most ``width`` buckets of ``n`` steps, and their starts."""
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    edges = np.unique(np.linspace(0, n, min(width, n) + 1).astype(np.intp))
    return edges[1:] - 1, edges[:-1]


def _bucket_max(values: NDArray[np.float64], starts: NDArray[np.intp]) -> NDArray[np.float64]:
    """Each bucket's highest value, NaN where a bucket has none (NaN-aware)."""
    if len(starts) == 0:
        return np.zeros(0)
    result: NDArray[np.float64] = np.fmax.reduceat(values, starts)
    return result
