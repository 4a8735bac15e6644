"""The first schema: alert states and transitions, the notification outbox, silences and
evaluation cursors.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("slo", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("fired_at", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.Column("peak_burn_rate", sa.Float(), nullable=False),
        sa.Column("budget_consumed", sa.Float(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'firing', 'resolved')", name=op.f("ck_alert_states_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_states")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alert_states_dedup_key")),
        sa.UniqueConstraint(
            "service",
            "slo",
            "severity",
            "group_key",
            name=op.f("uq_alert_states_service_slo_severity_group_key"),
        ),
    )
    op.create_table(
        "evaluation_cursors",
        sa.Column("slo_id", sa.String(length=400), nullable=False),
        sa.Column("evaluated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slo_id", name=op.f("pk_evaluation_cursors")),
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("alert_key", sa.String(length=64), nullable=False),
        sa.Column("transition", sa.String(length=16), nullable=False),
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_notification_outbox_status")
        ),
        sa.CheckConstraint(
            "transition IN ('firing', 'resolved')", name=op.f("ck_notification_outbox_transition")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint(
            "event_key", "receiver", name=op.f("uq_notification_outbox_event_key_receiver")
        ),
    )
    op.create_index(
        op.f("ix_notification_outbox_alert_key"), "notification_outbox", ["alert_key"], unique=False
    )
    op.create_index(
        "ix_notification_outbox_due",
        "notification_outbox",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_silences_span")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    op.create_index(op.f("ix_silences_ends_at"), "silences", ["ends_at"], unique=False)
    op.create_table(
        "alert_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("burn_rate", sa.Float(), nullable=True),
        sa.Column("budget_consumed", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "to_state IN ('pending', 'firing', 'resolved')",
            name=op.f("ck_alert_transitions_to_state"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert_states.id"],
            name=op.f("fk_alert_transitions_alert_id_alert_states"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_transitions")),
        sa.UniqueConstraint(
            "dedup_key", "to_state", "at", name=op.f("uq_alert_transitions_dedup_key_to_state_at")
        ),
    )
    op.create_index(
        op.f("ix_alert_transitions_dedup_key"), "alert_transitions", ["dedup_key"], unique=False
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index(op.f("ix_alert_transitions_dedup_key"), table_name="alert_transitions")
    op.drop_table("alert_transitions")
    op.drop_index(op.f("ix_silences_ends_at"), table_name="silences")
    op.drop_table("silences")
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_index(op.f("ix_notification_outbox_alert_key"), table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_table("evaluation_cursors")
    op.drop_table("alert_states")
