"""Deployments, incidents and action items as the CLI and the server record them.

Every function checks its input first (the service is in the specs, the SLOs are the
service's, times are in order) and raises :class:`~sloscope.errors.RequestError` or
:class:`~sloscope.errors.NotFoundError` before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sloscope.errors import NotFoundError, RequestError
from sloscope.events.changes import ChangeFailureReport, change_failure_rate
from sloscope.events.model import Deployment, IncidentState, Page

if TYPE_CHECKING:
    from sloscope.store.events import ActionItem, StoredDeployment, StoredIncident
    from sloscope.workspace import Workspace

#: Limits on free text: a title, a note or an action is a sentence, not a document.
MAX_TEXT_CHARS = 2000
MAX_ITEMS = 50
SEVERITIES = ("critical", "major", "minor")


def _service_slos(ws: Workspace, service: str) -> tuple[str, ...]:
    chosen = ws.select(ws.services(), service)[0]
    return tuple(slo.name for slo in chosen.slos)


def _text(value: str, option: str, *, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise RequestError(f"{option}: must not be empty")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise RequestError(f"{option}: at most {MAX_TEXT_CHARS} characters")
    return cleaned


def record_deployment(
    ws: Workspace,
    service: str,
    *,
    version: str,
    at: int,
    by: str,
    now: int,
    commit: str | None = None,
) -> StoredDeployment:
    """Record a deployment of a service the specs know."""
    from sloscope.store.events import Deployments

    _service_slos(ws, service)
    version = _text(version, "--version")
    if commit is not None and not (1 <= len(commit) <= 64 and commit.isalnum()):
        raise RequestError("--commit: a commit hash of 1 to 64 letters and digits")
    with ws.open_state() as store, store.transaction() as session:
        return Deployments(session).add(
            Deployment(service, version, at, commit), recorded_by=by, now=now
        )


def deployments(
    ws: Workspace, *, service: str | None = None, begin: int | None = None, end: int | None = None
) -> list[StoredDeployment]:
    """Recorded deployments in time order."""
    from sloscope.store.events import Deployments

    with ws.open_state() as store, store.transaction() as session:
        return Deployments(session).find(service=service, begin=begin, end=end)


@dataclass(frozen=True)
class History:
    """Everything recorded that the event figures are made of."""

    deployments: tuple[Deployment, ...]
    incidents: tuple[StoredIncident, ...]
    pages: tuple[Page, ...]


def history(ws: Workspace) -> History:
    """Every deployment, incident and page on record."""
    from sloscope.store.events import Deployments, Incidents
    from sloscope.store.history import firings

    with ws.open_state() as store, store.transaction() as session:
        deployed = tuple(d.deployment for d in Deployments(session).find())
        incidents = tuple(Incidents(session).find())
        pages = tuple(
            Page(f.service, f.at, f.slo) for f in firings(session) if f.severity == "page"
        )
    return History(deployed, incidents, pages)


def change_failures(
    ws: Workspace, *, begin: int, end: int, service: str | None = None
) -> ChangeFailureReport:
    """The change failure rate of ``[begin, end)``, per service and overall."""
    if end <= begin:
        raise RequestError("--to must be after --from")
    known = history(ws)
    chosen = [d for d in known.deployments if service is None or d.service == service]
    return change_failure_rate(
        chosen,
        [i.incident for i in known.incidents],
        known.pages,
        begin=begin,
        end=end,
        failure_window=ws.config.events.failure_window_seconds,
    )


def open_incident(
    ws: Workspace,
    service: str,
    *,
    at: int,
    title: str,
    by: str,
    now: int,
    slos: Sequence[str] = (),
    severity: str = "major",
    cause_tags: Sequence[str] = (),
    links: Sequence[str] = (),
    page_key: str | None = None,
) -> tuple[StoredIncident, bool]:
    """Open an incident of a service (its SLOs must be the service's). Returns the
    incident and whether it is new (an incident for ``page_key`` exists already)."""
    from sloscope.store.events import Incidents

    known = _service_slos(ws, service)
    unknown = [s for s in slos if s not in known]
    if unknown:
        raise NotFoundError(
            f"service {service!r} has no SLO {', '.join(map(repr, unknown))}; its SLOs: "
            + ", ".join(known)
        )
    if severity not in SEVERITIES:
        raise RequestError(f"--severity: one of {', '.join(SEVERITIES)}, not {severity!r}")
    if max(len(slos), len(cause_tags), len(links)) > MAX_ITEMS:
        raise RequestError(f"at most {MAX_ITEMS} SLOs, cause tags or links")
    for link in links:
        if not link.startswith(("https://", "http://")):
            raise RequestError(f"--link {link!r}: give an http(s) URL")
    tags = [_text(t, "--cause") for t in cause_tags]
    with ws.open_state() as store, store.transaction() as session:
        return Incidents(session).open(
            service=service,
            at=at,
            title=_text(title, "--title"),
            slos=list(dict.fromkeys(slos)),
            severity=severity,
            cause_tags=list(dict.fromkeys(tags)),
            links=list(links),
            by=by,
            page_key=page_key,
            now=now,
        )


def open_incident_for_page(
    ws: Workspace,
    *,
    service: str,
    slo: str,
    dedup_key: str,
    fired_at: int,
    now: int,
    summary: str = "",
) -> StoredIncident | None:
    """The incident a page opens when ``events.open_on_page`` is set (None when it is not).

    Called by the alert evaluator for each page that starts firing. Idempotent per burn:
    the page's ``dedup_key`` and firing time make the incident's key, so a page reported
    again (a replayed evaluation, a second replica) returns the incident it opened.
    """
    if not ws.config.events.open_on_page:
        return None
    title = summary or f"{service}/{slo} is burning its error budget (page)"
    incident, _ = open_incident(
        ws,
        service,
        at=fired_at,
        title=title[:MAX_TEXT_CHARS],
        by="sloscope",
        now=now,
        slos=(slo,),
        severity="critical",
        page_key=f"{dedup_key}:{fired_at}",
    )
    return incident


def advance_incident(
    ws: Workspace, incident_id: int, state: IncidentState, *, at: int, by: str, note: str = ""
) -> StoredIncident:
    """Acknowledge, mitigate or resolve an incident (the order rules are
    :func:`sloscope.events.model.advance`'s)."""
    from sloscope.store.events import Incidents

    note = _text(note, "--note", required=False)
    with ws.open_state() as store, store.transaction() as session:
        return Incidents(session).advance(incident_id, state, at, by, note)


def incidents(
    ws: Workspace,
    *,
    service: str | None = None,
    begin: int | None = None,
    end: int | None = None,
    state: str | None = None,
) -> list[StoredIncident]:
    """Recorded incidents by opening time."""
    from sloscope.store.events import Incidents

    with ws.open_state() as store, store.transaction() as session:
        return Incidents(session).find(service=service, begin=begin, end=end, state=state)


def incident(ws: Workspace, incident_id: int) -> StoredIncident:
    """One incident; :class:`NotFoundError` when there is none."""
    from sloscope.store.events import Incidents

    with ws.open_state() as store, store.transaction() as session:
        return Incidents(session).get(incident_id)


def add_action(ws: Workspace, incident_id: int, text: str, owner: str, now: int) -> ActionItem:
    """Add a postmortem action item to an incident."""
    from sloscope.store.events import ActionItems

    text = _text(text, "TEXT")
    owner = _text(owner, "--owner", required=False)
    with ws.open_state() as store, store.transaction() as session:
        return ActionItems(session).add(incident_id, text, owner, now)


def actions(
    ws: Workspace, *, incident_id: int | None = None, status: str | None = None
) -> list[ActionItem]:
    """Action items, optionally of one incident or status."""
    from sloscope.store.events import ActionItems

    with ws.open_state() as store, store.transaction() as session:
        return ActionItems(session).find(incident_id=incident_id, status=status)


def finish_action(ws: Workspace, item_id: int, now: int) -> ActionItem:
    """Mark an action item done."""
    from sloscope.store.events import ActionItems

    with ws.open_state() as store, store.transaction() as session:
        return ActionItems(session).done(item_id, now)
