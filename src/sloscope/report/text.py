"""Shared wording of figures for the human-readable renderers (table, Markdown, HTML)."""

from __future__ import annotations

from sloscope.report.model import SLOResult
from sloscope.spec.durations import format_duration

NO_DATA = "—"
#: Burn-rate lookbacks shown in tables (the JSON has every one).
TABLE_LOOKBACKS: tuple[int, ...] = (300, 3600, 21600, 86400, 259200)


def percent(fraction: float | None, digits: int = 3) -> str:
    """``0.99942`` → ``99.942%``; None → the no-data mark. Trailing zeros are dropped."""
    if fraction is None:
        return NO_DATA
    text = f"{fraction * 100:.{digits}f}"
    # 0.999996 must not read as 100%: add digits until it no longer rounds up to it.
    while fraction < 1 and float(text) >= 100 and digits < 9:
        digits += 1
        text = f"{fraction * 100:.{digits}f}"
    text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def burn(rate: float | None) -> str:
    """A burn rate as ``1.25x``; None → the no-data mark."""
    if rate is None:
        return NO_DATA
    return f"{rate:.2f}x" if rate < 100 else f"{rate:.0f}x"


def duration_words(seconds: float | None) -> str:
    """Seconds as a short human duration (``2d 4h``, ``35m``); None → the no-data mark."""
    if seconds is None:
        return NO_DATA
    total = int(seconds)
    if total <= 0:
        return "now"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{max(minutes, 1)}m"


def alerts_text(result: SLOResult) -> str:
    """Firing alerts as ``page 1h/5m``; empty when none fire."""
    return ", ".join(
        f"{a.severity} {format_duration(a.long_seconds)}/{format_duration(a.short_seconds)}"
        for a in result.status.alerts
    )


#: A symbol beside each policy state, so the state reads without colour too.
POLICY_MARKS: dict[str, str] = {"ok": "✓", "notify": "▲", "freeze": "✖", "unknown": "?"}
#: Alert severities, most urgent first.
SEVERITIES: tuple[str, ...] = ("page", "ticket")


def policy_words(result: SLOResult) -> str:
    """The policy state with its symbol: ``✓ ok``, ``▲ notify``, ``✖ freeze``, ``? unknown``."""
    state = result.decision.state
    return f"{POLICY_MARKS[state]} {state}"


def alert_words(result: SLOResult) -> str:
    """Firing alerts as one word per severity (``page``, ``page, ticket``); ``none``."""
    firing = {a.severity for a in result.status.alerts}
    return ", ".join(s for s in SEVERITIES if s in firing) or "none"


def sli_against(result: SLOResult) -> str:
    """The SLI beside its objective with the comparison spelled: ``99.94% ≥ 99.9%``.

    A miss never reads as a tie: digits are added until the SLI differs from the
    objective as printed. ``no data / 99.9%`` without events.
    """
    objective = percent(result.slo.objective, 4)
    sli = result.status.sli
    if sli is None:
        return f"no data / {objective}"
    digits = 3
    text = percent(sli, digits)
    while sli < result.slo.objective and text == objective and digits < 9:
        digits += 1
        text = percent(sli, digits)
    return f"{text} {'≥' if sli >= result.slo.objective else '<'} {objective}"


def fastest_burn(result: SLOResult) -> tuple[int, float] | None:
    """The highest burn rate of the report's lookbacks and its lookback (seconds).

    On a tie the longest lookback wins (it says more); None when no lookback has events.
    """
    rates = [
        (rate, seconds) for seconds, rate in result.status.burn_rates.items() if rate is not None
    ]
    if not rates:
        return None
    rate, seconds = max(rates)
    return seconds, rate


def alert_factor(result: SLOResult, lookback: int) -> float | None:
    """The lowest alert factor of the rows that use ``lookback`` as a window, or None."""
    factors = [
        a.factor for a in result.status.alert_rows if lookback in (a.long_seconds, a.short_seconds)
    ]
    return min(factors) if factors else None


def over_threshold(result: SLOResult, lookback: int) -> bool:
    """Whether the burn over ``lookback`` is above an alert factor that window is part of."""
    rate = result.status.burn_rates.get(lookback)
    factor = alert_factor(result, lookback)
    return rate is not None and factor is not None and rate > factor


def burn_marked(result: SLOResult, lookback: int) -> str:
    """The burn over ``lookback`` as :func:`burn` words it, with ``!`` when over a threshold."""
    text = burn(result.status.burn_rates.get(lookback))
    return f"{text}!" if over_threshold(result, lookback) else text
