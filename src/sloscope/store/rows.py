"""The state store's tables mapped to ORM classes, for the repositories that want objects.

Each class maps one Core table of :mod:`sloscope.store.tables`, which owns the schema
(columns, constraints, defaults); the annotations here only type the attributes.
Importing this module builds the mappers, which a command that only reads and writes a
few rows through Core statements (the release gate) never needs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped

from sloscope.store import tables


class Base(DeclarativeBase):
    """The declarative base of every mapped state-store table."""

    metadata = tables.METADATA


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

    __table__ = tables.alert_states

    id: Mapped[int]
    dedup_key: Mapped[str]
    service: Mapped[str]
    slo: Mapped[str]
    severity: Mapped[str]
    group_key: Mapped[str]
    state: Mapped[str]
    since: Mapped[int]
    fired_at: Mapped[int | None]
    resolved_at: Mapped[int | None]
    peak_burn_rate: Mapped[float]
    budget_consumed: Mapped[float]
    labels: Mapped[dict[str, Any]]
    version: Mapped[int]
    updated_at: Mapped[int]
    run: Mapped[int]
    last_sustained: Mapped[int | None]
    notified: Mapped[bool]
    silenced: Mapped[bool]
    acked_at: Mapped[int | None]
    acked_by: Mapped[str | None]


class AlertTransitionRow(Base):
    """One change of an alert's state, kept as history."""

    __table__ = tables.alert_transitions

    id: Mapped[int]
    alert_id: Mapped[int]
    dedup_key: Mapped[str]
    from_state: Mapped[str | None]
    to_state: Mapped[str]
    at: Mapped[int]
    burn_rate: Mapped[float | None]
    budget_consumed: Mapped[float | None]


class OutboxRow(Base):
    """A notification to deliver to one receiver, kept until sent or dead-lettered.

    A row is claimed by writing ``claim_token`` and ``claimed_until`` (a lease): a worker
    that dies while sending leaves the row to be retried once the lease ends.
    """

    __table__ = tables.notification_outbox

    id: Mapped[int]
    event_key: Mapped[str]
    alert_key: Mapped[str]
    transition: Mapped[str]
    receiver: Mapped[str]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[int]
    claim_token: Mapped[str | None]
    claimed_until: Mapped[int | None]
    last_error: Mapped[str | None]
    created_at: Mapped[int]
    sent_at: Mapped[int | None]


class SilenceRow(Base):
    """A silence: alerts whose labels match every matcher are not notified in its span."""

    __table__ = tables.silences

    id: Mapped[int]
    matchers: Mapped[list[Any]]
    starts_at: Mapped[int]
    ends_at: Mapped[int]
    author: Mapped[str]
    comment: Mapped[str]
    created_at: Mapped[int]


class EvaluationCursorRow(Base):
    """The last time an SLO was evaluated, so a restarted loop resumes where it stopped."""

    __table__ = tables.evaluation_cursors

    slo_id: Mapped[str]
    evaluated_at: Mapped[int]
    updated_at: Mapped[int]


class ApiTokenRow(Base):
    """An API token of ``sloscope serve``: only its SHA-256 hash is kept, never the token."""

    __table__ = tables.api_tokens

    id: Mapped[int]
    name: Mapped[str]
    scope: Mapped[str]
    token_hash: Mapped[str]
    created_at: Mapped[int]
    revoked_at: Mapped[int | None]


class DashboardSessionRow(Base):
    """A dashboard login: the hash of a random session id, for one token, until it expires."""

    __table__ = tables.dashboard_sessions

    id_hash: Mapped[str]
    token_id: Mapped[int]
    created_at: Mapped[int]
    expires_at: Mapped[int]


class GateDecisionRow(Base):
    """One answer of the release gate: who asked, for what, the decision and its figures.

    ``request_id`` is unique: a request retried after a lost connection is kept once.
    """

    __table__ = tables.gate_decisions

    id: Mapped[int]
    request_id: Mapped[str]
    service: Mapped[str]
    journey: Mapped[str | None]
    version: Mapped[str | None]
    asked_by: Mapped[str]
    at: Mapped[int]
    decision: Mapped[str]
    reasons: Mapped[list[Any]]
    figures: Mapped[list[Any]]
    exception_kind: Mapped[str | None]
    exception_reason: Mapped[str | None]
    override_id: Mapped[int | None]
    deployment_id: Mapped[int | None]
    created_at: Mapped[int]


class OverrideRow(Base):
    """A person lifting a service's freezes until ``until``."""

    __table__ = tables.gate_overrides

    id: Mapped[int]
    service: Mapped[str]
    journey: Mapped[str | None]
    by: Mapped[str]
    reason: Mapped[str]
    since: Mapped[int]
    until: Mapped[int]
    created_at: Mapped[int]


class AuditRow(Base):
    """One entry of the append-only audit log: an override granted, an exception used, an
    alert acknowledged (``ack``, revision 0006)."""

    __table__ = tables.audit_log

    id: Mapped[int]
    at: Mapped[int]
    kind: Mapped[str]
    service: Mapped[str]
    by: Mapped[str]
    reason: Mapped[str]
    detail: Mapped[dict[str, Any]]


class BudgetStepStateRow(Base):
    """The budget-policy steps an SLO held at its last evaluation (notify once per crossing)."""

    __table__ = tables.budget_step_states

    slo_id: Mapped[str]
    steps: Mapped[list[Any]]
    evaluated_at: Mapped[int]


class DeploymentRow(Base):
    """A release of a service: ``sloscope deploy record`` or ``gate --record``."""

    __table__ = tables.deployments

    id: Mapped[int]
    service: Mapped[str]
    version: Mapped[str]
    commit: Mapped[str | None]
    at: Mapped[int]
    recorded_by: Mapped[str]
    created_at: Mapped[int]


class IncidentRow(Base):
    """An incident of a service: its SLOs, severity, cause tags and links.

    ``page_key`` (unique) is the alert burn that opened it automatically, so a page opens
    at most one incident however often it is reported.
    """

    __table__ = tables.incidents

    id: Mapped[int]
    service: Mapped[str]
    title: Mapped[str]
    slos: Mapped[list[Any]]
    severity: Mapped[str]
    cause_tags: Mapped[list[Any]]
    links: Mapped[list[Any]]
    state: Mapped[str]
    opened_at: Mapped[int]
    page_key: Mapped[str | None]
    created_at: Mapped[int]


class IncidentEventRow(Base):
    """One entry of an incident's timeline: a state it entered, when, who, a note."""

    __table__ = tables.incident_events

    id: Mapped[int]
    incident_id: Mapped[int]
    state: Mapped[str]
    at: Mapped[int]
    by: Mapped[str]
    note: Mapped[str]


class ActionItemRow(Base):
    """A postmortem action item of an incident, tracked until done."""

    __table__ = tables.action_items

    id: Mapped[int]
    incident_id: Mapped[int]
    text: Mapped[str]
    owner: Mapped[str]
    status: Mapped[str]
    created_at: Mapped[int]
    done_at: Mapped[int | None]


class AdjustmentRow(Base):
    """A budget adjustment made through the API: its written form (the fields of an
    ``adjustments:`` entry of ``sloscope.yaml``, validated by the same model), who made it."""

    __table__ = tables.budget_adjustments

    id: Mapped[int]
    spec: Mapped[dict[str, Any]]
    created_by: Mapped[str]
    created_at: Mapped[int]
