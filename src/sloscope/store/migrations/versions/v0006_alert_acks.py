"""Alert acknowledgements: who acknowledged an alert's current episode, and when; and
``ack`` entries in the audit log.

Adds ``acked_at`` and ``acked_by`` (both nullable: no existing alert was acknowledged)
to ``alert_states`` and lets the audit log's ``kind`` be ``ack``. The columns are added
and dropped with plain ``ALTER TABLE`` (SQLite has both since 3.35), so ``alert_states``
is never copied and its transitions (``ON DELETE CASCADE``) are never touched. The
downgrade deletes the ``ack`` audit entries (the older schema cannot hold them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_KINDS = "kind IN ('override', 'exception')"
_NEW_KINDS = "kind IN ('override', 'exception', 'ack')"

_audit = sa.table("audit_log", sa.column("kind", sa.String()))


def _kinds(check: str) -> None:
    name = op.f("ck_audit_log_kind")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, check)


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("alert_states", sa.Column("acked_at", sa.BigInteger(), nullable=True))
    op.add_column("alert_states", sa.Column("acked_by", sa.String(200), nullable=True))
    _kinds(_NEW_KINDS)


def downgrade() -> None:
    """Undo this revision: the ack entries and columns go."""
    op.get_bind().execute(_audit.delete().where(_audit.c.kind == "ack"))
    _kinds(_OLD_KINDS)
    op.drop_column("alert_states", "acked_by")
    op.drop_column("alert_states", "acked_at")
