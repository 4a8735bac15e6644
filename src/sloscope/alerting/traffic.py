"""Is an SLO's recent traffic enough for its alert windows? (``sloscope validate``)

A burn rate over a window of a few requests is noise, and the low-traffic guard holds
such windows back, so an alert row whose windows are usually that quiet will rarely
fire when it should. For each alert row, the typical (median) number of events in its
short window over the recent counts is compared with what it needs:

- at least the guard's ``min_total`` events, when the policy has a guard;
- without a guard, enough events that one failed request does not already burn faster
  than the row's factor (``1 / (events × budget) <= factor``).
"""

from __future__ import annotations

import numpy as np

from sloscope.engine.burn import alert_thresholds
from sloscope.engine.counts import cumulative, lookback_steps, rolling_sums
from sloscope.engine.windows import AlertPolicy
from sloscope.sources.base import CountSeries
from sloscope.spec.model import SLO, TimeslicesSLI


def traffic_warnings(slo: SLO, policy: AlertPolicy, counts: CountSeries) -> list[str]:
    """What is too quiet for ``slo``'s alert rows in ``counts`` (empty: traffic is fine).

    Only windows that fit entirely in the counts are looked at; a time-slice SLI, an SLO
    whose alerting is off, or counts without matched series give no warning.
    """
    if isinstance(slo.sli, TimeslicesSLI) or not slo.alerting.enabled or counts.series == 0:
        return []
    cum = cumulative(counts.good, counts.total, start=counts.start, step=counts.step)
    guard = policy.guard
    out = []
    seen: set[int] = set()
    for row in alert_thresholds(policy, slo.window.nominal_seconds):
        w = lookback_steps(row.short_seconds, counts.step)
        if row.short_seconds in seen or w > cum.steps:
            continue
        seen.add(row.short_seconds)
        typical = float(np.median(rolling_sums(cum.total, w, first=w - 1)))
        label = row.window.short_label
        if guard is not None and guard.active and typical < guard.min_total:
            out.append(
                f"recent traffic is too low for the {label} window of its {row.severity} "
                f"alert: a median of {typical:g} events per {label}, below the guard's "
                f"min_total of {guard.min_total:g}, so the alert will rarely fire"
            )
        elif (guard is None or not guard.active) and typical * slo.error_budget * row.factor < 1:
            out.append(
                f"recent traffic is too low for the {label} window of its {row.severity} "
                f"alert: a median of {typical:g} events per {label}, so one failed request "
                f"burns faster than the factor {row.factor:g}"
            )
    return out
