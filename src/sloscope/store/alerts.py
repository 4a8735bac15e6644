"""Alert states and their history: one row per SLO, severity and group key.

The evaluator decides *what* state an alert is in; this repository records it so the
decision survives a restart, exactly once::

    with store.transaction() as session:
        change = AlertStates(session).apply(identity, "firing", at=t, burn_rate=15.2)
        if change.transition is not None:
            ...  # enqueue the notification in the same transaction

:meth:`AlertStates.apply` locks the alert's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so two evaluators
applying the same change record one transition, and a replay of an older time changes
nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.errors import NotFoundError, RequestError
from sloscope.store.database import insert_for
from sloscope.store.rows import AlertStateRow, AlertTransitionRow
from sloscope.store.tables import ALERT_STATES

#: The states in which an alert can be acknowledged: its episode is under way.
ACKABLE_STATES = ("firing", "pending")


def alert_key(service: str, slo: str, severity: str, group_key: str = "") -> str:
    """The stable dedup key of an alert: the same SLO, severity and group give the same key.

    >>> alert_key("checkout", "availability", "page")[:12]
    '52567b8eff79'
    """
    text = "\x1f".join((service, slo, severity, group_key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AlertIdentity:
    """What one alert is about: an SLO of a service, a severity, and a group key."""

    service: str
    slo: str
    severity: str
    group_key: str = ""

    @property
    def key(self) -> str:
        """The stable dedup key (:func:`alert_key`)."""
        return alert_key(self.service, self.slo, self.severity, self.group_key)


@dataclass(frozen=True)
class Counters:
    """The evaluator's counters of one alert (see :class:`~sloscope.store.tables.AlertStateRow`)."""

    run: int = 0
    last_sustained: int | None = None
    notified: bool = False
    silenced: bool = False


@dataclass(frozen=True)
class AlertState:
    """An alert's recorded state: since when, when it fired and resolved, how bad it got.

    ``state`` is ``pending``, ``firing``, ``resolved`` (it fired, then stopped) or
    ``inactive`` (it was pending and stopped before it fired: never an alert).
    ``peak_burn_rate`` is the highest burn while firing; ``budget_consumed`` the error
    budget spent between ``fired_at`` and ``resolved_at``, recorded at the resolution
    (0 while firing).
    """

    identity: AlertIdentity
    state: str
    since: int
    fired_at: int | None
    resolved_at: int | None
    peak_burn_rate: float
    budget_consumed: float
    labels: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    counters: Counters = field(default_factory=Counters)
    acked_at: int | None = None
    acked_by: str | None = None

    @property
    def key(self) -> str:
        """The alert's stable dedup key."""
        return self.identity.key


@dataclass(frozen=True)
class Acknowledgement:
    """What :meth:`AlertStates.acknowledge` did: the alert now, and whether this call
    acknowledged it (False when it already was: the first acknowledgement is kept)."""

    state: AlertState
    first: bool


@dataclass(frozen=True)
class Transition:
    """One recorded change of state (``from_state`` is None for a new alert)."""

    key: str
    from_state: str | None
    to_state: str
    at: int
    burn_rate: float | None
    budget_consumed: float | None


@dataclass(frozen=True)
class AlertChange:
    """What :meth:`AlertStates.apply` did: the state now, and the transition if one."""

    state: AlertState
    transition: Transition | None


class AlertStates:
    """Repository of alert states and transitions, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> AlertState | None:
        """The alert with dedup key ``key``, or None."""
        row = self.session.scalars(select(AlertStateRow).where(AlertStateRow.dedup_key == key))
        found = row.one_or_none()
        return None if found is None else _state(found)

    def find(
        self, *, state: str | None = None, service: str | None = None, slo: str | None = None
    ) -> list[AlertState]:
        """Alerts, optionally only those in ``state``, of ``service`` or of ``slo``, oldest
        change first."""
        query = select(AlertStateRow).order_by(AlertStateRow.since, AlertStateRow.id)
        if state is not None:
            query = query.where(AlertStateRow.state == state)
        if service is not None:
            query = query.where(AlertStateRow.service == service)
        if slo is not None:
            query = query.where(AlertStateRow.slo == slo)
        return [_state(row) for row in self.session.scalars(query)]

    def history(self, key: str) -> list[Transition]:
        """The alert's transitions in time order."""
        query = (
            select(AlertTransitionRow)
            .where(AlertTransitionRow.dedup_key == key)
            .order_by(AlertTransitionRow.at, AlertTransitionRow.id)
        )
        return [_transition(row) for row in self.session.scalars(query)]

    def acknowledge(self, key: str, *, by: str, at: int) -> Acknowledgement:
        """Record that ``by`` acknowledged the alert ``key`` at ``at``.

        Only a firing or pending alert can be acknowledged (:class:`RequestError`
        otherwise; :class:`NotFoundError` for an unknown key). Acknowledging twice keeps
        the first acknowledgement (``first`` is False). The acknowledgement lasts for the
        alert's current episode: it is cleared when the alert starts again after it
        resolved.
        """
        query = (
            select(AlertStateRow)
            .where(AlertStateRow.dedup_key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = self.session.scalars(query).one_or_none()
        if row is None:
            raise NotFoundError(f"no alert with key {key!r}; the alert list shows every key")
        if row.acked_at is not None:
            return Acknowledgement(_state(row), first=False)
        if row.state not in ACKABLE_STATES:
            raise RequestError(
                f"alert {key[:12]} is {row.state}: only a firing or pending alert can be "
                "acknowledged"
            )
        row.acked_at, row.acked_by = at, by
        self.session.flush()
        return Acknowledgement(_state(row), first=True)

    def apply(
        self,
        identity: AlertIdentity,
        to_state: str,
        *,
        at: int,
        burn_rate: float | None = None,
        budget_consumed: float | None = None,
        labels: Mapping[str, Any] | None = None,
        counters: Counters | None = None,
    ) -> AlertChange:
        """Record that the alert is in ``to_state`` at ``at``.

        A new state records a transition and resets what is measured per firing (peak
        burn rate, budget consumed while firing); the same state updates the peak; the
        budget figure is kept when given while firing or at the resolution; a time
        before the recorded ``since`` (a replay) changes nothing. ``counters`` (when
        given) are stored as they are.
        """
        if to_state not in ALERT_STATES:
            raise ValueError(f"unknown alert state {to_state!r}; one of {', '.join(ALERT_STATES)}")
        row = self._locked(identity, to_state, at, labels or {})
        if row is None:  # just created in to_state by this call
            return self._created(identity, to_state, at, (burn_rate, budget_consumed), counters)
        if at < row.since:
            return AlertChange(_state(row), None)
        if labels is not None:
            row.labels = dict(labels)
        if counters is not None:
            _count(row, counters)
        if row.state == to_state and at == row.since:
            return AlertChange(_state(row), None)
        if row.state == to_state:
            self._measure(row, burn_rate, budget_consumed, at)
            row.version += 1
            return AlertChange(_state(row), None)
        previous = row.state
        _enter(row, to_state, at)
        self._measure(row, burn_rate, budget_consumed, at)
        return AlertChange(_state(row), self._record(row, previous, burn_rate))

    def _created(
        self,
        identity: AlertIdentity,
        to_state: str,
        at: int,
        figures: tuple[float | None, float | None],
        counters: Counters | None,
    ) -> AlertChange:
        burn_rate, budget_consumed = figures
        row = self._locked(identity, to_state, at, {})
        assert row is not None  # it exists: this transaction inserted it
        if counters is not None:
            _count(row, counters)
        self._measure(row, burn_rate, budget_consumed, at)
        return AlertChange(_state(row), self._record(row, None, burn_rate))

    def _locked(
        self, identity: AlertIdentity, to_state: str, at: int, labels: Mapping[str, Any]
    ) -> AlertStateRow | None:
        """The alert's row, locked; None when this call inserted it (then read it again)."""
        query = (
            select(AlertStateRow)
            .where(AlertStateRow.dedup_key == identity.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = self.session.scalars(query).one_or_none()
        if row is not None:
            return row
        insert = insert_for(self.session, AlertStateRow).values(
            dedup_key=identity.key,
            service=identity.service,
            slo=identity.slo,
            severity=identity.severity,
            group_key=identity.group_key,
            state=to_state,
            since=at,
            fired_at=at if to_state == "firing" else None,
            resolved_at=at if to_state == "resolved" else None,
            peak_burn_rate=0.0,
            budget_consumed=0.0,
            labels=dict(labels),
            version=1,
            updated_at=at,
        )
        inserted = self.session.execute(insert.on_conflict_do_nothing().returning(AlertStateRow.id))
        if inserted.scalar_one_or_none() is not None:
            return None
        # Another writer inserted it first: wait for its lock and use its row.
        return self.session.scalars(query).one()

    @staticmethod
    def _measure(
        row: AlertStateRow, burn_rate: float | None, budget_consumed: float | None, at: int
    ) -> None:
        if burn_rate is not None and row.state == "firing":
            row.peak_burn_rate = max(row.peak_burn_rate, burn_rate)
        if budget_consumed is not None and row.state in ("firing", "resolved"):
            row.budget_consumed = budget_consumed
        row.updated_at = at

    def _record(
        self, row: AlertStateRow, previous: str | None, burn_rate: float | None
    ) -> Transition:
        entry = AlertTransitionRow(
            alert_id=row.id,
            dedup_key=row.dedup_key,
            from_state=previous,
            to_state=row.state,
            at=row.since,
            burn_rate=burn_rate,
            budget_consumed=row.budget_consumed,
        )
        self.session.add(entry)
        self.session.flush()
        return _transition(entry)


def _count(row: AlertStateRow, counters: Counters) -> None:
    row.run = counters.run
    row.last_sustained = counters.last_sustained
    row.notified = counters.notified
    row.silenced = counters.silenced


def _enter(row: AlertStateRow, to_state: str, at: int) -> None:
    """Move the row into a new state at ``at``; firing and pending start a new episode,
    ``inactive`` ends a pending one that never fired."""
    if row.state not in ACKABLE_STATES and to_state in ACKABLE_STATES:
        row.acked_at, row.acked_by = None, None  # a new episode: nobody acknowledged it yet
    row.state, row.since, row.version = to_state, at, row.version + 1
    if to_state == "resolved":
        row.resolved_at = at
        return
    if to_state == "inactive":
        row.fired_at, row.resolved_at = None, None
        return
    row.fired_at = at if to_state == "firing" else None
    row.resolved_at = None
    row.peak_burn_rate, row.budget_consumed = 0.0, 0.0


def _state(row: AlertStateRow) -> AlertState:
    return AlertState(
        identity=AlertIdentity(row.service, row.slo, row.severity, row.group_key),
        state=row.state,
        since=row.since,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
        peak_burn_rate=row.peak_burn_rate,
        budget_consumed=row.budget_consumed,
        labels=dict(row.labels),
        version=row.version,
        counters=Counters(row.run, row.last_sustained, row.notified, row.silenced),
        acked_at=row.acked_at,
        acked_by=row.acked_by,
    )


def _transition(row: AlertTransitionRow) -> Transition:
    return Transition(
        key=row.dedup_key,
        from_state=row.from_state,
        to_state=row.to_state,
        at=row.at,
        burn_rate=row.burn_rate,
        budget_consumed=row.budget_consumed,
    )
