"""Deployments, incidents (with their timelines) and postmortem action items.

The rules of an incident's life are :func:`sloscope.events.model.advance`'s; this module
only stores what it allows. An incident opened from a page carries the page's key
(``page_key``, unique), so the same burn reported twice, by one process or two, opens
one incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.errors import NotFoundError
from sloscope.events.model import (
    Deployment,
    Incident,
    IncidentState,
    TimelineEntry,
    advance,
    open_incident,
)
from sloscope.store.database import insert_for, time_ordered
from sloscope.store.rows import ActionItemRow, IncidentEventRow, IncidentRow
from sloscope.store.tables import deployments

if TYPE_CHECKING:
    from sqlalchemy import Row

    from sloscope.store.database import Executor


@dataclass(frozen=True)
class StoredDeployment:
    """A recorded deployment with its id and who recorded it."""

    id: int
    deployment: Deployment
    recorded_by: str


@dataclass(frozen=True)
class StoredIncident:
    """A recorded incident: the pure :class:`Incident` and what only the record holds."""

    incident: Incident
    title: str
    links: tuple[str, ...]
    state: str
    page_key: str | None

    @property
    def id(self) -> int:
        """The incident's number."""
        return int(self.incident.id)


@dataclass(frozen=True)
class ActionItem:
    """A postmortem action item."""

    id: int
    incident_id: int
    text: str
    owner: str
    status: str
    created_at: int
    done_at: int | None


class Deployments:
    """Repository of deployments, within one transaction (Core statements: ``gate
    --record`` adds one on the gate's connection)."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    def add(self, deployment: Deployment, *, recorded_by: str, now: int) -> StoredDeployment:
        """Record a deployment; the same service, version and time again is kept once."""
        insert = insert_for(self.session, deployments).values(
            service=deployment.service,
            version=deployment.version,
            commit=deployment.commit,
            at=deployment.at,
            recorded_by=recorded_by,
            created_at=now,
        )
        self.session.execute(insert.on_conflict_do_nothing())
        row = self.session.execute(
            select(deployments).where(
                deployments.c.service == deployment.service,
                deployments.c.version == deployment.version,
                deployments.c.at == deployment.at,
            )
        ).one()
        return _deployment(row)

    def find(
        self, *, service: str | None = None, begin: int | None = None, end: int | None = None
    ) -> list[StoredDeployment]:
        """Deployments in time order, optionally of one service and in ``[begin, end)``."""
        query = time_ordered(deployments, deployments.c.at, service=service, begin=begin, end=end)
        return [_deployment(row) for row in self.session.execute(query)]


class Incidents:
    """Repository of incidents and their timelines, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open(
        self,
        *,
        service: str,
        at: int,
        title: str,
        slos: Sequence[str] = (),
        severity: str = "",
        cause_tags: Sequence[str] = (),
        links: Sequence[str] = (),
        by: str = "",
        page_key: str | None = None,
        now: int,
    ) -> tuple[StoredIncident, bool]:
        """Open an incident; with ``page_key``, the one already opened for that page if
        any. Returns the incident and whether it is new."""
        insert = insert_for(self.session, IncidentRow).values(
            service=service,
            title=title,
            slos=list(slos),
            severity=severity,
            cause_tags=list(cause_tags),
            links=list(links),
            state="open",
            opened_at=at,
            page_key=page_key,
            created_at=now,
        )
        new_id = self.session.execute(
            insert.on_conflict_do_nothing().returning(IncidentRow.id)
        ).scalar_one_or_none()
        if new_id is None:
            existing = self.session.scalars(
                select(IncidentRow).where(IncidentRow.page_key == page_key)
            ).one()
            return self._stored(existing), False
        self.session.add(IncidentEventRow(incident_id=new_id, state="open", at=at, by=by, note=""))
        self.session.flush()
        return self.get(new_id), True

    def get(self, incident_id: int) -> StoredIncident:
        """The incident numbered ``incident_id``; :class:`NotFoundError` when none is."""
        row = self.session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFoundError(f"no incident {incident_id}; see 'sloscope incident list'")
        return self._stored(row)

    def advance(
        self, incident_id: int, state: IncidentState, at: int, by: str = "", note: str = ""
    ) -> StoredIncident:
        """Move the incident to ``state`` at ``at`` (the rules are
        :func:`~sloscope.events.model.advance`'s; a broken one raises RequestError)."""
        row = self.session.get(IncidentRow, incident_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"no incident {incident_id}; see 'sloscope incident list'")
        advance(self._stored(row).incident, state, at, by, note)
        self.session.add(IncidentEventRow(incident_id=row.id, state=state, at=at, by=by, note=note))
        row.state = state
        self.session.flush()
        return self._stored(row)

    def find(
        self,
        *,
        service: str | None = None,
        begin: int | None = None,
        end: int | None = None,
        state: str | None = None,
    ) -> list[StoredIncident]:
        """Incidents by opening time, optionally of one service, opened in ``[begin, end)``,
        or in one state."""
        query = time_ordered(
            IncidentRow, IncidentRow.opened_at, service=service, begin=begin, end=end
        )
        if state is not None:
            query = query.where(IncidentRow.state == state)
        rows = list(self.session.scalars(query))
        timelines = self._timelines([r.id for r in rows])
        return [self._stored(r, timelines.get(r.id, ())) for r in rows]

    def _timelines(self, ids: Sequence[int]) -> dict[int, tuple[TimelineEntry, ...]]:
        found: dict[int, list[TimelineEntry]] = {}
        if not ids:
            return {}
        query = (
            select(IncidentEventRow)
            .where(IncidentEventRow.incident_id.in_(ids))
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        for event in self.session.scalars(query):
            found.setdefault(event.incident_id, []).append(_entry(event))
        return {k: tuple(v) for k, v in found.items()}

    def _stored(
        self, row: IncidentRow, timeline: tuple[TimelineEntry, ...] | None = None
    ) -> StoredIncident:
        if timeline is None:
            timeline = self._timelines([row.id]).get(row.id, ())
        if not timeline:  # the open entry is written with the row; never missing
            timeline = (open_incident(str(row.id), row.service, row.opened_at).timeline[0],)
        incident = Incident(
            id=str(row.id),
            service=row.service,
            timeline=timeline,
            slos=tuple(str(s) for s in row.slos),
            severity=row.severity,
            cause_tags=tuple(str(t) for t in row.cause_tags),
        )
        links = tuple(str(link) for link in row.links)
        return StoredIncident(incident, row.title, links, row.state, row.page_key)


class ActionItems:
    """Repository of postmortem action items, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, incident_id: int, text: str, owner: str, now: int) -> ActionItem:
        """Add an open action item to an incident (which must exist)."""
        if self.session.get(IncidentRow, incident_id) is None:
            raise NotFoundError(f"no incident {incident_id}; see 'sloscope incident list'")
        row = ActionItemRow(
            incident_id=incident_id, text=text, owner=owner, status="open", created_at=now
        )
        self.session.add(row)
        self.session.flush()
        return _action(row)

    def done(self, item_id: int, now: int) -> ActionItem:
        """Mark an action item done (again: unchanged)."""
        row = self.session.get(ActionItemRow, item_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"no action item {item_id}; see 'sloscope action list'")
        if row.status != "done":
            row.status = "done"
            row.done_at = now
            self.session.flush()
        return _action(row)

    def find(
        self, *, incident_id: int | None = None, status: str | None = None
    ) -> list[ActionItem]:
        """Action items by id, optionally of one incident or status."""
        query = select(ActionItemRow).order_by(ActionItemRow.id)
        if incident_id is not None:
            query = query.where(ActionItemRow.incident_id == incident_id)
        if status is not None:
            query = query.where(ActionItemRow.status == status)
        return [_action(row) for row in self.session.scalars(query)]


def _deployment(row: Row[Any]) -> StoredDeployment:
    return StoredDeployment(
        row.id, Deployment(row.service, row.version, row.at, row.commit), row.recorded_by
    )


def _entry(row: IncidentEventRow) -> TimelineEntry:
    state: IncidentState = row.state  # type: ignore[assignment]  # the CHECK constraint
    return TimelineEntry(row.at, state, row.by, row.note)


def _action(row: ActionItemRow) -> ActionItem:
    return ActionItem(
        row.id, row.incident_id, row.text, row.owner, row.status, row.created_at, row.done_at
    )
