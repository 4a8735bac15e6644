"""Silences (kept after they expire) and evaluation cursors (only forward)."""

from __future__ import annotations

import pytest

from sloscope.errors import NotFoundError
from sloscope.store.cursors import Cursors
from sloscope.store.database import StateStore
from sloscope.store.silences import Silences

CHECKOUT = [{"name": "service", "op": "=", "value": "checkout"}]


def _add(store: StateStore, starts: int, ends: int, author: str = "ana") -> int:
    with store.transaction() as session:
        silence = Silences(session).add(
            CHECKOUT, starts_at=starts, ends_at=ends, author=author, comment="deploy", now=starts
        )
    return silence.id


def test_a_silence_is_active_from_its_start_until_just_before_its_end(store: StateStore) -> None:
    silence_id = _add(store, 100, 200)
    with store.transaction() as session:
        silences = Silences(session)
        assert [s.id for s in silences.find(active_at=100)] == [silence_id]
        assert [s.id for s in silences.find(active_at=199)] == [silence_id]
        assert silences.find(active_at=200) == []
        assert silences.find(active_at=99) == []
        stored = silences.get(silence_id)
    assert stored.matchers == tuple(CHECKOUT)
    assert (stored.author, stored.comment, stored.created_at) == ("ana", "deploy", 100)


def test_expiring_a_silence_ends_it_now_and_keeps_the_record(store: StateStore) -> None:
    silence_id = _add(store, 100, 7300)
    with store.transaction() as session:
        expired = Silences(session).expire(silence_id, now=500)
    assert (expired.starts_at, expired.ends_at) == (100, 500)
    with store.transaction() as session:
        silences = Silences(session)
        assert silences.find(active_at=500) == []
        assert [s.id for s in silences.find()] == [silence_id]
        assert silences.find(since=500) == []


def test_expiring_a_silence_that_has_not_started_leaves_a_valid_past_span(
    store: StateStore,
) -> None:
    silence_id = _add(store, 1000, 2000)
    with store.transaction() as session:
        expired = Silences(session).expire(silence_id, now=500)
    assert (expired.starts_at, expired.ends_at) == (499, 500)
    assert not expired.active(500)


def test_an_unknown_silence_id_is_not_found(store: StateStore) -> None:
    with (
        store.transaction() as session,
        pytest.raises(NotFoundError, match="no silence with id 42"),
    ):
        Silences(session).expire(42, now=1)


def test_a_silence_without_matchers_or_with_an_empty_span_is_refused(store: StateStore) -> None:
    with store.transaction() as session:
        silences = Silences(session)
        with pytest.raises(ValueError, match="at least one matcher"):
            silences.add([], starts_at=1, ends_at=2, author="a", comment="c", now=1)
        with pytest.raises(ValueError, match="end after it starts"):
            silences.add(CHECKOUT, starts_at=2, ends_at=2, author="a", comment="c", now=1)


def test_a_cursor_only_moves_forward(store: StateStore) -> None:
    with store.transaction() as session:
        cursors = Cursors(session)
        assert cursors.get("checkout/availability") is None
        assert cursors.advance("checkout/availability", 600, now=601) == 600
        assert cursors.advance("checkout/availability", 540, now=602) == 600
        assert cursors.advance("checkout/availability", 660, now=661) == 660
        cursors.advance("payments/latency", 120, now=121)
    with store.transaction() as session:
        assert Cursors(session).all() == {"checkout/availability": 660, "payments/latency": 120}
