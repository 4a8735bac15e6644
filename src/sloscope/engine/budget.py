"""The SLI and the error budget of a window's counts (SRE workbook, chapter 2).

For a window with ``good`` and ``total`` events and an objective (a fraction)::

    bad       = total - good
    SLI       = good / total                       (None without events)
    budget    = total * (1 - objective)            events the window may fail
    consumed  = bad / budget                       (None without events)
    remaining = 1 - consumed                       (negative when overspent)

So a 99.9% SLO with 1,000 bad events out of 1,000,000 has consumed exactly its budget.
The burn rate over a lookback is the same quotient over the lookback's events
(:func:`budget_spent`), computed by the same operations in the vectorised code, so a
status and a backtest agree to the last bit.

Good above total: counters of good and total events are scraped separately, so over a
short span good can exceed total by a few events although no event was good twice. The
engine therefore clips bad at 0 (the SLI is then 1.0) instead of failing, and
:func:`excess_good` reports how many good events were beyond total, so a report or
``validate`` can name a real inconsistency (a good selector that is not a subset of the
total selector) rather than hide it.
"""

from __future__ import annotations

#: Significant digits kept of ``1 - objective``: objectives are written with a few
#: decimals, so this removes the artefact of subtracting from 1 (``1 - 0.999`` is
#: ``0.0010000000000000009`` in binary) and keeps every real digit.
_BUDGET_DIGITS = 12

#: The error budget of each objective seen (bounded: a project has a few objectives).
_BUDGETS: dict[float, float] = {}
_BUDGETS_KEPT = 4096


def error_budget(objective: float) -> float:
    """The error budget as a fraction of events: ``1 - objective``, without float artefacts.

    Raises :class:`ValueError` unless ``0 < objective < 1``; the spec loaders guarantee it,
    so this only fires on a programming error.

    >>> error_budget(0.999)
    0.001
    """
    # Remembered per objective: a status asks a dozen times (each burn rate, each alert
    # row), and the formatting costs more than the rest of a burn rate.
    budget = _BUDGETS.get(objective)
    if budget is not None:
        return budget
    if not 0.0 < objective < 1.0:
        raise ValueError(
            f"an objective must be a fraction strictly between 0 and 1, got {objective}"
        )
    budget = float(f"{1.0 - objective:.{_BUDGET_DIGITS}g}")
    if len(_BUDGETS) < _BUDGETS_KEPT:
        _BUDGETS[objective] = budget
    return budget


def max_burn_rate(objective: float) -> float:
    """The highest burn rate an SLO can reach: every event bad, ``1 / (1 - objective)``.

    Here, beside the budget, so that checking a spec needs no array code.
    """
    return 1.0 / error_budget(objective)


def bad_events(good: float, total: float) -> float:
    """Bad events: ``total - good``, clipped at 0 (see the module docstring)."""
    return max(total - good, 0.0)


def excess_good(good: float, total: float) -> float:
    """How many good events exceed total (0 when the counts are consistent)."""
    return max(good - total, 0.0)


def sli(good: float, total: float) -> float | None:
    """The ratio of good events, ``None`` without events; at most 1.0.

    Computed as ``1 - bad/total`` with bad clipped, so it agrees with :func:`consumed`.
    """
    if total <= 0:
        return None
    return 1.0 - bad_events(good, total) / total


def budget_spent(bad: float, total: float, objective: float) -> float | None:
    """``bad / (total * (1 - objective))`` with bad clipped at 0; None without events.

    The budget consumed over a window, or the burn rate over a lookback.

    >>> budget_spent(1000.0, 1_000_000.0, 0.999)
    1.0
    """
    if total <= 0:
        return None
    return max(bad, 0.0) / (total * error_budget(objective))


def error_ratio(good: float, total: float) -> float | None:
    """The ratio of bad events, ``None`` without events."""
    if total <= 0:
        return None
    return bad_events(good, total) / total


def consumed(good: float, total: float, objective: float) -> float | None:
    """The share of the error budget spent: ``bad / (total * (1 - objective))``.

    None without events; above 1.0 when the budget is overspent.
    """
    return budget_spent(total - good, total, objective)


def remaining(good: float, total: float, objective: float) -> float | None:
    """The share of the error budget left: ``1 - consumed``.

    Negative when the budget is overspent; None without events.
    """
    spent = consumed(good, total, objective)
    return None if spent is None else 1.0 - spent
