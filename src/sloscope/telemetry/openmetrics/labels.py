"""The series at the start of a sample line: ``name{label="value",...}``.

Plain functions: each returns what it read, or a message saying what is wrong (the
parser adds the line number). Label values may escape ``\\\\``, ``\\"`` and ``\\n``; any
other escape is an error. The sizes of a series are bounded by
:class:`~sloscope.telemetry.limits.IngestLimits`, so that a hostile file cannot make the
series catalog grow without bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sloscope.telemetry.limits import IngestLimits

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


@dataclass(frozen=True)
class ParsedSeries:
    """A series read from a line: its name, labels, and where its text ends."""

    name: str
    labels: dict[str, str]
    end: int


def parse_series(line: str, limits: IngestLimits) -> ParsedSeries | str:
    """The series at the start of ``line``, or what is wrong with it."""
    match = METRIC_NAME.match(line)
    if not match:
        return f"invalid metric name at {line[:40]!r}"
    name = match.group(0)
    pos = match.end()
    labels: dict[str, str] = {}
    if pos < len(line) and line[pos] == "{":
        result = _parse_labels(line, pos + 1, limits)
        if isinstance(result, str):
            return result
        labels, pos = result
    if pos < len(line) and line[pos] not in " \t":
        return f"unexpected {line[pos]!r} after the series {line[:pos]!r}"
    return ParsedSeries(name, labels, pos)


def _parse_labels(line: str, pos: int, limits: IngestLimits) -> tuple[dict[str, str], int] | str:
    """The labels from ``pos`` (after the ``{``) to the ``}``, and the position after it."""
    labels: dict[str, str] = {}
    while True:
        pos = skip_blanks(line, pos)
        if line.startswith("}", pos):
            return labels, pos + 1
        pair = _parse_label(line, pos, limits)
        if isinstance(pair, str):
            return pair
        label, value, pos = pair
        if label in labels:
            return f"label {label!r} appears twice"
        labels[label] = value
        if len(labels) > limits.max_labels_per_series:
            return f"more labels than one series may have: {limits.over('max_labels_per_series')}"
        after = _after_value(line, pos)
        if isinstance(after, str):
            return after
        pos = after


def _parse_label(line: str, pos: int, limits: IngestLimits) -> tuple[str, str, int] | str:
    """``name="value"`` at ``pos``: (name, value, position after the closing quote)."""
    match = _LABEL_NAME.match(line, pos)
    if not match:
        found = repr(line[pos]) if pos < len(line) else "end of line"
        return f"expected a label name or '}}', found {found}"
    label = match.group(0)
    pos = match.end()
    if not line.startswith('="', pos):
        return f'expected ="value" after label {label!r}'
    value = _label_value(line, pos + 2, label)
    if isinstance(value, str):
        return value
    text, end = value
    limit = limits.max_label_value_bytes
    if len(text) > limit // 4 and len(text.encode("utf-8")) > limit:
        size = len(text.encode("utf-8"))
        return f"the value of label {label!r} is {size:,} bytes, " + limits.over(
            "max_label_value_bytes"
        )
    return label, text, end


def _label_value(line: str, pos: int, label: str) -> tuple[str, int] | str:
    """The unescaped value from ``pos`` (after its opening quote), and the position
    after its closing quote.
    """
    out: list[str] = []
    while True:
        quote = line.find('"', pos)
        slash = line.find("\\", pos)
        if quote == -1:
            return f"unterminated value of label {label!r}"
        if slash == -1 or quote < slash:
            out.append(line[pos:quote])
            return "".join(out), quote + 1
        out.append(line[pos:slash])
        escaped = _ESCAPES.get(line[slash + 1 : slash + 2])
        if escaped is None:
            return (
                f'invalid escape "{line[slash : slash + 2]}" in the value of label '
                f'{label!r} (only \\\\, \\" and \\n may be escaped)'
            )
        out.append(escaped)
        pos = slash + 2


def _after_value(line: str, pos: int) -> int | str:
    """Where the next label starts (after a ``,``), or the ``}``'s position."""
    pos = skip_blanks(line, pos)
    if line.startswith(",", pos):
        return pos + 1
    if line.startswith("}", pos):
        return pos
    found = repr(line[pos]) if pos < len(line) else "end of line"
    return f"expected ',' or '}}' after a label value, found {found}"


def series_end(line: str) -> int:
    """Where the series of a sample line ends: after the first "} ", or at the first
    space without braces (the end of the line when neither is found).
    """
    brace = line.find("{")
    space = line.find(" ")
    if brace != -1 and (space == -1 or brace < space):
        end = line.find("} ", brace) + 1
        return end if end else len(line)
    return len(line) if space == -1 else space


def skip_blanks(line: str, pos: int) -> int:
    """The first position from ``pos`` that is not a space or a tab."""
    size = len(line)
    while pos < size and line[pos] in " \t":
        pos += 1
    return pos
