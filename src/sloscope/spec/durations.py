"""Durations as sloscope writes them: ``5m``, ``1h``, ``28d``, ``4w``; ``300ms`` for thresholds.

Pure helpers shared by every spec format and by the CLI, so a window reads and prints the
same way everywhere.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$", re.ASCII)
_THRESHOLD = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m)?\s*$", re.ASCII)


def parse_duration(text: str) -> int:
    """Parse a whole-unit duration (``5m``, ``28d``, ``4w``) into seconds.

    Raises :class:`ValueError` with a message fit for a user when the text is not one.
    Compound forms (``1h30m``) are accepted as Prometheus writes them.

    >>> parse_duration("28d")
    2419200
    """
    text = str(text).strip()
    if not text:
        raise ValueError("empty duration; write a number and a unit such as 5m, 1h or 28d")
    total = 0
    pos = 0
    for match in re.finditer(r"([0-9]+)(s|m|h|d|w)", text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or total <= 0:
        raise ValueError(
            f"{text!r} is not a duration; write a positive number and a unit "
            "(s, m, h, d or w) such as 5m, 1h or 28d"
        )
    return total


def format_duration(seconds: int) -> str:
    """Format seconds as the shortest whole-unit duration (``86400`` → ``1d``).

    Weeks are only used when the value is not also a whole number of days below 28,
    so ``28d`` stays ``28d`` (as SLO windows are usually written) and ``7d`` stays ``7d``.

    >>> format_duration(3600)
    '1h'
    """
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {seconds}")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_threshold_seconds(value: object) -> float:
    """Parse a latency threshold (``300ms``, ``0.3s``, ``1.5``, a bare number is seconds).

    >>> parse_threshold_seconds("300ms")
    0.3
    """
    if isinstance(value, bool):
        raise ValueError("a latency threshold is a duration such as 300ms or 1.5s, not a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _THRESHOLD.match(str(value))
        if not match:
            raise ValueError(
                f"{value!r} is not a latency threshold; write it as 300ms, 0.3s or 0.3 (seconds)"
            )
        number = float(match.group(1))
        unit = match.group(2) or "s"
        seconds = {"ms": number / 1000.0, "s": number, "m": number * 60.0}[unit]
        # 300ms must equal the bucket boundary 0.3 exactly, not 0.30000000000000004.
        seconds = float(f"{seconds:.12g}")
    if not seconds > 0:
        raise ValueError(f"a latency threshold must be positive, got {value!r}")
    return seconds
