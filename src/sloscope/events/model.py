"""What happened to a service: deployments, pages and incidents, as plain values.

An incident's life is its timeline: it opens, is acknowledged, mitigated (the service
works again for users) and resolved (the cause is dealt with). :func:`advance` is the one
place that says which step may follow which, so the CLI, the server and an automatic
opening from a page all obey the same rules. Times are Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from sloscope.errors import RequestError
from sloscope.timeparse import format_time

IncidentState = Literal["open", "acknowledged", "mitigated", "resolved"]

_VERBS = {
    "open": "open",
    "acknowledged": "acknowledge",
    "mitigated": "mitigate",
    "resolved": "resolve",
}


@dataclass(frozen=True)
class Deployment:
    """A release of ``version`` of ``service`` at ``at`` (optionally its ``commit``)."""

    service: str
    version: str
    at: int
    commit: str | None = None


@dataclass(frozen=True)
class Page:
    """A page sent for ``service`` (and one of its SLOs) at ``at``."""

    service: str
    at: int
    slo: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One state change of an incident: when, which state, who, and a note."""

    at: int
    state: IncidentState
    by: str = ""
    note: str = ""


@dataclass(frozen=True)
class Incident:
    """An incident of ``service``: linked SLOs (names), severity, cause tags, timeline.

    An incident with linked SLOs is *SLO-impacting*: it counts against the deployment
    before it (change failure rate) and its impact is the budget those SLOs lost.
    """

    id: str
    service: str
    timeline: tuple[TimelineEntry, ...]
    slos: tuple[str, ...] = ()
    severity: str = ""
    cause_tags: tuple[str, ...] = ()

    def _first(self, state: IncidentState) -> int | None:
        return next((e.at for e in self.timeline if e.state == state), None)

    @property
    def start(self) -> int:
        """When the incident started (its ``open`` entry)."""
        opened = self._first("open")
        assert opened is not None  # every incident is made by open_incident
        return opened

    @property
    def acknowledged(self) -> int | None:
        """When someone acknowledged it, or None."""
        return self._first("acknowledged")

    @property
    def mitigated(self) -> int | None:
        """When users were served again: mitigation, or resolution without one."""
        mitigated = self._first("mitigated")
        return mitigated if mitigated is not None else self._first("resolved")

    @property
    def resolved(self) -> int | None:
        """When it was resolved, or None while it is still open."""
        return self._first("resolved")

    @property
    def slo_impacting(self) -> bool:
        """Whether the incident is linked to at least one SLO."""
        return bool(self.slos)


def open_incident(
    id: str,
    service: str,
    at: int,
    *,
    slos: tuple[str, ...] = (),
    severity: str = "",
    cause_tags: tuple[str, ...] = (),
    by: str = "",
    note: str = "",
) -> Incident:
    """A new incident, opened at ``at``."""
    entry = TimelineEntry(at, "open", by, note)
    return Incident(id, service, (entry,), slos, severity, cause_tags)


def advance(
    incident: Incident, state: IncidentState, at: int, by: str = "", note: str = ""
) -> Incident:
    """The incident with one more timeline entry; a :class:`RequestError` when the step
    cannot follow (twice the same step, anything after resolution, a time before the
    incident opened, or a resolution before its mitigation)."""
    verb = _VERBS[state]
    if state == "open" or incident._first(state) is not None:
        raise RequestError(f"incident {incident.id} is already {state}; nothing to {verb}")
    if incident.resolved is not None:
        raise RequestError(
            f"incident {incident.id} was resolved at {format_time(incident.resolved)}; "
            f"cannot {verb} it now (open a new incident instead)"
        )
    if at < incident.start:
        raise RequestError(
            f"cannot {verb} incident {incident.id} at {format_time(at)}: it opened later, "
            f"at {format_time(incident.start)}"
        )
    mitigated = incident._first("mitigated")
    if state == "resolved" and mitigated is not None and at < mitigated:
        raise RequestError(
            f"cannot resolve incident {incident.id} at {format_time(at)}, before its "
            f"mitigation at {format_time(mitigated)}"
        )
    return replace(incident, timeline=(*incident.timeline, TimelineEntry(at, state, by, note)))
