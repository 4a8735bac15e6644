"""OpenSLO time: the SLO's ``timeWindow``, its ``budgetingMethod`` and time-slice settings.

- A rolling window (``isRolling: true``) of days or weeks is the same rolling window;
  months, quarters and years are read as 30, 90 and 365 days, with a warning.
- A calendar window (``1w``, ``1M``, ``1Q`` with ``calendar.timeZone``) becomes a calendar
  week, month or quarter. sloscope's calendar windows start at the start of each period,
  so a ``startTime`` off that boundary is not used (with a warning).
- ``Timeslices`` needs the objective's ``timeSliceWindow`` (a duration, or a bare number
  of minutes) and ``timeSliceTarget``; ``RatioTimeslices`` is evaluated as Occurrences.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sloscope.spec import fields
from sloscope.spec.durations import parse_duration
from sloscope.spec.fields import Context
from sloscope.spec.model import CalendarUnit, Window
from sloscope.spec.openslo.objects import OpenSLOObject
from sloscope.spec.yamlpos import YamlPath

BUDGETING_METHODS = ("Occurrences", "Timeslices", "RatioTimeslices")
#: The startTime an export writes for a calendar window that was given none: a Monday,
#: 1 January, so on every week/month/quarter start. Read back as "no startTime given".
CALENDAR_START = "2024-01-01 00:00:00"

_OPENSLO_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwMQY])\s*$", re.ASCII)
_CALENDAR_UNITS: Mapping[str, CalendarUnit] = {"w": "week", "M": "month", "Q": "quarter"}
_SECONDS = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "Q": 90 * 86400,
    "Y": 365 * 86400,
}


def budgeting_method(obj: OpenSLOObject) -> str | None:
    """``Occurrences`` or ``Timeslices`` (how the SLO is evaluated); None after an error."""
    method = obj.get("spec", "budgetingMethod")
    if method is None:
        obj.ctx.warn(
            obj.at("spec"),
            f"SLO {obj.name!r} has no budgetingMethod; Occurrences assumed",
            "OpenSLO requires budgetingMethod: Occurrences, Timeslices or RatioTimeslices",
        )
        return "Occurrences"
    if method not in BUDGETING_METHODS:
        obj.ctx.error(
            obj.at("spec", "budgetingMethod"),
            f"unknown budgetingMethod {method!r}",
            "use Occurrences, Timeslices or RatioTimeslices",
        )
        return None
    if method == "RatioTimeslices":
        obj.ctx.warn(
            obj.at("spec", "budgetingMethod"),
            "RatioTimeslices is evaluated as Occurrences: good/total over the window, so "
            "busy slices weigh more than quiet ones",
            "use Timeslices with a timeSliceTarget to count good slices",
        )
        return "Occurrences"
    return str(method)


def time_window(obj: OpenSLOObject) -> Window | None:
    """The SLO's window (``spec.timeWindow``, a list of one); None after an error."""
    ctx = obj.ctx
    raw = obj.get("spec", "timeWindow")
    path = obj.at("spec", "timeWindow")
    if raw is None:
        ctx.warn(
            obj.at("spec"), f"SLO {obj.name!r} has no timeWindow; a rolling 30d window is assumed"
        )
        return fields.rolling_window(ctx, path, "30d")
    item = _window_item(obj, raw)
    if item is None:
        return None
    path, raw = item
    duration = raw.get("duration")
    if not isinstance(duration, str | int) or isinstance(duration, bool):
        ctx.error(path, "timeWindow needs duration, e.g. 28d (rolling) or 1M (calendar)")
        return None
    text = str(duration)
    match = _OPENSLO_DURATION.match(text)
    if not match:
        ctx.error(
            (*path, "duration"),
            f"timeWindow duration {text!r} is not a duration",
            "write a number and one of m, h, d, w, M, Q, Y, e.g. 28d or 1M",
        )
        return None
    count, unit = int(match.group(1)), match.group(2)
    calendar, rolling = raw.get("calendar"), raw.get("isRolling")
    if rolling is True or (rolling is None and calendar is None):
        return _rolling(ctx, path, text, count=count, unit=unit, has_calendar=calendar is not None)
    return _calendar(ctx, path, text, count=count, unit=unit, calendar=calendar)


def _window_item(obj: OpenSLOObject, raw: object) -> tuple[YamlPath, Mapping[str, object]] | None:
    """The one window of ``spec.timeWindow`` and its path (a bare mapping is read, with a
    warning); None after an error."""
    path = obj.at("spec", "timeWindow")
    if isinstance(raw, Mapping):
        obj.ctx.warn(
            path, "timeWindow is a list with one item in OpenSLO; read the mapping as that item"
        )
        return path, raw
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], Mapping):
        return (*path, 0), raw[0]
    obj.ctx.error(path, "timeWindow must be a list with exactly one window")
    return None


def _rolling(
    ctx: Context, path: YamlPath, text: str, *, count: int, unit: str, has_calendar: bool
) -> Window | None:
    if has_calendar:
        ctx.warn((*path, "calendar"), "calendar is ignored for a rolling window (isRolling: true)")
    if unit in ("M", "Q", "Y"):
        days = count * _SECONDS[unit] // 86400
        ctx.warn(
            (*path, "duration"),
            f"rolling window {text} is read as {days}d",
            f"write duration: {days}d to say so, or use a calendar window",
        )
        return fields.rolling_window(ctx, (*path, "duration"), f"{days}d")
    return fields.rolling_window(ctx, (*path, "duration"), text)


def _calendar(
    ctx: Context, path: YamlPath, text: str, *, count: int, unit: str, calendar: object
) -> Window | None:
    if count != 1 or unit not in _CALENDAR_UNITS:
        hint = "calendar windows are 1w, 1M or 1Q"
        if unit == "m" and count == 1:
            hint = "did you mean 1M (a month)? m is minutes"
        ctx.error((*path, "duration"), f"calendar window {text!r} is not supported", hint)
        return None
    cal = calendar if isinstance(calendar, Mapping) else {}
    if calendar is None:
        ctx.warn(path, "calendar window without calendar settings; UTC assumed")
    timezone = cal.get("timeZone", "UTC")
    start = cal.get("startTime")
    window = fields.calendar_window(
        ctx,
        (*path, "duration"),
        _CALENDAR_UNITS[unit],
        (*path, "calendar", "timeZone"),
        str(timezone),
        start=_written(ctx, (*path, "calendar", "startTime"), start),
    )
    if window is not None and start is not None and not _aligned(start, window.unit):
        ctx.warn(
            (*path, "calendar", "startTime"),
            f"calendar windows start at the start of each {window.unit} in {window.timezone}; "
            f"startTime {start} is not used",
        )
    return window


def _written(ctx: Context, path: YamlPath, value: object) -> str | None:
    """A scalar as the file writes it: an unquoted ``2025-01-06 00:00:00`` is a YAML
    timestamp, which PyYAML reads as a datetime, but an export must write the text back."""
    if value is None:
        return None
    span = ctx.doc.scalars.get(path)
    text = str(value)
    if span is not None and span.source is not None:
        text = span.source.strip().strip("'\"")
    return None if text == CALENDAR_START else text


def slice_settings(
    ctx: Context, path: YamlPath, data: Mapping[str, object]
) -> tuple[int, float] | None:
    """(slice seconds, slice target) of the objective at ``path``; None after an error."""
    before = ctx.error_count()
    seconds = _slice_seconds(ctx, path, data.get("timeSliceWindow"))
    fraction = _slice_target(ctx, path, data.get("timeSliceTarget"))
    if ctx.error_count() > before:
        return None
    return seconds, fraction


def _slice_seconds(ctx: Context, path: YamlPath, window: object) -> int:
    """``timeSliceWindow`` in seconds (0 after an error)."""
    if window is None:
        ctx.error(path, "Timeslices needs timeSliceWindow (e.g. 1m)")
        return 0
    if isinstance(window, int | float) and not isinstance(window, bool):
        seconds = int(float(window) * 60)  # OpenSLO: a bare number is minutes
        if seconds <= 0:
            ctx.error((*path, "timeSliceWindow"), "timeSliceWindow must be positive")
        return seconds
    try:
        return parse_duration(str(window))
    except ValueError as exc:
        ctx.error((*path, "timeSliceWindow"), f"timeSliceWindow: {exc}")
        return 0


def _slice_target(ctx: Context, path: YamlPath, target: object) -> float:
    """``timeSliceTarget`` as a fraction (0 after an error)."""
    if target is None:
        ctx.error(
            path,
            "Timeslices needs timeSliceTarget: the good ratio (0-1] that makes a slice good",
        )
        return 0.0
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        ctx.error(
            (*path, "timeSliceTarget"),
            f"timeSliceTarget must be a number in (0, 1], got {target!r}",
        )
        return 0.0
    return round(float(target), 12)


def _aligned(start: object, unit: str) -> bool:
    """Whether an OpenSLO calendar startTime falls on a week/month/quarter boundary."""
    if isinstance(start, datetime):
        moment = start
    else:
        try:
            moment = datetime.fromisoformat(str(start).strip())
        except ValueError:
            return False
    if (moment.hour, moment.minute, moment.second) != (0, 0, 0):
        return False
    if unit == "week":
        return moment.weekday() == 0
    if unit == "month":
        return moment.day == 1
    return moment.day == 1 and moment.month in (1, 4, 7, 10)
