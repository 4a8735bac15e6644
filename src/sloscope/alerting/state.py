"""One alert's lifetime, one evaluation at a time: inactive → pending → firing → resolved.

A live evaluation loop keeps one :class:`AlertState` per SLO, severity (and group key),
and at each evaluation calls :func:`advance` with what the engine found. It gets the new
state back, plus the :class:`Transition` objects to record and notify: each with its
time, the peak burn rate and the budget consumed while firing. Everything is a value:
no clock (the observation carries its time), no store (the caller persists the state).

The lifetime is that of :mod:`sloscope.alerting.spans` (pending for ``pending_for``,
resolve ``resolve_after`` after the last evaluation that would fire), so a live loop
and a backtest over the same counts raise the same alerts::

    state = AlertState("checkout/place-order-availability/page")
    for obs in observations:
        state, changes = advance(state, obs, Lifetime(interval=60, resolve_after=900), 0.001)
        for change in changes:
            record(change)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from sloscope.alerting.spans import Lifetime

Phase = Literal["inactive", "pending", "firing"]
Change = Literal["pending", "firing", "resolved", "inactive"]


@dataclass(frozen=True)
class Observation:
    """What the engine found for one alert at one evaluation.

    ``condition``: whether the severity's alert rows fire (guard and adjustments applied);
    ``burn``: the highest long-window burn of those rows (``None`` without events);
    ``bad``: bad events in the interval ending at ``at``; ``window_total``: events in the
    SLO window ending at ``at`` (the budget's base).
    """

    at: int
    condition: bool
    burn: float | None = None
    bad: float = 0.0
    window_total: float = 0.0


@dataclass(frozen=True)
class Transition:
    """A change of an alert's phase at ``at``, with its figures while firing.

    ``to`` is ``pending`` (the condition started to hold), ``firing`` (notify),
    ``resolved`` (notify the resolution) or ``inactive`` (a pending alert whose condition
    stopped before it fired). ``since`` is when the alert started firing (for
    ``firing`` and ``resolved``).
    """

    key: str
    to: Change
    at: int
    since: int | None = None
    peak_burn_rate: float | None = None
    budget_consumed: float | None = None


@dataclass(frozen=True)
class AlertState:
    """Where one alert stands; start with ``AlertState(key)``.

    ``run``: evaluations in a row its condition held; ``last_sustained``: the last
    evaluation at which it had held for the pending time; ``since``: when it started
    firing; ``bad``/``window_total``/``peak``: the figures of its firing so far.
    """

    key: str
    phase: Phase = "inactive"
    run: int = 0
    last_sustained: int | None = None
    since: int | None = None
    bad: float = 0.0
    window_total: float = 0.0
    peak: float | None = None

    def consumed(self, error_budget: float) -> float | None:
        """Budget consumed while firing: bad events over the window's budget."""
        if self.window_total <= 0:
            return None
        return max(self.bad, 0.0) / (self.window_total * error_budget)


def _peak(old: float | None, new: float | None) -> float | None:
    if new is None or np.isnan(new):
        return old
    return new if old is None else max(old, new)


def advance(
    state: AlertState, obs: Observation, lifetime: Lifetime, error_budget: float
) -> tuple[AlertState, tuple[Transition, ...]]:
    """The state after one evaluation, and the changes it made (see the module docstring)."""
    run = state.run + 1 if obs.condition else 0
    last = obs.at if run >= lifetime.pending_steps else state.last_sustained
    hold = lifetime.hold_steps * lifetime.interval
    fires = last is not None and obs.at - last < hold
    changes: list[Transition] = []
    if state.phase == "firing":
        if fires:
            return replace(
                state,
                run=run,
                last_sustained=last,
                bad=state.bad + obs.bad,
                window_total=obs.window_total,
                peak=_peak(state.peak, obs.burn),
            ), ()
        changes.append(
            Transition(
                state.key,
                "resolved",
                obs.at,
                state.since,
                state.peak,
                state.consumed(error_budget),
            )
        )
        after = AlertState(state.key, "pending" if run else "inactive", run, last)
        if run:
            changes.append(Transition(state.key, "pending", obs.at))
        return after, tuple(changes)
    if fires:
        new = AlertState(state.key, "firing", run, last, obs.at, obs.bad, obs.window_total)
        new = replace(new, peak=_peak(None, obs.burn))
        if state.phase == "inactive" and lifetime.pending_steps > 1:
            changes.append(Transition(state.key, "pending", obs.at))
        changes.append(
            Transition(state.key, "firing", obs.at, obs.at, new.peak, new.consumed(error_budget))
        )
        return new, tuple(changes)
    if run:
        if state.phase == "inactive":
            changes.append(Transition(state.key, "pending", obs.at))
        return AlertState(state.key, "pending", run, last), tuple(changes)
    if state.phase == "pending":
        changes.append(Transition(state.key, "inactive", obs.at))
    return AlertState(state.key, "inactive", 0, last), tuple(changes)
