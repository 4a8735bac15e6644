"""Where an SLO window starts and ends for an evaluation time.

A rolling window of ``W`` seconds evaluated at ``T`` is ``(T - W, T]``. A calendar window
is the current ISO week (from Monday 00:00), month or quarter in the window's IANA time
zone, up to ``T``; it starts at local midnight of its first day, whatever the UTC offset
is then, so a Berlin month that began in winter time and is evaluated in summer time
still starts at 00:00 CET. Windows are ``(start, T]``, so evaluated exactly at a period
boundary the window is the period that just ended (a report at 00:00 on 1 April covers
March), never an empty period.

Local midnight is found with :mod:`zoneinfo` with ``fold=0``: where a zone changes its
clocks at midnight and 00:00 does not exist, that gives the instant the day begins; where
00:00 happens twice, the first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sloscope.errors import EvaluationError
from sloscope.spec.model import CalendarUnit, CalendarWindow, RollingWindow, Window


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EvaluationError(
            f"unknown time zone {name!r}; use an IANA name such as UTC or Europe/Berlin"
        ) from None


def _first_day(unit: CalendarUnit, day: date) -> date:
    """The first local day of the week (Monday), month or quarter containing ``day``."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    raise EvaluationError(f"unknown calendar unit {unit!r}; use week, month or quarter")


def _next_first_day(unit: CalendarUnit, first: date) -> date:
    """The first day of the period after the one starting on ``first``."""
    if unit == "week":
        return first + timedelta(days=7)
    months = 1 if unit == "month" else 3
    month_index = first.month - 1 + months
    return date(first.year + month_index // 12, month_index % 12 + 1, 1)


def _local_midnight(day: date, zone: ZoneInfo) -> int:
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone, fold=0)
    return int(midnight.timestamp())


def _local_day(at: int, zone: ZoneInfo) -> date:
    # Windows are (start, at]: the last instant they hold is `at`, and the step ending at
    # `at` holds the events just before it. So the period evaluated is the one containing
    # the second before `at`: at 00:00 on the 1st the month that just ended is evaluated
    # (how a monthly report for it is asked for), never an empty new month.
    return datetime.fromtimestamp(at - 1, tz=UTC).astimezone(zone).date()


def calendar_start(unit: CalendarUnit, timezone: str, at: int) -> int:
    """Unix seconds at which the calendar period of ``at`` began in ``timezone``.

    The period of ``at`` is the one holding the second before ``at``, so at a period
    boundary the period that just ended is evaluated (see the module docstring).

    >>> calendar_start("month", "Europe/Berlin", 1711929600)  # 2024-04-01T00:00Z
    1711922400
    """
    zone = _zone(timezone)
    return _local_midnight(_first_day(unit, _local_day(at, zone)), zone)


def calendar_end(unit: CalendarUnit, timezone: str, at: int) -> int:
    """Unix seconds at which the calendar period of ``at`` ends (the next one starts)."""
    zone = _zone(timezone)
    first = _first_day(unit, _local_day(at, zone))
    return _local_midnight(_next_first_day(unit, first), zone)


def window_start(window: Window, at: int) -> int:
    """Start of the SLO window evaluated at ``at``: ``at - seconds``, or the period's start."""
    if isinstance(window, RollingWindow):
        return at - window.seconds
    if isinstance(window, CalendarWindow):
        return calendar_start(window.unit, window.timezone, at)
    raise EvaluationError(f"unknown window kind {window!r}")


def window_length(window: Window, at: int) -> int:
    """The full length of the window evaluated at ``at`` (seconds).

    A rolling window's own length; a calendar period's real length (a Berlin March has
    one hour less than 31 days), which is what a budget forecast runs against.
    """
    if isinstance(window, RollingWindow):
        return window.seconds
    return calendar_end(window.unit, window.timezone, at) - window_start(window, at)
