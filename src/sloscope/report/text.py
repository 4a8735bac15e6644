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
