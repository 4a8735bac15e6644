"""API-made budget adjustments: stored as written, listed oldest first, deleted by id
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from sloscope.errors import NotFoundError
from sloscope.store.adjustments import Adjustments
from sloscope.store.database import StateStore

WRITTEN = {"reason": "db upgrade", "start": "2026-11-20T02:00:00Z", "duration": "1h"}


def test_adjustments_are_stored_as_written_listed_and_deleted(store: StateStore) -> None:
    with store.transaction() as session:
        first = Adjustments(session).add(WRITTEN, by="ana", now=100)
        second = Adjustments(session).add(WRITTEN | {"rrule": "FREQ=WEEKLY"}, by="bo", now=200)
    with store.transaction() as session:
        found = Adjustments(session).find()
    assert found == [first, second]
    assert (second.spec["rrule"], second.created_by, second.created_at) == (
        "FREQ=WEEKLY",
        "bo",
        200,
    )
    with store.transaction() as session:
        assert Adjustments(session).delete(first.id) == first
    with store.transaction() as session:
        assert Adjustments(session).find() == [second]
        with pytest.raises(NotFoundError, match=f"no adjustment {first.id} made through the API"):
            Adjustments(session).delete(first.id)
