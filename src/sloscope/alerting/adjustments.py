"""Budget adjustments: periods excluded from the error budget and from alerting.

Planned maintenance and known bad data are declared once (``adjustments:`` in
``sloscope.yaml``), one-off or recurring (an RFC 5545 ``RRULE``, expanded with
``python-dateutil``). Their steps count as no events: the excluded steps' counts are
zeroed *before* the cumulative sums, so every window that covers them is recomputed,
past ones included, and no alert fires while an adjustment holds.

>>> a = Adjustment.create(start=0, duration=3600, reason="db upgrade",
...                       matchers=['service="checkout"'], rrule="FREQ=WEEKLY;COUNT=2")
>>> a.periods(0, 14 * 86400)
[(0, 3600), (604800, 608400)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from dateutil import rrule as rfc5545

from sloscope.alerting.matchers import Matcher, match_all
from sloscope.alerting.silences import parse_matchers

if TYPE_CHECKING:
    # numpy and the engine load with the first evaluation: sloscope.yaml's settings
    # hold adjustments, and 'validate' must start without numpy.
    import numpy as np
    from numpy.typing import NDArray

    from sloscope.engine.burn import BoolArray
    from sloscope.engine.evaluate import SLOStatus
    from sloscope.engine.windows import AlertPolicy
    from sloscope.sources.base import CountSeries
    from sloscope.spec.model import SLO

AdjustmentKind = Literal["maintenance", "bad-data"]

#: Occurrences of one recurring adjustment expanded over one range, at most.
MAX_OCCURRENCES = 10_000


@dataclass(frozen=True)
class Adjustment:
    """A period (or recurring periods) excluded from the budget of matching SLOs.

    ``matchers`` select SLOs by their labels (``service``, ``slo`` and the SLO's own);
    none selects every SLO. ``start`` and ``duration`` in seconds; ``rrule`` the RFC 5545
    recurrence (``FREQ=WEEKLY;BYDAY=SU``), whose first occurrence is ``start``.
    """

    start: int
    duration: int
    reason: str
    matchers: tuple[Matcher, ...] = ()
    rrule: str | None = None
    kind: AdjustmentKind = "maintenance"

    @classmethod
    def create(
        cls,
        *,
        start: int,
        reason: str,
        duration: int | None = None,
        end: int | None = None,
        matchers: Sequence[str] = (),
        rrule: str | None = None,
        kind: AdjustmentKind = "maintenance",
    ) -> Adjustment:
        """An adjustment from its written form; :class:`ValueError` names the wrong field."""
        if (duration is None) == (end is None):
            raise ValueError("duration: give exactly one of duration and end")
        length = duration if duration is not None else (end or 0) - start
        if length <= 0:
            raise ValueError(
                "end: must be after start" if end is not None else "duration: must be positive"
            )
        if not reason.strip():
            raise ValueError("reason: say why the period is excluded")
        made = cls(start, length, reason.strip(), parse_matchers(matchers), rrule, kind)
        if rrule is not None:
            made.recurrence()
        return made

    def recurrence(self) -> rfc5545.rrule:
        """The parsed RRULE; :class:`ValueError` naming the ``rrule`` field when it is bad."""
        assert self.rrule is not None
        text = self.rrule.strip()
        if text.upper().startswith("RRULE:"):
            text = text[6:]
        if "DTSTART" in text.upper():
            raise ValueError("rrule: leave DTSTART out; the adjustment's start is the first one")
        try:
            rule = rfc5545.rrulestr(text, dtstart=datetime.fromtimestamp(self.start, UTC))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(
                f"rrule: {self.rrule!r} is not an RFC 5545 recurrence rule ({exc}); "
                "write e.g. FREQ=WEEKLY;BYDAY=SU;BYHOUR=2"
            ) from None
        if not isinstance(rule, rfc5545.rrule):
            raise ValueError(f"rrule: {self.rrule!r} must be one RRULE, not a set")
        return rule

    def applies_to(self, labels: Mapping[str, str]) -> bool:
        """Whether the adjustment excludes periods of an SLO with ``labels``."""
        return match_all(self.matchers, labels)

    def periods(self, begin: int, end: int) -> list[tuple[int, int]]:
        """The excluded periods ``[a, b)`` that overlap ``[begin, end)``, in order."""
        if self.rrule is None:
            starts = [self.start]
        else:
            after = datetime.fromtimestamp(max(begin - self.duration, self.start), UTC)
            before = datetime.fromtimestamp(end, UTC)
            starts = []
            for occurrence in self.recurrence().xafter(after, count=MAX_OCCURRENCES, inc=True):
                if occurrence >= before:
                    break
                starts.append(int(occurrence.timestamp()))
        return [(a, a + self.duration) for a in starts if a < end and a + self.duration > begin]


def excluded_steps(
    adjustments: Sequence[Adjustment],
    labels: Mapping[str, str],
    timestamps: NDArray[np.int64],
    step: int,
) -> BoolArray | None:
    """Which steps (right edges ``timestamps``) an adjustment excludes; None when none do.

    A step ``(t - step, t]`` is excluded when it lies inside an excluded period
    ``[a, b)``: its right edge in ``(a, b]``, so a maintenance from 02:00 to 03:00
    excludes the steps ending 02:01 ... 03:00.
    """
    import numpy as np

    if not len(timestamps):
        return None
    begin, end = int(timestamps[0]) - step, int(timestamps[-1]) + step
    mask: BoolArray | None = None
    for adjustment in adjustments:
        if not adjustment.applies_to(labels):
            continue
        for a, b in adjustment.periods(begin, end):
            lo = np.searchsorted(timestamps, a, side="right")
            hi = np.searchsorted(timestamps, b, side="right")
            if hi > lo:
                if mask is None:
                    mask = np.zeros(len(timestamps), dtype=np.bool_)
                mask[lo:hi] = True
    return mask


def zero_excluded(
    good: NDArray[np.float64], total: NDArray[np.float64], excluded: BoolArray | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Copies of the counts with the excluded steps' events removed (no copy when none)."""
    if excluded is None:
        return good, total
    good, total = good.copy(), total.copy()
    good[excluded] = 0.0
    total[excluded] = 0.0
    return good, total


def adjusted_counts(
    series: CountSeries, adjustments: Sequence[Adjustment], labels: Mapping[str, str]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``series``' good and total counts with the steps an adjustment excludes zeroed (the
    arrays themselves when none does): how an incident's impact and the budget an alert
    spent while firing leave out what the report leaves out."""
    if not adjustments:
        return series.good, series.total
    excluded = excluded_steps(adjustments, labels, series.timestamps, series.step)
    return zero_excluded(series.good, series.total, excluded)


def describe(adjustment: Adjustment) -> str:
    """One line for messages: the reason, when, how long, how often."""
    when = datetime.fromtimestamp(adjustment.start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    every = f", {adjustment.rrule}" if adjustment.rrule else ""
    length = timedelta(seconds=adjustment.duration)
    return f"{adjustment.reason} ({adjustment.kind}, {when} for {length}{every})"


def evaluate_adjusted(
    slo: SLO,
    good: NDArray[np.float64],
    total: NDArray[np.float64],
    *,
    start: int,
    step: int,
    at: int,
    policy: AlertPolicy,
    lookbacks: Sequence[int],
    adjustments: Sequence[Adjustment],
    labels: Mapping[str, str],
) -> SLOStatus:
    """:func:`~sloscope.engine.evaluate.evaluate_slo` over per-step counts with the
    adjusted steps zeroed, so every window is recomputed without them; an adjustment in
    force at ``at`` holds back the alerts as well.

    The one place that applies adjustments to a status: the report, each group of a
    grouped SLO and the evaluator all come through here.
    """
    import numpy as np

    from sloscope.engine.evaluate import evaluate_slo

    timestamps = start + step * np.arange(1, len(total) + 1, dtype=np.int64)
    excluded = excluded_steps(adjustments, labels, timestamps, step)
    good, total = zero_excluded(good, total, excluded)
    status = evaluate_slo(
        slo, good, total, start=start, step=step, at=at, policy=policy, lookbacks=lookbacks
    )
    if excluded is not None and len(excluded) and excluded[-1]:
        status = status._replace(alerts=())
    return status
