"""The state store's schema: every table as a SQLAlchemy Core :class:`~sqlalchemy.Table`.

Times are whole Unix seconds (``BigInteger``), as everywhere else in sloscope, so SQLite
and PostgreSQL store and compare them the same way and no time zone is ever guessed.
Every constraint has a name from :data:`NAMING`, so later migrations (the gate and
incident tables of other issues) can alter them on both databases.

Uniqueness is what keeps two writers from duplicating a record: one alert state per
SLO, severity and group key; one transition per alert, state and time; one outbox row per
notification event and receiver.

The tables are Core tables, not ORM classes, so a command that only reads and writes a
few rows (the release gate) loads neither the ORM nor its mappers; the repositories
that want objects map these tables in :mod:`sloscope.store.rows`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

#: Constraint and index names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Every table of the state store (what the migrations build).
METADATA = MetaData(naming_convention=NAMING)

ALERT_STATES = ("pending", "firing", "resolved", "inactive")
OUTBOX_STATUSES = ("pending", "sent", "dead")
TRANSITIONS = ("firing", "resolved")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _name(column: str, *, nullable: bool = False, **options: Any) -> Column[str]:
    """A name-like column: up to 200 characters (a service, an SLO, a person)."""
    return Column(column, String(200), nullable=nullable, **options)


def _time(column: str, *, nullable: bool = False, **options: Any) -> Column[int]:
    """A time: whole Unix seconds."""
    return Column(column, BigInteger, nullable=nullable, **options)


#: One alert's lifetime: pending → firing → resolved (or pending → inactive when it never
#: fired), for one SLO, severity and group. ``run``, ``last_sustained``, ``notified`` and
#: ``silenced`` are the evaluator's counters (revision 0004): evaluations in a row its
#: condition held, the last evaluation at which it had held for the pending time, whether
#: its current firing was notified, and whether a silence held it at its last evaluation.
#: ``acked_at`` and ``acked_by`` (revision 0006): who acknowledged the current episode
#: (pending or firing) and when; a new episode starts unacknowledged.
alert_states = Table(
    "alert_states",
    METADATA,
    _id(),
    Column("dedup_key", String(64), nullable=False, unique=True),
    _name("service"),
    _name("slo"),
    Column("severity", String(20), nullable=False),
    _name("group_key", default=""),
    Column("state", String(16), nullable=False),
    _time("since"),
    _time("fired_at", nullable=True),
    _time("resolved_at", nullable=True),
    Column("peak_burn_rate", Float, nullable=False, default=0.0),
    Column("budget_consumed", Float, nullable=False, default=0.0),
    Column("labels", JSON, nullable=False, default=dict),
    Column("version", Integer, nullable=False, default=1),
    _time("updated_at"),
    Column("run", Integer, nullable=False, default=0, server_default="0"),
    _time("last_sustained", nullable=True),
    Column("notified", Boolean, nullable=False, default=False, server_default=false()),
    Column("silenced", Boolean, nullable=False, default=False, server_default=false()),
    _time("acked_at", nullable=True),
    _name("acked_by", nullable=True),
    UniqueConstraint("service", "slo", "severity", "group_key"),
    CheckConstraint(_one_of("state", ALERT_STATES), name="state"),
)

#: One change of an alert's state, kept as history.
alert_transitions = Table(
    "alert_transitions",
    METADATA,
    _id(),
    Column(
        "alert_id",
        Integer,
        ForeignKey("alert_states.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("dedup_key", String(64), nullable=False, index=True),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=False),
    _time("at"),
    Column("burn_rate", Float, nullable=True),
    Column("budget_consumed", Float, nullable=True),
    UniqueConstraint("dedup_key", "to_state", "at"),
    CheckConstraint(_one_of("to_state", ALERT_STATES), name="to_state"),
)

#: A notification to deliver to one receiver, kept until sent or dead-lettered. A row is
#: claimed by writing ``claim_token`` and ``claimed_until`` (a lease): a worker that dies
#: while sending leaves the row to be retried once the lease ends.
notification_outbox = Table(
    "notification_outbox",
    METADATA,
    _id(),
    Column("event_key", String(200), nullable=False),
    Column("alert_key", String(64), nullable=False, index=True),
    Column("transition", String(16), nullable=False),
    _name("receiver"),
    Column("payload", JSON, nullable=False),
    Column("status", String(8), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    _time("next_attempt_at"),
    Column("claim_token", String(64), nullable=True),
    _time("claimed_until", nullable=True),
    Column("last_error", Text, nullable=True),
    _time("created_at"),
    _time("sent_at", nullable=True),
    UniqueConstraint("event_key", "receiver"),
    CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
    CheckConstraint(_one_of("transition", TRANSITIONS), name="transition"),
    Index("ix_notification_outbox_due", "status", "next_attempt_at"),
)

#: A silence: alerts whose labels match every matcher are not notified in its span.
silences = Table(
    "silences",
    METADATA,
    _id(),
    Column("matchers", JSON, nullable=False),
    _time("starts_at"),
    _time("ends_at", index=True),
    _name("author"),
    Column("comment", Text, nullable=False),
    _time("created_at"),
    CheckConstraint("ends_at > starts_at", name="span"),
)

#: The last time an SLO was evaluated, so a restarted loop resumes where it stopped.
evaluation_cursors = Table(
    "evaluation_cursors",
    METADATA,
    Column("slo_id", String(400), primary_key=True),
    _time("evaluated_at"),
    _time("updated_at"),
)

TOKEN_SCOPES = ("read", "write", "admin")

#: An API token of ``sloscope serve``: only its SHA-256 hash is kept, never the token.
api_tokens = Table(
    "api_tokens",
    METADATA,
    _id(),
    _name("name", unique=True),
    Column("scope", String(8), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    _time("created_at"),
    _time("revoked_at", nullable=True),
    CheckConstraint(_one_of("scope", TOKEN_SCOPES), name="scope"),
)

#: A dashboard login: the hash of a random session id, for one token, until it expires.
dashboard_sessions = Table(
    "dashboard_sessions",
    METADATA,
    Column("id_hash", String(64), primary_key=True),
    Column("token_id", Integer, ForeignKey("api_tokens.id", ondelete="CASCADE"), nullable=False),
    _time("created_at"),
    _time("expires_at", index=True),
)


# --- release gate, overrides, audit (revision 0002) -------------------------------------

GATE_DECISIONS = ("allow", "warn", "freeze", "cannot-decide")
AUDIT_KINDS = ("override", "exception", "ack")
INCIDENT_STATES = ("open", "acknowledged", "mitigated", "resolved")
ACTION_STATUSES = ("open", "done")

#: One answer of the release gate: who asked, for what, the decision and its figures.
#: ``request_id`` is unique: a request retried after a lost connection is kept once.
gate_decisions = Table(
    "gate_decisions",
    METADATA,
    _id(),
    Column("request_id", String(64), nullable=False, unique=True),
    _name("service"),
    _name("journey", nullable=True),
    _name("version", nullable=True),
    _name("asked_by"),
    _time("at"),
    Column("decision", String(16), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("figures", JSON, nullable=False),
    Column("exception_kind", String(64), nullable=True),
    Column("exception_reason", Text, nullable=True),
    Column("override_id", Integer, nullable=True),
    Column("deployment_id", Integer, nullable=True),
    _time("created_at"),
    CheckConstraint(_one_of("decision", GATE_DECISIONS), name="decision"),
    Index("ix_gate_decisions_service_at", "service", "at"),
)

#: A person lifting a service's freezes until ``until``.
gate_overrides = Table(
    "gate_overrides",
    METADATA,
    _id(),
    _name("service"),
    _name("journey", nullable=True),
    _name("by"),
    Column("reason", Text, nullable=False),
    _time("since"),
    _time("until"),
    _time("created_at"),
    CheckConstraint("until > since", name="span"),
    Index("ix_gate_overrides_service_until", "service", "until"),
)

#: One entry of the append-only audit log: an override granted, an exception used, an
#: alert acknowledged (``ack``, revision 0006).
audit_log = Table(
    "audit_log",
    METADATA,
    _id(),
    _time("at"),
    Column("kind", String(16), nullable=False),
    _name("service"),
    _name("by"),
    Column("reason", Text, nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
    CheckConstraint(_one_of("kind", AUDIT_KINDS), name="kind"),
    Index("ix_audit_log_service_at", "service", "at"),
)

#: The budget-policy steps an SLO held at its last evaluation (notify once per crossing).
budget_step_states = Table(
    "budget_step_states",
    METADATA,
    Column("slo_id", String(400), primary_key=True),
    Column("steps", JSON, nullable=False),
    _time("evaluated_at"),
)


# --- deployments, incidents, action items (revision 0002) -------------------------------

#: A release of a service: ``sloscope deploy record`` or ``gate --record``.
deployments = Table(
    "deployments",
    METADATA,
    _id(),
    _name("service"),
    _name("version"),
    Column("commit", String(64), nullable=True),
    _time("at"),
    _name("recorded_by"),
    _time("created_at"),
    UniqueConstraint("service", "version", "at"),
    Index("ix_deployments_at", "at"),
)

#: An incident of a service: its SLOs, severity, cause tags and links. ``page_key``
#: (unique) is the alert burn that opened it automatically, so a page opens at most one
#: incident however often it is reported.
incidents = Table(
    "incidents",
    METADATA,
    _id(),
    _name("service"),
    Column("title", Text, nullable=False),
    Column("slos", JSON, nullable=False),
    Column("severity", String(32), nullable=False),
    Column("cause_tags", JSON, nullable=False),
    Column("links", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    _time("opened_at"),
    _name("page_key", nullable=True, unique=True),
    _time("created_at"),
    CheckConstraint(_one_of("state", INCIDENT_STATES), name="state"),
    Index("ix_incidents_service_opened_at", "service", "opened_at"),
)

#: One entry of an incident's timeline: a state it entered, when, who, a note.
incident_events = Table(
    "incident_events",
    METADATA,
    _id(),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),
    _time("at"),
    _name("by"),
    Column("note", Text, nullable=False),
    UniqueConstraint("incident_id", "state"),
    CheckConstraint(_one_of("state", INCIDENT_STATES), name="state"),
)

#: A postmortem action item of an incident, tracked until done.
action_items = Table(
    "action_items",
    METADATA,
    _id(),
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("text", Text, nullable=False),
    _name("owner"),
    Column("status", String(8), nullable=False),
    _time("created_at"),
    _time("done_at", nullable=True),
    CheckConstraint(_one_of("status", ACTION_STATUSES), name="status"),
)


# --- budget adjustments made through the API (revision 0004) ------------------------------

#: A budget adjustment made through the API: its written form (the fields of an
#: ``adjustments:`` entry of ``sloscope.yaml``, validated by the same model), who made it.
budget_adjustments = Table(
    "budget_adjustments",
    METADATA,
    _id(),
    Column("spec", JSON, nullable=False),
    _name("created_by"),
    _time("created_at"),
)
