"""Alert states: the evaluator's counters in their own columns, and an ``inactive`` end
state for a pending alert that never fired.

Before this revision the state machine's counters (``run``, ``last_sustained``,
``notified``) lived in the alert's ``labels`` JSON under an ``evaluation`` key, and a
pending alert whose condition stopped before it fired was stored as ``resolved``, so
history and alert counts took it for an alert. The upgrade moves the counters into
columns (removing the key from the labels), adds ``silenced`` (whether a silence held
the alert at its last evaluation, false for existing rows) and turns every never-fired ``resolved``
alert (no ``fired_at``) and every ``pending → resolved`` transition into ``inactive``.
The downgrade does the reverse.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The labels key that kept the counters before this revision.
OLD_KEY = "evaluation"

_OLD_STATES = "('pending', 'firing', 'resolved')"
_NEW_STATES = "('pending', 'firing', 'resolved', 'inactive')"

_states = sa.table(
    "alert_states",
    sa.column("id", sa.Integer()),
    sa.column("state", sa.String()),
    sa.column("fired_at", sa.BigInteger()),
    sa.column("labels", sa.JSON()),
    sa.column("run", sa.Integer()),
    sa.column("last_sustained", sa.BigInteger()),
    sa.column("notified", sa.Boolean()),
)
_transitions = sa.table(
    "alert_transitions",
    sa.column("id", sa.Integer()),
    sa.column("alert_id", sa.Integer()),
    sa.column("dedup_key", sa.String()),
    sa.column("from_state", sa.String()),
    sa.column("to_state", sa.String()),
    sa.column("at", sa.BigInteger()),
    sa.column("burn_rate", sa.Float()),
    sa.column("budget_consumed", sa.Float()),
)


def _recreate_alert_states(change: Any) -> None:
    """Run ``change`` (which may recreate ``alert_states``) keeping the transitions.

    On SQLite a batch alteration copies the table and drops the old one, and dropping it
    deletes the transitions through their ``ON DELETE CASCADE`` foreign key (foreign keys
    are on, and cannot be turned off inside the migration's transaction): they are kept
    aside and put back.
    """
    bind = op.get_bind()
    kept = []
    if bind.dialect.name == "sqlite":
        kept = [dict(r._mapping) for r in bind.execute(sa.select(_transitions))]
    change()
    if kept:
        bind.execute(_transitions.delete())
        bind.execute(_transitions.insert(), kept)


def _checks(states: str) -> None:
    """Replace the state CHECK constraints of both alert tables with ``states``."""
    for table, column in (("alert_states", "state"), ("alert_transitions", "to_state")):
        name = op.f(f"ck_{table}_{column}")
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="check")
            batch.create_check_constraint(name, f"{column} IN {states}")


def _add_columns() -> None:
    with op.batch_alter_table("alert_states") as batch:
        batch.add_column(sa.Column("run", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_sustained", sa.BigInteger(), nullable=True))
        for flag in ("notified", "silenced"):
            batch.add_column(
                sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    _checks(_NEW_STATES)


def _drop_columns() -> None:
    _checks(_OLD_STATES)
    with op.batch_alter_table("alert_states") as batch:
        batch.drop_column("silenced")
        batch.drop_column("notified")
        batch.drop_column("last_sustained")
        batch.drop_column("run")


def upgrade() -> None:
    """Apply this revision."""
    _recreate_alert_states(_add_columns)
    bind = op.get_bind()
    rows = bind.execute(sa.select(_states.c.id, _states.c.labels)).all()
    for row_id, stored in rows:
        labels = dict(stored or {})
        machine: dict[str, Any] = labels.pop(OLD_KEY, None) or {}
        if not isinstance(machine, dict):
            machine = {}
        last = machine.get("last_sustained")
        bind.execute(
            _states.update()
            .where(_states.c.id == row_id)
            .values(
                labels=labels,
                run=int(machine.get("run", 0) or 0),
                last_sustained=None if last is None else int(last),
                notified=bool(machine.get("notified", False)),
            )
        )
    bind.execute(
        _states.update()
        .where(_states.c.state == "resolved", _states.c.fired_at.is_(None))
        .values(state="inactive")
    )
    bind.execute(
        _transitions.update()
        .where(_transitions.c.from_state == "pending", _transitions.c.to_state == "resolved")
        .values(to_state="inactive")
    )


def downgrade() -> None:
    """Undo this revision: counters back into the labels, ``inactive`` back to ``resolved``."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _states.c.id,
            _states.c.labels,
            _states.c.run,
            _states.c.last_sustained,
            _states.c.notified,
        )
    ).all()
    for row_id, labels, run, last, notified in rows:
        machine = {
            "run": run,
            "last_sustained": last,
            "bad": 0.0,
            "window_total": 0.0,
            "notified": bool(notified),
        }
        bind.execute(
            _states.update()
            .where(_states.c.id == row_id)
            .values(labels={**dict(labels or {}), OLD_KEY: machine})
        )
    bind.execute(_states.update().where(_states.c.state == "inactive").values(state="resolved"))
    bind.execute(
        _transitions.update()
        .where(_transitions.c.to_state == "inactive")
        .values(to_state="resolved")
    )
    _recreate_alert_states(_drop_columns)
