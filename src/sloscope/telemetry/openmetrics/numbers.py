"""Values and timestamps of a chunk of sample lines: text to numpy columns, checked.

A chunk's texts are converted in bulk by numpy; only when something in it is wrong are
its lines read one by one, to name each bad line. Refused, with the line:

- a value or timestamp that is not a number (Go's ParseFloat rules: no ``_``);
- an infinite value, and a counter value that is NaN or negative
  (:func:`~sloscope.telemetry.openmetrics.series.counts_up` says which series count):
  the store keeps per-sample increases, and one of those would make every window that
  holds it NaN or infinite;
- ``openmetrics`` timestamps (Unix seconds) past year 5138, which are milliseconds;
- ``prometheus`` timestamps (Unix milliseconds) that are not whole, or that land between
  1970-01-02 and 1973-03-03: those are Unix seconds given to the wrong format.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sloscope.telemetry.openmetrics.problems import Problems
from sloscope.telemetry.openmetrics.series import Format

#: Timestamps past this many seconds (year 5138) are almost surely milliseconds.
_MAX_SECONDS = 1e11
#: Millisecond timestamps in [this, _MAX_SECONDS) are 1970-01-02 .. 1973-03-03: seconds
#: of 1973 .. 5138 read as milliseconds, never real data.
_MIN_MILLISECONDS = 1e8


@dataclass
class RawChunk:
    """The texts of a chunk's samples, before numeric conversion."""

    index: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    stamps: list[str] = field(default_factory=list)
    linenos: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Columns:
    """Samples as columns: ``index`` of their series, ``timestamps`` (Unix ms), ``values``."""

    index: NDArray[np.int32]
    timestamps: NDArray[np.int64]
    values: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.values)


def convert(
    chunk: RawChunk,
    fmt: Format,
    counters: NDArray[np.bool_],
    series_name: Callable[[int], str],
    problems: Problems,
) -> Columns | None:
    """The chunk as columns, or None when it has problems (each added to ``problems``).

    ``counters[i]`` says whether series ``i`` counts up (its values must be finite and
    not negative); ``series_name(i)`` names it in messages.
    """
    if not chunk.values:
        return None
    values = _to_floats(chunk.values)
    raw = _to_floats(chunk.stamps)
    index = np.asarray(chunk.index, dtype=np.int32)
    if values is not None and raw is not None and _values_ok(values, counters[index]):
        stamps = _stamps_ms(raw, fmt)
        if stamps is not None:
            return Columns(index, stamps, values)
    for i, lineno in enumerate(chunk.linenos):
        sid = chunk.index[i]
        for message in (
            _value_problem(chunk.values[i], bool(counters[sid]), series_name, sid),
            _stamp_problem(chunk.stamps[i], fmt),
        ):
            if message:
                problems.add(lineno, message)
    return None


def _values_ok(values: NDArray[np.float64], counters: NDArray[np.bool_]) -> bool:
    """No infinity anywhere, and no NaN or negative value of a counter (one pass each)."""
    if np.isinf(values).any():
        return False
    if not counters.any():
        return True
    counted = values[counters] if not counters.all() else values
    # min() is NaN when any value is: the comparison is then False too.
    return not len(counted) or bool(counted.min() >= 0)


def _stamps_ms(raw: NDArray[np.float64], fmt: Format) -> NDArray[np.int64] | None:
    """Timestamps in Unix ms, or None when any is wrong for the format."""
    if not np.isfinite(raw).all():
        return None
    size = np.abs(raw)
    if fmt == "openmetrics":
        if (size >= _MAX_SECONDS).any():
            return None
        return np.rint(raw * 1000.0).astype(np.int64)
    if (np.rint(raw) != raw).any() or (size >= 2.0**53).any():
        return None
    if ((size >= _MIN_MILLISECONDS) & (size < _MAX_SECONDS)).any():
        return None
    return raw.astype(np.int64)


def _value_problem(
    text: str, counts_up: bool, series_name: Callable[[int], str], sid: int
) -> str | None:
    value = parse_float(text)
    if value is None:
        return f'invalid value "{text}" (expected a number, NaN or +Inf)'
    if math.isinf(value):
        return (
            f"{series_name(sid)} has the infinite value {text}; the store cannot sum it "
            "into any window: fix the exporter or drop the line"
        )
    if counts_up and not value >= 0:
        what = "NaN" if math.isnan(value) else f"negative ({text})"
        return (
            f"the counter {series_name(sid)} is {what}; counters count up from 0, and "
            "this value would break every window it falls in: fix the exporter or drop "
            "the line (declare '# TYPE <family> gauge' if it is not a counter)"
        )
    return None


def _stamp_problem(text: str, fmt: Format) -> str | None:
    stamp = parse_float(text)
    if stamp is None or not math.isfinite(stamp):
        return f'invalid timestamp "{text}"'
    size = abs(stamp)
    if fmt == "openmetrics":
        if size >= _MAX_SECONDS:
            return (
                f"timestamp {text} is far in the future in seconds; OpenMetrics "
                "timestamps are Unix seconds (for milliseconds use --format prometheus)"
            )
        return None
    if stamp != round(stamp) or size >= 2.0**53:
        return (
            f"timestamp {text} is not whole milliseconds; the Prometheus text format "
            "uses integer Unix ms (for seconds use --format openmetrics)"
        )
    if _MIN_MILLISECONDS <= size < _MAX_SECONDS:
        return (
            f"timestamp {text} would be in {1970 if size < 31_536e6 else 'the early 1970s'} "
            "as milliseconds: it looks like Unix seconds; the Prometheus text format uses "
            "Unix ms (use --format openmetrics for seconds, or multiply by 1000)"
        )
    return None


def parse_float(text: str) -> float | None:
    """Parse a number as Go's ParseFloat would (no ``_`` digit separators)."""
    if "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _to_floats(texts: list[str]) -> NDArray[np.float64] | None:
    """numpy's bulk conversion, or None when any text is not a number."""
    try:
        out = np.array(texts, dtype=np.float64)
    except ValueError:
        return None
    # Python's float() (which numpy uses) accepts "1_000"; Prometheus does not.
    if "_" in "".join(texts):
        return None
    return out
