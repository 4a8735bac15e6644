"""The gate's statements as SQLAlchemy compiles them for SQLite: GENERATED, do not edit.

Made by ``python scripts/compile_sqlite_statements.py`` from the Core statements of
:mod:`sloscope.store.gates` (:func:`~sloscope.store.gates.sqlite_statements`); a unit test
fails when this text differs from what they compile to. Run with
:func:`sloscope.store.sqlite.execute`.
"""

from __future__ import annotations

from sloscope.store.sqlite import CompiledStatement

ACTIVE_OVERRIDES = CompiledStatement(
    sql=(
        "SELECT gate_overrides.id, gate_overrides.service, gate_overrides.journey, "
        'gate_overrides."by", gate_overrides.reason, gate_overrides.since, '
        "gate_overrides.until, gate_overrides.created_at \n"
        "FROM gate_overrides \n"
        "WHERE gate_overrides.service = ? AND gate_overrides.since <= ? AND "
        "gate_overrides.until > ? ORDER BY gate_overrides.id"
    ),
    params=("service", "at", "at"),
    expanding=(),
    json_params=(),
    json_columns=(),
    columns=("id", "service", "journey", "by", "reason", "since", "until", "created_at"),
)

INSERT_DECISION = CompiledStatement(
    sql=(
        "INSERT INTO gate_decisions (request_id, service, journey, version, asked_by, "
        "at, decision, reasons, figures, exception_kind, exception_reason, override_id, "
        "deployment_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
        "CONFLICT DO NOTHING RETURNING id"
    ),
    params=(
        "request_id",
        "service",
        "journey",
        "version",
        "asked_by",
        "at",
        "decision",
        "reasons",
        "figures",
        "exception_kind",
        "exception_reason",
        "override_id",
        "deployment_id",
        "created_at",
    ),
    expanding=(),
    json_params=("reasons", "figures"),
    json_columns=(),
    columns=("id",),
)

STEPS_LOCKED = CompiledStatement(
    sql=(
        "SELECT budget_step_states.slo_id, budget_step_states.steps, "
        "budget_step_states.evaluated_at \n"
        "FROM budget_step_states \n"
        "WHERE budget_step_states.slo_id IN (__[POSTCOMPILE_ids]) ORDER BY "
        "budget_step_states.slo_id"
    ),
    params=("ids",),
    expanding=("ids",),
    json_params=(),
    json_columns=("steps",),
    columns=("slo_id", "steps", "evaluated_at"),
)

INSERT_STEPS = CompiledStatement(
    sql=(
        "INSERT INTO budget_step_states (slo_id, steps, evaluated_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING"
    ),
    params=("slo_id", "steps", "evaluated_at"),
    expanding=(),
    json_params=("steps",),
    json_columns=(),
    columns=(),
)

UPDATE_STEPS = CompiledStatement(
    sql="UPDATE budget_step_states SET steps=?, evaluated_at=? WHERE budget_step_states.slo_id = ?",
    params=("new_steps", "new_at", "key"),
    expanding=(),
    json_params=("new_steps",),
    json_columns=(),
    columns=(),
)
