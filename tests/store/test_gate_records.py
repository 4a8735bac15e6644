"""Gate decisions, overrides, the audit log and budget step states, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from sloscope.store.audit import AuditLog
from sloscope.store.database import StateStore, after_commit
from sloscope.store.gates import BudgetStepStates, GateRecords, Overrides


def _decision(request_id: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "request_id": request_id,
        "service": "checkout",
        "journey": None,
        "version": "2.0",
        "asked_by": "ana",
        "at": 1000,
        "decision": "freeze",
        "reasons": ["checkout/a: 93.1% of the 28d budget consumed, freeze at 90%"],
        "figures": [{"slo": "a", "consumed": 0.931}],
        "exception_kind": None,
        "exception_reason": None,
        "override_id": None,
        "deployment_id": None,
        "created_at": 1000,
    }
    values.update(changes)
    return values


def test_a_decision_is_kept_with_its_reasons_and_figures(store: StateStore) -> None:
    with store.transaction() as session:
        kept = GateRecords(session).add(_decision("r1"))
    with store.transaction() as session:
        (found,) = GateRecords(session).find(service="checkout")
    assert found == kept
    assert found.reasons == ("checkout/a: 93.1% of the 28d budget consumed, freeze at 90%",)
    assert found.figures == ({"slo": "a", "consumed": 0.931},)
    assert (found.asked_by, found.version, found.decision) == ("ana", "2.0", "freeze")


def test_the_decision_added_is_the_one_read_back_whatever_its_json_holds(
    store: StateStore,
) -> None:
    figures = [{"slo": "a", "windows": ("1h", "5m"), "burn": {"1h": 14.5}, "left": None}]
    with store.transaction() as session:
        kept = GateRecords(session).add(_decision("r1", figures=figures, override_id=None))
    with store.transaction() as session:
        (found,) = GateRecords(session).find()
    assert found == kept
    assert kept.figures == (
        {"slo": "a", "windows": ["1h", "5m"], "burn": {"1h": 14.5}, "left": None},
    )


def test_the_same_request_recorded_twice_is_kept_once(store: StateStore) -> None:
    with store.transaction() as session:
        first = GateRecords(session).add(_decision("r1"))
    with store.transaction() as session:
        again = GateRecords(session).add(_decision("r1", decision="allow"))
        assert again == first
        assert len(GateRecords(session).find()) == 1


def test_decisions_are_found_by_service_and_range(store: StateStore) -> None:
    with store.transaction() as session:
        records = GateRecords(session)
        records.add(_decision("a", at=100))
        records.add(_decision("b", at=200))
        records.add(_decision("c", at=300, service="search"))
        assert [r.request_id for r in records.find(begin=150, end=300)] == ["b"]
        assert [r.request_id for r in records.find(service="search")] == ["c"]


def test_an_override_is_active_from_its_start_until_before_its_expiry(store: StateStore) -> None:
    with store.transaction() as session:
        Overrides(session).add(
            service="checkout",
            journey=None,
            by="ana",
            reason="launch",
            since=100,
            until=200,
            now=100,
        )
    with store.transaction() as session:
        overrides = Overrides(session)
        assert overrides.active("checkout", 99) == []
        assert [o.by for o in overrides.active("checkout", 100)] == ["ana"]
        assert [o.by for o in overrides.active("checkout", 199)] == ["ana"]
        assert overrides.active("checkout", 200) == []
        assert overrides.active("search", 150) == []


def test_the_audit_log_keeps_entries_in_time_order_by_service(store: StateStore) -> None:
    with store.transaction() as session:
        log = AuditLog(session)
        log.append(at=300, kind="override", service="checkout", by="ana", reason="launch")
        log.append(
            at=100,
            kind="exception",
            service="checkout",
            by="bob",
            reason="fix",
            detail={"exception": "hotfix"},
        )
        log.append(at=200, kind="exception", service="search", by="cy", reason="cve")
    with store.transaction() as session:
        found = AuditLog(session).find(service="checkout")
    assert [(e.at, e.by, e.kind) for e in found] == [
        (100, "bob", "exception"),
        (300, "ana", "override"),
    ]
    assert found[0].detail == {"exception": "hotfix"}


def test_budget_steps_swap_returns_what_was_held_before(store: StateStore) -> None:
    with store.transaction() as session:
        steps = BudgetStepStates(session)
        assert steps.swap("checkout/a", frozenset({0}), 100) == frozenset()
        assert steps.swap("checkout/a", frozenset({0, 1}), 200) == frozenset({0})
        assert steps.get("checkout/a") == frozenset({0, 1})


def test_an_older_evaluation_does_not_overwrite_a_newer_one(store: StateStore) -> None:
    with store.transaction() as session:
        steps = BudgetStepStates(session)
        steps.swap("checkout/a", frozenset({0, 1}), 200)
        # Replaying the past reports its own steps back: nothing crossed, nothing stored.
        assert steps.swap("checkout/a", frozenset(), 100) == frozenset()
        assert steps.get("checkout/a") == frozenset({0, 1})


def test_decisions_and_audit_entries_page_newest_first(store: StateStore) -> None:
    with store.transaction() as session:
        for n in range(5):
            GateRecords(session).add(_decision(f"r{n}", at=1000 + n))
            AuditLog(session).append(
                at=2000 + n, kind="exception", service="s", by=f"u{n}", reason="r"
            )
        # Two at one time: the later recorded comes first.
        GateRecords(session).add(_decision("tie", at=1004))
    with store.transaction() as session:
        gates = GateRecords(session)
        assert [d.request_id for d in gates.newest(limit=3)] == ["tie", "r4", "r3"]
        assert [d.request_id for d in gates.newest(limit=3, offset=3)] == ["r2", "r1", "r0"]
        assert gates.newest(limit=3, offset=6) == []
        audit = AuditLog(session)
        assert [e.by for e in audit.newest(limit=2, offset=1)] == ["u3", "u2"]


def test_the_steps_of_several_slos_are_swapped_at_once_each_by_its_own_time(
    store: StateStore,
) -> None:
    with store.transaction() as session:
        BudgetStepStates(session).swap("checkout/b", frozenset({0}), 300)
    with store.transaction() as session:
        steps = BudgetStepStates(session)
        before = steps.swap_all(
            {"checkout/a": frozenset({1}), "checkout/b": frozenset({0, 1})}, 200
        )
        # a is new (held nothing); b was stored at 300, later than 200: left as it was.
        assert before == {"checkout/a": frozenset(), "checkout/b": frozenset({0, 1})}
        assert steps.get("checkout/a") == frozenset({1})
        assert steps.get("checkout/b") == frozenset({0})
        assert steps.swap_all({}, 400) == {}


def test_a_connection_commits_its_statements_then_runs_its_after_commit_actions(
    store: StateStore,
) -> None:
    ran: list[str] = []
    with store.connection() as connection:
        kept = GateRecords(connection).add(_decision("r1"))
        after_commit(connection, lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]
    with store.transaction() as session:
        assert GateRecords(session).find() == [kept]


def test_a_connection_rolled_back_keeps_nothing_and_runs_no_action(store: StateStore) -> None:
    ran: list[str] = []

    def fail_after_writing() -> None:
        with store.connection() as connection:
            GateRecords(connection).add(_decision("r1"))
            after_commit(connection, lambda: ran.append("rolled back"))
            raise RuntimeError("the rest of the transaction failed")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    # The next transaction (on the same pooled connection) neither sees the row nor runs
    # the action registered in the one rolled back.
    with store.connection() as connection:
        assert GateRecords(connection).find() == []
        after_commit(connection, lambda: ran.append("next"))
    assert ran == ["next"]
