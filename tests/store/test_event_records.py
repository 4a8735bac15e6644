"""Deployments, incidents with their timelines, and action items, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from sloscope.errors import NotFoundError, RequestError
from sloscope.events.model import Deployment
from sloscope.store.database import StateStore
from sloscope.store.events import ActionItems, Deployments, Incidents


def test_a_deployment_recorded_twice_is_kept_once(store: StateStore) -> None:
    with store.transaction() as session:
        first = Deployments(session).add(
            Deployment("checkout", "2.0", 100, "abc123"), recorded_by="ana", now=100
        )
        again = Deployments(session).add(
            Deployment("checkout", "2.0", 100, "abc123"), recorded_by="bob", now=101
        )
        assert again == first
        assert first.deployment.commit == "abc123"
        assert len(Deployments(session).find()) == 1


def test_deployments_are_found_by_service_and_range(store: StateStore) -> None:
    with store.transaction() as session:
        deployments = Deployments(session)
        for at, service in ((100, "checkout"), (200, "search"), (300, "checkout")):
            deployments.add(Deployment(service, f"v{at}", at), recorded_by="ci", now=at)
        assert [d.deployment.at for d in deployments.find(service="checkout")] == [100, 300]
        assert [d.deployment.at for d in deployments.find(begin=150, end=300)] == [200]


def _open(store: StateStore, page_key: str | None = None, at: int = 1000) -> int:
    with store.transaction() as session:
        stored, _ = Incidents(session).open(
            service="checkout",
            at=at,
            title="orders fail",
            slos=["availability"],
            severity="critical",
            cause_tags=["db"],
            links=["https://status.example.com/1"],
            by="ana",
            page_key=page_key,
            now=at,
        )
        return stored.id


def test_an_incident_keeps_its_timeline_in_order(store: StateStore) -> None:
    incident_id = _open(store)
    with store.transaction() as session:
        incidents = Incidents(session)
        incidents.advance(incident_id, "acknowledged", 1060, "bob")
        incidents.advance(incident_id, "mitigated", 1600, "bob", "rolled back")
        done = incidents.advance(incident_id, "resolved", 2000, "ana")
    assert done.state == "resolved"
    assert [(e.state, e.at, e.by) for e in done.incident.timeline] == [
        ("open", 1000, "ana"),
        ("acknowledged", 1060, "bob"),
        ("mitigated", 1600, "bob"),
        ("resolved", 2000, "ana"),
    ]
    assert done.incident.mitigated == 1600
    assert done.links == ("https://status.example.com/1",)


def test_resolving_before_the_incident_opened_is_refused_and_writes_nothing(
    store: StateStore,
) -> None:
    incident_id = _open(store)
    with pytest.raises(RequestError, match="it opened later"), store.transaction() as session:
        Incidents(session).advance(incident_id, "resolved", 999)
    with store.transaction() as session:
        stored = Incidents(session).get(incident_id)
    assert stored.state == "open"
    assert len(stored.incident.timeline) == 1


def test_a_page_opens_one_incident_however_often_it_is_reported(store: StateStore) -> None:
    first = _open(store, page_key="burn-1:1000")
    again = _open(store, page_key="burn-1:1000")
    other = _open(store, page_key="burn-2:1000")
    assert first == again != other
    with store.transaction() as session:
        assert len(Incidents(session).find()) == 2


def test_an_unknown_incident_is_not_found(store: StateStore) -> None:
    with pytest.raises(NotFoundError, match="no incident 42"), store.transaction() as session:
        Incidents(session).get(42)


def test_action_items_are_tracked_until_done(store: StateStore) -> None:
    incident_id = _open(store)
    with store.transaction() as session:
        items = ActionItems(session)
        first = items.add(incident_id, "add a failover test", "ana", 2000)
        items.add(incident_id, "page on shard errors", "", 2000)
        done = items.done(first.id, 3000)
        assert (done.status, done.done_at) == ("done", 3000)
        assert [i.text for i in items.find(status="open")] == ["page on shard errors"]
        with pytest.raises(NotFoundError, match="no incident 99"):
            items.add(99, "x", "", 2000)
