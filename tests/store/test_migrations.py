"""The packaged migrations: from empty, from the previous revision, no drift, no surprises."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from sloscope.errors import ConfigError, StateError
from sloscope.store.database import StateStore, resolve_url
from sloscope.store.migrate import (
    current_revision,
    downgrade,
    head_revision,
    schema_drift,
    upgrade,
)
from sloscope.store.silences import Silences
from sloscope.store.sqlite import HEAD_REVISION
from sloscope.store.tokens import Tokens
from tests.store.conftest import Target

FIRST_TABLES = {
    "alert_states",
    "alert_transitions",
    "notification_outbox",
    "silences",
    "evaluation_cursors",
}
TOKEN_TABLES = {"api_tokens", "dashboard_sessions"}
TABLES = (
    FIRST_TABLES
    | TOKEN_TABLES
    | {
        "gate_decisions",
        "gate_overrides",
        "audit_log",
        "budget_step_states",
        "deployments",
        "incidents",
        "incident_events",
        "action_items",
        "budget_adjustments",
    }
)


def _tables(store: StateStore) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


def test_opening_an_empty_database_migrates_it_to_the_newest_revision(target: Target) -> None:
    with target.open() as store:
        assert _tables(store) == TABLES
        assert current_revision(store.engine) == head_revision() == "0006"


def test_the_fast_path_knows_the_newest_revision() -> None:
    assert head_revision() == HEAD_REVISION


def test_the_models_and_the_migrations_describe_the_same_schema(store: StateStore) -> None:
    assert schema_drift(store.engine) == []


def test_downgrading_to_base_drops_every_table_and_upgrading_again_restores_them(
    target: Target,
) -> None:
    with target.open() as store:
        downgrade(store.engine, "base")
        assert _tables(store) == set()
        assert current_revision(store.engine) is None
        upgrade(store.engine)
        assert _tables(store) == TABLES
        assert schema_drift(store.engine) == []


def test_an_unmigrated_store_opened_later_is_migrated_then(target: Target) -> None:
    with target.open(migrate=False) as store:
        assert _tables(store) == set()
    with target.open() as store:
        assert _tables(store) == TABLES


def test_reopening_a_migrated_store_keeps_its_rows(target: Target) -> None:
    with target.open() as store, store.transaction() as session:
        Silences(session).add(
            [{"name": "service", "op": "=", "value": "checkout"}],
            starts_at=100,
            ends_at=200,
            author="ana",
            comment="deploy",
            now=100,
        )
    with target.open() as store:
        assert current_revision(store.engine) == head_revision()
        with store.transaction() as session:
            assert [s.author for s in Silences(session).find()] == ["ana"]


def test_upgrading_from_0001_adds_the_token_tables_and_keeps_the_silences(
    target: Target,
) -> None:
    with target.open(migrate=False) as store:
        upgrade(store.engine, "0001")
        assert "api_tokens" not in _tables(store)
        with store.transaction() as session:
            Silences(session).add(
                [{"name": "service", "op": "=", "value": "checkout"}],
                starts_at=100,
                ends_at=200,
                author="ana",
                comment="before tokens",
                now=100,
            )
        upgrade(store.engine)
        assert current_revision(store.engine) == HEAD_REVISION
        with store.transaction() as session:
            assert [s.comment for s in Silences(session).find()] == ["before tokens"]
            _, secret = Tokens(session).create("read", "ci", 100)
        with store.transaction() as session:
            assert Tokens(session).authenticate(secret) is not None
        downgrade(store.engine, "0001")
        assert _tables(store) == FIRST_TABLES
        assert schema_drift(store.engine) != []


def test_a_store_written_by_a_newer_sloscope_is_refused_with_a_clear_error(
    target: Target,
) -> None:
    with target.open() as store, store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StateError, match=r"cannot be migrated.*newer sloscope"):
        target.open()


def test_a_relative_sqlite_path_is_under_the_workspace_and_its_folder_is_created(
    tmp_path: Path,
) -> None:
    with StateStore("sqlite:///.sloscope/state.db", root=tmp_path) as store:
        assert store.url.database == str(tmp_path / ".sloscope" / "state.db")
    assert (tmp_path / ".sloscope" / "state.db").is_file()


def test_postgres_urls_without_a_driver_use_psycopg_3() -> None:
    assert resolve_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("sqlite://", "in-memory SQLite"),
        ("not a url", "not a database URL"),
    ],
)
def test_an_unusable_state_url_is_a_config_error_naming_the_setting(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"state\.url: .*{message}"):
        resolve_url(url)


def test_a_store_that_cannot_be_reached_names_it_without_its_password() -> None:
    with pytest.raises(StateError) as caught:
        StateStore("postgresql+psycopg://sloscope:hunter2@127.0.0.1:1/none")
    assert "cannot be opened" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert "***" in str(caught.value)


def test_a_store_at_the_first_revision_is_upgraded_with_its_rows_kept(target: Target) -> None:
    with target.open(migrate=False) as store:
        upgrade(store.engine, "0001")
        assert _tables(store) == FIRST_TABLES
        with store.transaction() as session:
            Silences(session).add(
                [{"name": "service", "op": "=", "value": "checkout"}],
                starts_at=100,
                ends_at=200,
                author="ana",
                comment="before the gate tables",
                now=100,
            )
    with target.open() as store:
        assert current_revision(store.engine) == HEAD_REVISION
        assert _tables(store) == TABLES
        assert schema_drift(store.engine) == []
        with store.transaction() as session:
            assert [s.comment for s in Silences(session).find()] == ["before the gate tables"]


def test_downgrading_the_gate_revision_leaves_the_token_schema(target: Target) -> None:
    with target.open() as store:
        downgrade(store.engine, "0002")
        assert _tables(store) == FIRST_TABLES | TOKEN_TABLES
        assert current_revision(store.engine) == "0002"


def test_upgrading_from_0003_adds_the_adjustments_table_and_keeps_the_records(
    target: Target,
) -> None:
    from sloscope.events.model import Deployment
    from sloscope.store.adjustments import Adjustments
    from sloscope.store.events import Deployments

    with target.open(migrate=False) as store:
        upgrade(store.engine, "0003")
        assert "budget_adjustments" not in _tables(store)
        with store.transaction() as session:
            Deployments(session).add(Deployment("checkout", "1.0", 100), recorded_by="ci", now=100)
    with target.open() as store:
        assert current_revision(store.engine) == HEAD_REVISION
        assert schema_drift(store.engine) == []
        with store.transaction() as session:
            assert [d.deployment.version for d in Deployments(session).find()] == ["1.0"]
            Adjustments(session).add({"reason": "r", "start": "0", "duration": "1h"}, by="a", now=1)
        downgrade(store.engine, "0003")
        assert "budget_adjustments" not in _tables(store)


def _old_alert(key: str, state: str, fired_at: int | None, labels: str) -> dict[str, object]:
    return {
        "dedup_key": key,
        "service": "checkout",
        "slo": key,
        "severity": "page",
        "group_key": "",
        "state": state,
        "since": 100,
        "fired_at": fired_at,
        "resolved_at": 160 if state == "resolved" else None,
        "peak_burn_rate": 14.4,
        "budget_consumed": 0.0,
        "labels": labels,
        "version": 2,
        "updated_at": 160,
    }


def test_upgrading_from_0004_moves_the_counters_out_of_the_labels_and_ends_never_fired_alerts_inactive(  # noqa: E501
    target: Target,
) -> None:
    from sloscope.store.alerts import AlertStates, Counters

    machine = '{"service": "checkout", "evaluation": {"run": 3, "last_sustained": 150, "bad": 0.0, "window_total": 0.0, "notified": true}}'  # noqa: E501
    with target.open(migrate=False) as store:
        upgrade(store.engine, "0004")
        with store.engine.begin() as connection:
            insert = text(
                "INSERT INTO alert_states (dedup_key, service, slo, severity, group_key, state, "
                "since, fired_at, resolved_at, peak_burn_rate, budget_consumed, labels, version, "
                "updated_at) VALUES (:dedup_key, :service, :slo, :severity, :group_key, :state, "
                ":since, :fired_at, :resolved_at, :peak_burn_rate, :budget_consumed, :labels, "
                ":version, :updated_at)"
            )
            connection.execute(insert, _old_alert("fired", "firing", 100, machine))
            connection.execute(insert, _old_alert("never", "resolved", None, '{"slo": "x"}'))
            connection.execute(
                text(
                    "INSERT INTO alert_transitions (alert_id, dedup_key, from_state, to_state, at)"
                    " SELECT id, dedup_key, 'pending', 'resolved', 160 FROM alert_states"
                    " WHERE dedup_key = 'never'"
                )
            )
    with target.open() as store:
        assert current_revision(store.engine) == HEAD_REVISION
        assert schema_drift(store.engine) == []
        with store.transaction() as session:
            states = AlertStates(session)
            fired, never = states.get("fired"), states.get("never")
            assert fired is not None
            assert never is not None
            assert fired.labels == {"service": "checkout"}
            assert fired.counters == Counters(run=3, last_sustained=150, notified=True)
            assert (fired.state, fired.peak_burn_rate) == ("firing", 14.4)
            assert never.state == "inactive"
            assert never.counters == Counters()
            assert [t.to_state for t in states.history("never")] == ["inactive"]
        downgrade(store.engine, "0004")
        with store.engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT dedup_key, state FROM alert_states")).all())
            kept = connection.execute(text("SELECT to_state FROM alert_transitions")).all()
        assert rows == {"fired": "firing", "never": "resolved"}
        assert [tuple(r) for r in kept] == [("resolved",)]


def test_upgrading_from_0005_adds_the_ack_columns_and_keeps_alerts_and_transitions(
    target: Target,
) -> None:
    from sloscope.store.alerts import AlertStates
    from sloscope.store.audit import AuditLog

    with target.open(migrate=False) as store:
        upgrade(store.engine, "0005")
        with store.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO alert_states (dedup_key, service, slo, severity, group_key, "
                    "state, since, fired_at, resolved_at, peak_burn_rate, budget_consumed, "
                    "labels, version, updated_at) VALUES (:dedup_key, :service, :slo, "
                    ":severity, :group_key, :state, :since, :fired_at, :resolved_at, "
                    ":peak_burn_rate, :budget_consumed, :labels, :version, :updated_at)"
                ),
                _old_alert("fired", "firing", 100, '{"service": "checkout"}'),
            )
            connection.execute(
                text(
                    "INSERT INTO alert_transitions (alert_id, dedup_key, from_state, to_state, at)"
                    " SELECT id, dedup_key, NULL, 'firing', 100 FROM alert_states"
                )
            )
    with target.open() as store:
        assert current_revision(store.engine) == "0006"
        assert schema_drift(store.engine) == []
        with store.transaction() as session:
            states = AlertStates(session)
            before = states.get("fired")
            assert before is not None
            assert (before.state, before.acked_at, before.acked_by) == ("firing", None, None)
            assert [t.to_state for t in states.history("fired")] == ["firing"]
            states.acknowledge("fired", by="ana", at=130)
            AuditLog(session).append(at=130, kind="ack", service="checkout", by="ana", reason="")
        downgrade(store.engine, "0005")
        assert current_revision(store.engine) == "0005"
        columns = {c["name"] for c in inspect(store.engine).get_columns("alert_states")}
        assert not {"acked_at", "acked_by"} & columns
        with store.engine.connect() as connection:
            kept = connection.execute(text("SELECT to_state FROM alert_transitions")).all()
            audit = connection.execute(text("SELECT COUNT(*) FROM audit_log")).scalar_one()
        assert [tuple(r) for r in kept] == [("firing",)]
        assert audit == 0  # the ack entry cannot live in the older schema
        upgrade(store.engine)
        assert schema_drift(store.engine) == []
