"""The state store's tables as typed SQLAlchemy 2 models.

Times are whole Unix seconds (``BigInteger``), as everywhere else in sloscope, so SQLite
and PostgreSQL store and compare them the same way and no time zone is ever guessed.
Every constraint has a name from :data:`NAMING`, so later migrations (the gate and
incident tables of other issues) can alter them on both databases.

Uniqueness is what keeps two writers from duplicating a record: one alert state per
SLO, severity and group key; one transition per alert, state and time; one outbox row per
notification event and receiver.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Constraint and index names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ALERT_STATES = ("pending", "firing", "resolved", "inactive")
OUTBOX_STATUSES = ("pending", "sent", "dead")
TRANSITIONS = ("firing", "resolved")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """The declarative base of every state-store table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class AlertStateRow(Base):
    """One alert's lifetime: pending → firing → resolved (or pending → inactive when it
    never fired), for one SLO, severity and group.

    ``run``, ``last_sustained``, ``notified`` and ``silenced`` are the evaluator's
    counters (revision 0004): evaluations in a row its condition held, the last
    evaluation at which it had held for the pending time, whether its current firing was
    notified, and whether a silence held it at its last evaluation.

    ``acked_at`` and ``acked_by`` (revision 0006): who acknowledged the current episode
    (pending or firing) and when; a new episode starts unacknowledged.
    """

    __tablename__ = "alert_states"
    __table_args__ = (
        UniqueConstraint("service", "slo", "severity", "group_key"),
        CheckConstraint(_one_of("state", ALERT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)
    service: Mapped[str] = mapped_column(String(200))
    slo: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    group_key: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[int] = mapped_column(BigInteger)
    fired_at: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[int | None] = mapped_column(BigInteger)
    peak_burn_rate: Mapped[float] = mapped_column(Float, default=0.0)
    budget_consumed: Mapped[float] = mapped_column(Float, default=0.0)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    run: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_sustained: Mapped[int | None] = mapped_column(BigInteger)
    notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    silenced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    acked_at: Mapped[int | None] = mapped_column(BigInteger)
    acked_by: Mapped[str | None] = mapped_column(String(200))


class AlertTransitionRow(Base):
    """One change of an alert's state, kept as history."""

    __tablename__ = "alert_transitions"
    __table_args__ = (
        UniqueConstraint("dedup_key", "to_state", "at"),
        CheckConstraint(_one_of("to_state", ALERT_STATES), name="to_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert_states.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(64), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[int] = mapped_column(BigInteger)
    burn_rate: Mapped[float | None] = mapped_column(Float)
    budget_consumed: Mapped[float | None] = mapped_column(Float)


class OutboxRow(Base):
    """A notification to deliver to one receiver, kept until sent or dead-lettered.

    A row is claimed by writing ``claim_token`` and ``claimed_until`` (a lease): a worker
    that dies while sending leaves the row to be retried once the lease ends.
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (
        UniqueConstraint("event_key", "receiver"),
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(_one_of("transition", TRANSITIONS), name="transition"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    alert_key: Mapped[str] = mapped_column(String(64), index=True)
    transition: Mapped[str] = mapped_column(String(16))
    receiver: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger)


class SilenceRow(Base):
    """A silence: alerts whose labels match every matcher are not notified in its span."""

    __tablename__ = "silences"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="span"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matchers: Mapped[list[Any]] = mapped_column()
    starts_at: Mapped[int] = mapped_column(BigInteger)
    ends_at: Mapped[int] = mapped_column(BigInteger, index=True)
    author: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)


class EvaluationCursorRow(Base):
    """The last time an SLO was evaluated, so a restarted loop resumes where it stopped."""

    __tablename__ = "evaluation_cursors"

    slo_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    evaluated_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


TOKEN_SCOPES = ("read", "write", "admin")


class ApiTokenRow(Base):
    """An API token of ``sloscope serve``: only its SHA-256 hash is kept, never the token."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_one_of("scope", TOKEN_SCOPES), name="scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)


class DashboardSessionRow(Base):
    """A dashboard login: the hash of a random session id, for one token, until it expires."""

    __tablename__ = "dashboard_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


# --- release gate, overrides, audit (revision 0002) -------------------------------------

GATE_DECISIONS = ("allow", "warn", "freeze", "cannot-decide")
AUDIT_KINDS = ("override", "exception", "ack")
INCIDENT_STATES = ("open", "acknowledged", "mitigated", "resolved")
ACTION_STATUSES = ("open", "done")


class GateDecisionRow(Base):
    """One answer of the release gate: who asked, for what, the decision and its figures.

    ``request_id`` is unique: a request retried after a lost connection is kept once.
    """

    __tablename__ = "gate_decisions"
    __table_args__ = (
        CheckConstraint(_one_of("decision", GATE_DECISIONS), name="decision"),
        Index("ix_gate_decisions_service_at", "service", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    service: Mapped[str] = mapped_column(String(200))
    journey: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[str | None] = mapped_column(String(200))
    asked_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[int] = mapped_column(BigInteger)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column()
    figures: Mapped[list[Any]] = mapped_column()
    exception_kind: Mapped[str | None] = mapped_column(String(64))
    exception_reason: Mapped[str | None] = mapped_column(Text)
    override_id: Mapped[int | None] = mapped_column(Integer)
    deployment_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)


class OverrideRow(Base):
    """A person lifting a service's freezes until ``until``."""

    __tablename__ = "gate_overrides"
    __table_args__ = (
        CheckConstraint("until > since", name="span"),
        Index("ix_gate_overrides_service_until", "service", "until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    journey: Mapped[str | None] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[int] = mapped_column(BigInteger)
    until: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)


class AuditRow(Base):
    """One entry of the append-only audit log: an override granted, an exception used, an
    alert acknowledged (``ack``, revision 0006)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(_one_of("kind", AUDIT_KINDS), name="kind"),
        Index("ix_audit_log_service_at", "service", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class BudgetStepStateRow(Base):
    """The budget-policy steps an SLO held at its last evaluation (notify once per crossing)."""

    __tablename__ = "budget_step_states"

    slo_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    steps: Mapped[list[Any]] = mapped_column()
    evaluated_at: Mapped[int] = mapped_column(BigInteger)


# --- deployments, incidents, action items (revision 0002) -------------------------------


class DeploymentRow(Base):
    """A release of a service: ``sloscope deploy record`` or ``gate --record``."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("service", "version", "at"),
        Index("ix_deployments_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    commit: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[int] = mapped_column(BigInteger)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)


class IncidentRow(Base):
    """An incident of a service: its SLOs, severity, cause tags and links.

    ``page_key`` (unique) is the alert burn that opened it automatically, so a page opens
    at most one incident however often it is reported.
    """

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(_one_of("state", INCIDENT_STATES), name="state"),
        Index("ix_incidents_service_opened_at", "service", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    slos: Mapped[list[Any]] = mapped_column()
    severity: Mapped[str] = mapped_column(String(32))
    cause_tags: Mapped[list[Any]] = mapped_column()
    links: Mapped[list[Any]] = mapped_column()
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[int] = mapped_column(BigInteger)
    page_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


class IncidentEventRow(Base):
    """One entry of an incident's timeline: a state it entered, when, who, a note."""

    __tablename__ = "incident_events"
    __table_args__ = (
        UniqueConstraint("incident_id", "state"),
        CheckConstraint(_one_of("state", INCIDENT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[int] = mapped_column(BigInteger)
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)


class ActionItemRow(Base):
    """A postmortem action item of an incident, tracked until done."""

    __tablename__ = "action_items"
    __table_args__ = (CheckConstraint(_one_of("status", ACTION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[int] = mapped_column(BigInteger)
    done_at: Mapped[int | None] = mapped_column(BigInteger)


# --- budget adjustments made through the API (revision 0004) ------------------------------


class AdjustmentRow(Base):
    """A budget adjustment made through the API: its written form (the fields of an
    ``adjustments:`` entry of ``sloscope.yaml``, validated by the same model), who made it."""

    __tablename__ = "budget_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
