"""The outbox: enqueue once, claim with a lease, settle only with the claim's token."""

from __future__ import annotations

from sloscope.store.database import StateStore
from sloscope.store.outbox import MAX_ERROR_CHARS, Outbox


def _enqueue(store: StateStore, event: str, receiver: str = "pager", now: int = 1000) -> bool:
    with store.transaction() as session:
        return Outbox(session).enqueue(
            event_key=event,
            alert_key="k" * 64,
            transition="firing",
            receiver=receiver,
            payload={"slo": "availability", "burn_rate": 14.4},
            now=now,
        )


def test_the_same_event_for_the_same_receiver_is_kept_once(store: StateStore) -> None:
    assert _enqueue(store, "e1") is True
    assert _enqueue(store, "e1") is False
    assert _enqueue(store, "e1", receiver="slack") is True
    with store.transaction() as session:
        assert Outbox(session).counts() == {"pending": 2, "sent": 0, "dead": 0}


def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(store: StateStore) -> None:
    _enqueue(store, "e1")
    with store.transaction() as session:
        [item] = Outbox(session).claim_due(1000, lease_seconds=60)
    assert item.attempts == 1
    assert item.payload == {"slo": "availability", "burn_rate": 14.4}
    with store.transaction() as session:
        assert Outbox(session).claim_due(1059) == []
    with store.transaction() as session:
        [again] = Outbox(session).claim_due(1060)
    assert again.attempts == 2
    assert again.claim_token != item.claim_token
    with store.transaction() as session:
        assert Outbox(session).mark_sent(item, 1061) is False  # the old claim is void
        assert Outbox(session).mark_sent(again, 1061) is True


def test_a_row_is_not_due_before_its_next_attempt(store: StateStore) -> None:
    _enqueue(store, "e1", now=1000)
    with store.transaction() as session:
        assert Outbox(session).claim_due(999) == []


def test_a_retry_is_due_at_its_next_attempt_with_the_error_kept(store: StateStore) -> None:
    _enqueue(store, "e1")
    with store.transaction() as session:
        [item] = Outbox(session).claim_due(1000)
        assert Outbox(session).retry(item, 1030, "HTTP 503" + "x" * 5000)
    with store.transaction() as session:
        assert Outbox(session).claim_due(1029) == []
        [again] = Outbox(session).claim_due(1030)
    assert again.last_error is not None
    assert again.last_error.startswith("HTTP 503")
    assert len(again.last_error) == MAX_ERROR_CHARS


def test_sent_and_dead_rows_are_never_claimed_again(store: StateStore) -> None:
    _enqueue(store, "sent")
    _enqueue(store, "dead")
    with store.transaction() as session:
        outbox = Outbox(session)
        first, second = outbox.claim_due(1000)
        assert outbox.mark_sent(first, 1001)
        assert outbox.dead_letter(second, "HTTP 400 bad request")
    with store.transaction() as session:
        outbox = Outbox(session)
        assert outbox.claim_due(10**9) == []
        assert outbox.counts() == {"pending": 0, "sent": 1, "dead": 1}
        [dead] = outbox.find(status="dead")
        [sent] = outbox.find(status="sent")
    assert (dead.event_key, dead.last_error, dead.attempts) == ("dead", "HTTP 400 bad request", 1)
    assert (sent.event_key, sent.sent_at) == ("sent", 1001)


def test_due_rows_are_claimed_oldest_first_up_to_the_limit(store: StateStore) -> None:
    for n in range(5):
        _enqueue(store, f"e{n}", now=1000 + n)
    with store.transaction() as session:
        claimed = Outbox(session).claim_due(2000, limit=3)
    assert [i.event_key for i in claimed] == ["e0", "e1", "e2"]
