"""How fast incidents were answered and repaired, and which ones came back.

MTTA (mean time to acknowledge) = mean of acknowledged − start over the incidents that
were acknowledged; MTTR (mean time to restore) = mean of mitigated − start over the
incidents that were mitigated (a resolution without a mitigation counts as one). Both
over the incidents that *started* in the range; ``None`` when none qualifies.

A *repeat* incident shares an SLO and a cause tag with an earlier incident of the same
service that started at most ``repeat_window`` (default 30 days) before it; the repeat
rate is repeats / incidents of the range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.events.defaults import DEFAULT_REPEAT_WINDOW
from sloscope.events.model import Incident


@dataclass(frozen=True)
class ResponseTimes:
    """MTTA and MTTR (seconds) of a range, with how many incidents each is made of."""

    incidents: int
    acknowledged: int
    mtta_seconds: float | None
    restored: int
    mttr_seconds: float | None


def _in_range(incidents: Sequence[Incident], begin: int, end: int) -> list[Incident]:
    return [i for i in incidents if begin <= i.start < end]


def response_times(incidents: Sequence[Incident], *, begin: int, end: int) -> ResponseTimes:
    """MTTA and MTTR of the incidents that started in ``[begin, end)``."""
    # Imported here: the config imports this module for a default, and every command
    # loads the config; only the org report and incident commands compute means.
    from statistics import fmean

    chosen = _in_range(incidents, begin, end)
    acks = [i.acknowledged - i.start for i in chosen if i.acknowledged is not None]
    fixes = [i.mitigated - i.start for i in chosen if i.mitigated is not None]
    return ResponseTimes(
        incidents=len(chosen),
        acknowledged=len(acks),
        mtta_seconds=fmean(acks) if acks else None,
        restored=len(fixes),
        mttr_seconds=fmean(fixes) if fixes else None,
    )


def repeats(
    incidents: Sequence[Incident], *, window: int = DEFAULT_REPEAT_WINDOW
) -> Mapping[str, str]:
    """Incident id → the id of the most recent earlier incident it repeats."""
    ordered = sorted(incidents, key=lambda i: (i.start, i.id))
    found: dict[str, str] = {}
    for index, incident in enumerate(ordered):
        keys = {(slo, tag) for slo in incident.slos for tag in incident.cause_tags}
        for earlier in reversed(ordered[:index]):
            if incident.start - earlier.start > window:
                break
            if earlier.service != incident.service or earlier.start == incident.start:
                continue
            if keys & {(slo, tag) for slo in earlier.slos for tag in earlier.cause_tags}:
                found[incident.id] = earlier.id
                break
    return found


def repeat_rate(
    incidents: Sequence[Incident], *, begin: int, end: int, window: int = DEFAULT_REPEAT_WINDOW
) -> float | None:
    """Repeats / incidents among those that started in ``[begin, end)``; None without any.

    Pass the incidents before ``begin`` too: an incident repeats one from before the range.
    """
    chosen = _in_range(incidents, begin, end)
    if not chosen:
        return None
    repeated = repeats(incidents, window=window)
    return sum(i.id in repeated for i in chosen) / len(chosen)
