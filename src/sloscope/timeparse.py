"""Times as users write them on the command line and in files.

``--at`` and ``--from``/``--to`` take RFC 3339 (``2026-11-20T12:00:00Z``, an offset, or a
date alone meaning midnight UTC) or Unix seconds (``1795176000``); ``now`` is the clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

#: Unix seconds: ASCII digits only (``\d`` would take other scripts' digits too). Any
#: number of them, so ``0`` is the epoch as ``1970-01-01T00:00:00Z`` is.
_UNIX = re.compile(r"[0-9]+(\.[0-9]+)?")
#: Unix seconds beyond this look like milliseconds (13 digits today).
_MILLIS_HINT = 10**12

#: Times sloscope evaluates at: from the Unix epoch to the start of year 9999. Later, a
#: calendar window's period would end in year 10000, which Python's dates cannot hold.
EARLIEST = 0
LATEST = 253370764800  # 9999-01-01T00:00:00Z


def parse_time(text: str, now: float) -> int:
    """Parse a time into whole Unix seconds; ``now`` is what ``"now"`` means.

    Raises :class:`ValueError` with a message saying which forms are accepted.

    >>> parse_time("2026-11-20T12:00:00Z", now=0)
    1795176000
    """
    seconds = _parse(text, now)
    if seconds >= _MILLIS_HINT and _UNIX.fullmatch(text.strip()):
        raise ValueError(
            f"{text!r} is out of range as Unix seconds; is it in milliseconds? "
            f"Divide by 1000 ({seconds // 1000})"
        )
    if not EARLIEST <= seconds < LATEST:
        raise ValueError(
            f"{text!r} is out of range; give a time between {format_time(EARLIEST)} "
            f"and {format_time(LATEST)}"
        )
    return seconds


def _parse(text: str, now: float) -> int:
    value = text.strip()
    if value.lower() == "now":
        return int(now)
    if _UNIX.fullmatch(value):
        if len(value) == 8 and _is_compact_date(value):
            raise ValueError(
                f"{text!r} is ambiguous: write {value[:4]}-{value[4:6]}-{value[6:]} for the "
                f"date, or {value}.0 for Unix seconds"
            )
        return int(float(value))
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time; write RFC 3339 (2026-11-20T12:00:00Z) "
            "or Unix seconds (1795176000)"
        ) from None
    if parsed.tzinfo is None:
        if "T" in value or " " in value:
            raise ValueError(
                f"{text!r} has no time zone; add Z for UTC or an offset such as +01:00"
            )
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def format_time(seconds: int) -> str:
    """Unix seconds as RFC 3339 UTC with a ``Z`` (``2026-11-20T12:00:00Z``)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_compact_date(value: str) -> bool:
    """Whether eight digits read as a date (``20261120``), as ISO 8601's basic form."""
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True


def parse_expiry(text: str, now: float) -> int:
    """An expiry as users write it: a duration from ``now`` (``4h``, ``3d``) or a time
    (:func:`parse_time`); :class:`ValueError` as :func:`parse_time` raises it.

    >>> parse_expiry("2h", now=100)
    7300
    """
    from sloscope.spec.durations import parse_duration

    try:
        return int(now) + parse_duration(text)
    except ValueError:
        return parse_time(text, now)
