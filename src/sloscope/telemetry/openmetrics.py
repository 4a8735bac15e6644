"""A fast parser of OpenMetrics (and Prometheus text) exposition with timestamps.

It reads what ``promtool tsdb create-blocks-from openmetrics`` reads, and turns it into
columns: a list of series (metric name, labels, type) and three numpy arrays (series
index, timestamp in milliseconds, value).

Format decisions (consistent with promtool where it is reasonable):

- ``format="openmetrics"``: timestamps are Unix **seconds**, possibly fractional; they are
  rounded to the nearest millisecond (promtool truncates ``ts * 1000``, which can lose a
  millisecond to float rounding). ``format="prometheus"``: the Prometheus text format, with
  timestamps in integer **milliseconds**.
- Every sample needs a timestamp: the embedded store keeps history, and a sample without
  one has no place in it.
- ``# EOF`` ends an OpenMetrics file and nothing may follow it. promtool refuses a file
  without it; we accept that (a file on disk has a known end, and the Prometheus text
  format has no ``# EOF``) but report it, because a missing ``# EOF`` can mean a truncated
  file: :attr:`ParsedSamples.has_eof` is False and ingest adds a warning.
- ``# TYPE``, ``# HELP`` and ``# UNIT`` are read (the type is kept per series); other
  comments and blank lines are skipped, as the Prometheus text format allows.
- ``_created`` samples of counters, histograms and summaries are creation timestamps, not
  counts, and are skipped (counted in :attr:`ParsedSamples.created_skipped`).
- Exemplars (``# {trace_id="..."} 0.5 1700000000.1`` after a sample) are ignored.
- Label values may escape ``\\\\``, ``\\"`` and ``\\n``; any other escape is an error. A
  label with an empty value is the same as no label (as in Prometheus), so it is dropped.
- Label order does not matter: ``a{x="1",y="2"}`` and ``a{y="2",x="1"}`` are one series.

Speed: the label set of a series is parsed once, the first time its raw ``name{...}`` text
is seen; later lines cost two ``rpartition`` calls and a dictionary lookup. Values and
timestamps are converted to numbers a chunk at a time by numpy. A file with problems is
parsed to the end (up to :data:`MAX_PROBLEMS` problems) so the user sees several at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

import numpy as np
from numpy.typing import NDArray

from sloscope.errors import IngestError

Format = Literal["openmetrics", "prometheus"]
#: The formats this parser reads.
FORMATS: tuple[str, ...] = ("openmetrics", "prometheus")

#: Stop collecting problems after this many; the error then says there were more.
MAX_PROBLEMS = 20

#: Bytes read and parsed at a time (the progress callback is called once per chunk).
CHUNK_BYTES = 4 << 20

#: Metric types of ``# TYPE`` lines (``untyped`` is the Prometheus text format's word).
METRIC_TYPES = frozenset(
    {
        "counter",
        "gauge",
        "histogram",
        "gaugehistogram",
        "summary",
        "info",
        "stateset",
        "unknown",
        "untyped",
    }
)

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum", "_info")
_HAS_CREATED = frozenset({"counter", "histogram", "gaugehistogram", "summary"})
#: Timestamps past this many seconds (year 5138) are almost surely milliseconds.
_MAX_SECONDS = 1e11
_SKIP = -1


@dataclass(frozen=True)
class SeriesKey:
    """One series: metric name, labels sorted by name (no empty values), and its type."""

    name: str
    labels: tuple[tuple[str, str], ...]
    type: str = "unknown"

    @property
    def key(self) -> str:
        """Canonical text ``name{a="1",b="2"}`` (sorted labels, escaped values)."""
        return canonical_key(self.name, self.labels)

    def label(self, name: str) -> str:
        """The value of a label, ``""`` when absent (as in Prometheus)."""
        return dict(self.labels).get(name, "")


def canonical_key(name: str, labels: Iterable[tuple[str, str]]) -> str:
    """The one text that names a series: labels sorted by name, values escaped."""
    parts = [f'{k}="{_escape(v)}"' for k, v in sorted(labels)]
    return name + "{" + ",".join(parts) + "}" if parts else name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class ParsedSamples:
    """The samples of one file as columns.

    ``series_index[i]`` indexes :attr:`series`; ``timestamps`` are Unix milliseconds.
    """

    series: list[SeriesKey]
    series_index: NDArray[np.int32]
    timestamps: NDArray[np.int64]
    values: NDArray[np.float64]
    has_eof: bool = False
    lines: int = 0
    created_skipped: int = 0
    bytes_read: int = 0

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class _Chunk:
    """Raw per-chunk columns before numeric conversion."""

    index: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    stamps: list[str] = field(default_factory=list)
    linenos: list[int] = field(default_factory=list)


class OpenMetricsParser:
    """Incremental parser: :meth:`feed` chunks of whole lines, then :meth:`finish`.

    >>> p = OpenMetricsParser("m.om")
    >>> p.feed('up{job="api"} 1 1700000000\\n# EOF\\n')
    >>> parsed = p.finish()
    >>> parsed.series[0].key, int(parsed.timestamps[0]), float(parsed.values[0])
    ('up{job="api"}', 1700000000000, 1.0)
    """

    def __init__(self, filename: str, format: Format = "openmetrics") -> None:
        if format not in ("openmetrics", "prometheus"):
            raise IngestError(
                f"unknown telemetry format {format!r} (use openmetrics or prometheus)"
            )
        self.filename = filename
        self.format: Format = format
        self.problems: list[tuple[int, str]] = []
        self.more_problems = 0
        self.series: list[SeriesKey] = []
        self._by_key: dict[str, int] = {}
        self._cache: dict[str, int] = {}
        self._types: dict[str, str] = {}
        self._eof_line = 0
        self._lineno = 0
        self._created_skipped = 0
        self._index: list[NDArray[np.int32]] = []
        self._stamps: list[NDArray[np.int64]] = []
        self._values: list[NDArray[np.float64]] = []

    # --- problems ----------------------------------------------------------------------

    def _problem(self, lineno: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((lineno, message))
        else:
            self.more_problems += 1

    # --- lines -------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Parse ``text``: whole lines (the last one may lack its newline)."""
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        first = self._lineno + 1
        self._lineno += len(lines)
        chunk = _Chunk()
        index = chunk.index.append
        values = chunk.values.append
        stamps = chunk.stamps.append
        linenos = chunk.linenos.append
        cache = self._cache
        eof = self._eof_line
        for lineno, line in enumerate(lines, first):
            if not line or line[0] == "#" or eof:
                self._other_line(line, lineno)
                eof = self._eof_line
                continue
            # Fast path: "<series> <value> <timestamp>" split at the last two spaces.
            # Only a text already validated as a whole series is in the cache, so a hit
            # means the line is exactly that: anything else (exemplars, spaces in label
            # values, a missing timestamp) misses and takes the careful path.
            head, _, stamp = line.rpartition(" ")
            raw, _, value = head.rpartition(" ")
            sid = cache.get(raw)
            if sid is None:
                careful = self._careful_sample(line, lineno)
                if careful is None:
                    continue
                sid, value, stamp = careful
            if sid == _SKIP:
                self._created_skipped += 1
                continue
            index(sid)
            values(value)
            stamps(stamp)
            linenos(lineno)
        self._convert(chunk)

    def _careful_sample(self, line: str, lineno: int) -> tuple[int, str, str] | None:
        """(series index, value text, timestamp text) of a sample line, or None.

        Finds where the series ends (the first "} ", or the first space without braces),
        parses the series if its text is new, and splits what follows.
        """
        end = _series_end(line)
        sid = self._cache.get(line[:end])
        if sid is None:
            parsed = self._parse_series(line, lineno)
            if parsed is None:
                return None
            sid, end = parsed
        parts = line[end:].split()
        if len(parts) == 2 or (len(parts) > 2 and parts[2] == "#"):
            return sid, parts[0], parts[1]
        self._sample_tail_problem(parts, lineno)
        return None

    def _other_line(self, line: str, lineno: int) -> None:
        """Comments, blank lines and anything after ``# EOF``."""
        if self._eof_line:
            if line.strip():
                self._problem(
                    lineno,
                    f"content after '# EOF' (line {self._eof_line}); the file must end there",
                )
            return
        if not line or not line.startswith("# "):
            return
        rest = line[2:].rstrip("\r")
        if rest == "EOF":
            self._eof_line = lineno
            return
        words = rest.split(" ", 2)
        if words[0] == "TYPE":
            self._type_line(words, lineno)
        elif words[0] in ("HELP", "UNIT") and (
            len(words) < 2 or not _METRIC_NAME.fullmatch(words[1])
        ):
            self._problem(lineno, f"a {words[0]} line is '# {words[0]} <metric> <text>'")

    def _type_line(self, words: list[str], lineno: int) -> None:
        """``# TYPE <metric> <type>``: remember the family's type."""
        if len(words) < 3 or not _METRIC_NAME.fullmatch(words[1]):
            self._problem(lineno, "a TYPE line is '# TYPE <metric> <type>'")
            return
        kind = words[2].strip()
        if kind not in METRIC_TYPES:
            self._problem(
                lineno,
                f"unknown metric type {kind!r} (use one of {', '.join(sorted(METRIC_TYPES))})",
            )
            return
        self._types[words[1]] = "unknown" if kind == "untyped" else kind

    def _sample_tail_problem(self, parts: list[str], lineno: int) -> None:
        if not parts:
            self._problem(lineno, "missing value and timestamp after the series")
        elif len(parts) == 1 or parts[1] == "#":
            self._problem(
                lineno,
                f"sample without a timestamp (value {parts[0]!r}); the embedded store keeps "
                "history, so every sample needs one: write 'name{labels} value timestamp' "
                + ("with Unix seconds" if self.format == "openmetrics" else "with Unix ms"),
            )
        else:
            self._problem(
                lineno,
                f"unexpected {' '.join(parts[2:])!r} after the timestamp "
                "(only an exemplar '# {...} value' may follow)",
            )

    # --- series ------------------------------------------------------------------------

    def _parse_series(self, line: str, lineno: int) -> tuple[int, int] | None:
        """Parse the series at the start of ``line``; (series index, end) or None."""
        match = _METRIC_NAME.match(line)
        if not match:
            self._problem(lineno, f"invalid metric name at {line[:40]!r}")
            return None
        name = match.group(0)
        pos = match.end()
        labels: dict[str, str] = {}
        if pos < len(line) and line[pos] == "{":
            result = self._parse_labels(line, pos + 1, lineno)
            if result is None:
                return None
            labels, pos = result
        if pos < len(line) and line[pos] not in " \t":
            self._problem(lineno, f"unexpected {line[pos]!r} after the series {line[:pos]!r}")
            return None
        raw = line[:pos]
        kept = tuple(sorted((k, v) for k, v in labels.items() if v != ""))
        sid = self._series_id(name, kept)
        self._cache[raw] = sid
        return sid, pos

    def _parse_labels(self, line: str, pos: int, lineno: int) -> tuple[dict[str, str], int] | None:
        """The labels from ``pos`` (after the ``{``) to the ``}``, and the position after it."""
        labels: dict[str, str] = {}
        while True:
            pos = _skip_blanks(line, pos)
            if line.startswith("}", pos):
                return labels, pos + 1
            pair = self._parse_label(line, pos, lineno)
            if pair is None:
                return None
            label, value, pos = pair
            if label in labels:
                self._problem(lineno, f"label {label!r} appears twice")
                return None
            labels[label] = value
            after = self._after_value(line, pos, lineno)
            if after is None:
                return None
            pos = after

    def _parse_label(self, line: str, pos: int, lineno: int) -> tuple[str, str, int] | None:
        """``name="value"`` at ``pos``: (name, value, position after the closing quote)."""
        match = _LABEL_NAME.match(line, pos)
        if not match:
            found = repr(line[pos]) if pos < len(line) else "end of line"
            self._problem(lineno, f"expected a label name or '}}', found {found}")
            return None
        label = match.group(0)
        pos = match.end()
        if not line.startswith('="', pos):
            self._problem(lineno, f'expected ="value" after label {label!r}')
            return None
        value = self._label_value(line, pos + 2, label, lineno)
        if value is None:
            return None
        return label, value[0], value[1]

    def _label_value(self, line: str, pos: int, label: str, lineno: int) -> tuple[str, int] | None:
        """The unescaped value from ``pos`` (after its opening quote), and the position
        after its closing quote.
        """
        out: list[str] = []
        while True:
            quote = line.find('"', pos)
            slash = line.find("\\", pos)
            if quote == -1:
                self._problem(lineno, f"unterminated value of label {label!r}")
                return None
            if slash == -1 or quote < slash:
                out.append(line[pos:quote])
                return "".join(out), quote + 1
            out.append(line[pos:slash])
            escaped = _ESCAPES.get(line[slash + 1 : slash + 2])
            if escaped is None:
                self._problem(
                    lineno,
                    f'invalid escape "{line[slash : slash + 2]}" in the value of label '
                    f'{label!r} (only \\\\, \\" and \\n may be escaped)',
                )
                return None
            out.append(escaped)
            pos = slash + 2

    def _after_value(self, line: str, pos: int, lineno: int) -> int | None:
        """Where the next label starts (after a ``,``), or the ``}``'s position."""
        pos = _skip_blanks(line, pos)
        if line.startswith(",", pos):
            return pos + 1
        if line.startswith("}", pos):
            return pos
        found = repr(line[pos]) if pos < len(line) else "end of line"
        self._problem(lineno, f"expected ',' or '}}' after a label value, found {found}")
        return None

    def _series_id(self, name: str, labels: tuple[tuple[str, str], ...]) -> int:
        kind = self._family_type(name)
        if name.endswith("_created") and kind in _HAS_CREATED:
            return _SKIP
        key = canonical_key(name, labels)
        sid = self._by_key.get(key)
        if sid is None:
            sid = len(self.series)
            self.series.append(SeriesKey(name=name, labels=labels, type=kind))
            self._by_key[key] = sid
        return sid

    def _family_type(self, name: str) -> str:
        kind = self._types.get(name)
        if kind is not None:
            return kind
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                kind = self._types.get(name[: -len(suffix)])
                if kind is not None:
                    return kind
        return "unknown"

    # --- numbers -----------------------------------------------------------------------

    def _convert(self, chunk: _Chunk) -> None:
        """Turn a chunk's value and timestamp texts into arrays, checking them."""
        if not chunk.values:
            return
        values = _to_floats(chunk.values)
        raw_stamps = _to_floats(chunk.stamps)
        if values is None or raw_stamps is None:
            self._convert_slowly(chunk)
            return
        stamps = self._stamps_ms(raw_stamps)
        if stamps is None:
            self._convert_slowly(chunk)
            return
        self._index.append(np.asarray(chunk.index, dtype=np.int32))
        self._values.append(values)
        self._stamps.append(stamps)

    def _stamps_ms(self, raw: NDArray[np.float64]) -> NDArray[np.int64] | None:
        if not np.isfinite(raw).all():
            return None
        if self.format == "openmetrics":
            if (np.abs(raw) >= _MAX_SECONDS).any():
                return None
            return np.rint(raw * 1000.0).astype(np.int64)
        if (np.rint(raw) != raw).any() or (np.abs(raw) >= 2.0**53).any():
            return None
        return raw.astype(np.int64)

    def _convert_slowly(self, chunk: _Chunk) -> None:
        """Find, line by line, the values and timestamps that do not convert."""
        for lineno, value, stamp in zip(chunk.linenos, chunk.values, chunk.stamps, strict=True):
            if _float(value) is None:
                self._problem(lineno, f'invalid value "{value}" (expected a number, NaN or +Inf)')
            seconds = _float(stamp)
            if seconds is None or not math.isfinite(seconds):
                self._problem(lineno, f'invalid timestamp "{stamp}"')
            elif self.format == "openmetrics" and abs(seconds) >= _MAX_SECONDS:
                self._problem(
                    lineno,
                    f"timestamp {stamp} is far in the future in seconds; OpenMetrics "
                    "timestamps are Unix seconds (for milliseconds use --format prometheus)",
                )
            elif self.format == "prometheus" and (
                seconds != round(seconds) or abs(seconds) >= 2.0**53
            ):
                self._problem(
                    lineno,
                    f"timestamp {stamp} is not whole milliseconds; the Prometheus text format "
                    "uses integer Unix ms (for seconds use --format openmetrics)",
                )

    # --- end ---------------------------------------------------------------------------

    def finish(self) -> ParsedSamples:
        """Columns of every sample; raises :class:`IngestError` listing the problems."""
        if self.problems:
            lines = "\n  ".join(f"{self.filename}:{n}: {m}" for n, m in sorted(self.problems))
            more = f"\n  ... and {self.more_problems} more" if self.more_problems else ""
            count = len(self.problems) + self.more_problems
            raise IngestError(
                f"{count} problem(s) in {self.filename}; nothing was stored:\n  {lines}{more}"
            )
        return ParsedSamples(
            series=self.series,
            series_index=np.concatenate([np.zeros(0, np.int32), *self._index]),
            timestamps=np.concatenate([np.zeros(0, np.int64), *self._stamps]),
            values=np.concatenate([np.zeros(0, np.float64), *self._values]),
            has_eof=bool(self._eof_line),
            lines=self._lineno,
            created_skipped=self._created_skipped,
        )


def _series_end(line: str) -> int:
    """Where the series of a sample line ends: after the first "} ", or at the first
    space without braces (the end of the line when neither is found).
    """
    brace = line.find("{")
    space = line.find(" ")
    if brace != -1 and (space == -1 or brace < space):
        end = line.find("} ", brace) + 1
        return end if end else len(line)
    return len(line) if space == -1 else space


def _skip_blanks(line: str, pos: int) -> int:
    """The first position from ``pos`` that is not a space or a tab."""
    size = len(line)
    while pos < size and line[pos] in " \t":
        pos += 1
    return pos


def _float(text: str) -> float | None:
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


def parse_stream(
    stream: BinaryIO,
    filename: str,
    format: Format = "openmetrics",
    total_bytes: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ParsedSamples:
    """Parse a binary stream chunk by chunk, calling ``progress(done, total)`` per chunk."""
    parser = OpenMetricsParser(filename, format)
    done = 0
    rest = b""
    while True:
        block = stream.read(CHUNK_BYTES)
        if not block:
            break
        done += len(block)
        data = rest + block
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            parser.feed(_decode(data[:cut], parser))
        if progress is not None:
            progress(done, total_bytes)
    if rest:
        parser.feed(_decode(rest, parser))
    parsed = parser.finish()
    parsed.bytes_read = done
    return parsed


def _decode(data: bytes, parser: OpenMetricsParser) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = parser._lineno + data.count(b"\n", 0, exc.start) + 1
        parser._problem(lineno, f"invalid UTF-8 ({exc.reason}); the file must be UTF-8 text")
        # Keep going with replacement characters so later problems are reported too.
        return data.decode("utf-8", errors="replace")


def parse_text(
    text: str, filename: str = "<text>", format: Format = "openmetrics"
) -> ParsedSamples:
    """Parse exposition text held in memory (handy in tests and for small inputs)."""
    parser = OpenMetricsParser(filename, format)
    parser.feed(text)
    return parser.finish()
