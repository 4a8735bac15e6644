"""The line parser: OpenMetrics (or Prometheus text) lines in, checked columns out.

:class:`OpenMetricsParser` is fed whole lines a chunk at a time and gives back each
chunk's samples as :class:`~sloscope.telemetry.openmetrics.numbers.Columns`, so a file
of any size is parsed in bounded memory; what it keeps across chunks is the series
catalog (bounded by :class:`~sloscope.telemetry.limits.IngestLimits`) and the problems.

Speed: the label set of a series is parsed once, the first time its raw ``name{...}``
text is seen; later lines cost two ``rpartition`` calls and a dictionary lookup. Values
and timestamps are converted a chunk at a time by numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sloscope.errors import IngestError
from sloscope.telemetry.limits import IngestLimits
from sloscope.telemetry.openmetrics.labels import METRIC_NAME, parse_series, series_end
from sloscope.telemetry.openmetrics.numbers import Columns, RawChunk, convert
from sloscope.telemetry.openmetrics.problems import Problems
from sloscope.telemetry.openmetrics.series import (
    HAS_CREATED,
    METRIC_TYPES,
    Format,
    SeriesKey,
    canonical_key,
    counts_up,
    family_type,
)

_SKIP = -1


@dataclass(frozen=True)
class ParseSummary:
    """What a whole file held besides its samples: its series and a few counts."""

    series: list[SeriesKey]
    has_eof: bool
    lines: int
    created_skipped: int


class OpenMetricsParser:
    """Incremental parser: :meth:`feed` chunks of whole lines, then :meth:`finish`.

    >>> p = OpenMetricsParser("m.om")
    >>> columns = p.feed('up{job="api"} 1 1700000000\\n# EOF\\n')
    >>> summary = p.finish()
    >>> summary.series[0].key, int(columns.timestamps[0]), float(columns.values[0])
    ('up{job="api"}', 1700000000000, 1.0)
    """

    def __init__(
        self, filename: str, format: Format = "openmetrics", limits: IngestLimits | None = None
    ) -> None:
        if format not in ("openmetrics", "prometheus"):
            raise IngestError(
                f"unknown telemetry format {format!r} (use openmetrics or prometheus)"
            )
        self.filename = filename
        self.format: Format = format
        self.limits = limits or IngestLimits()
        self.problems = Problems(filename)
        self.series: list[SeriesKey] = []
        self._counts_up: list[bool] = []
        self._by_key: dict[str, int] = {}
        self._cache: dict[str, int] = {}
        self._types: dict[str, str] = {}
        self._eof_line = 0
        self.lineno = 0
        self._created_skipped = 0
        self._series_refused = 0
        #: Bytes of the file read so far (kept by the reader that feeds this parser).
        self.bytes_read = 0

    # --- lines -------------------------------------------------------------------------

    def feed(self, text: str) -> Columns | None:
        """Parse ``text`` (whole lines; the last may lack its newline); its samples, or
        None when it has none or the file has problems (then nothing will be stored).
        """
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        first = self.lineno + 1
        self.lineno += len(lines)
        chunk = RawChunk()
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
        counts = np.array(self._counts_up, dtype=bool)
        columns = convert(chunk, self.format, counts, self._series_key, self.problems)
        return None if self.problems else columns

    def skip_line(self, message: str) -> None:
        """Count a line that is not parsed (too long to hold), as a problem."""
        self.lineno += 1
        self.problems.add(self.lineno, message)

    def _series_key(self, sid: int) -> str:
        return self.series[sid].key

    def _careful_sample(self, line: str, lineno: int) -> tuple[int, str, str] | None:
        """(series index, value text, timestamp text) of a sample line, or None.

        Finds where the series ends (the first "} ", or the first space without braces),
        parses the series if its text is new, and splits what follows.
        """
        end = series_end(line)
        sid = self._cache.get(line[:end])
        if sid is None:
            parsed = self._new_series(line, lineno)
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
                self.problems.add(
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
            len(words) < 2 or not METRIC_NAME.fullmatch(words[1])
        ):
            self.problems.add(lineno, f"a {words[0]} line is '# {words[0]} <metric> <text>'")

    def _type_line(self, words: list[str], lineno: int) -> None:
        """``# TYPE <metric> <type>``: remember the family's type."""
        if len(words) < 3 or not METRIC_NAME.fullmatch(words[1]):
            self.problems.add(lineno, "a TYPE line is '# TYPE <metric> <type>'")
            return
        kind = words[2].strip()
        if kind not in METRIC_TYPES:
            self.problems.add(
                lineno,
                f"unknown metric type {kind!r} (use one of {', '.join(sorted(METRIC_TYPES))})",
            )
            return
        self._types[words[1]] = "unknown" if kind == "untyped" else kind

    def _sample_tail_problem(self, parts: list[str], lineno: int) -> None:
        if not parts:
            self.problems.add(lineno, "missing value and timestamp after the series")
        elif len(parts) == 1 or parts[1] == "#":
            self.problems.add(
                lineno,
                f"sample without a timestamp (value {parts[0]!r}); the embedded store keeps "
                "history, so every sample needs one: write 'name{labels} value timestamp' "
                + ("with Unix seconds" if self.format == "openmetrics" else "with Unix ms"),
            )
        else:
            self.problems.add(
                lineno,
                f"unexpected {' '.join(parts[2:])!r} after the timestamp "
                "(only an exemplar '# {...} value' may follow)",
            )

    # --- series ------------------------------------------------------------------------

    def _new_series(self, line: str, lineno: int) -> tuple[int, int] | None:
        """Parse the series at the start of ``line``; (series index, end) or None."""
        parsed = parse_series(line, self.limits)
        if isinstance(parsed, str):
            self.problems.add(lineno, parsed)
            return None
        kept = tuple(sorted((k, v) for k, v in parsed.labels.items() if v != ""))
        sid = self._series_id(parsed.name, kept, lineno)
        if sid is None:
            return None
        self._cache[line[: parsed.end]] = sid
        return sid, parsed.end

    def _series_id(self, name: str, labels: tuple[tuple[str, str], ...], lineno: int) -> int | None:
        kind = family_type(self._types, name)
        if name.endswith("_created") and kind in HAS_CREATED:
            return _SKIP
        key = canonical_key(name, labels)
        sid = self._by_key.get(key)
        if sid is None:
            if len(self.series) >= self.limits.max_series_per_ingest:
                self._series_refused += 1
                if self._series_refused == 1:
                    self.problems.add(
                        lineno,
                        f"{key} is one series more than one ingest may bring: "
                        + self.limits.over("max_series_per_ingest")
                        + "; or split the file",
                    )
                return None
            sid = len(self.series)
            self.series.append(SeriesKey(name=name, labels=labels, type=kind))
            self._counts_up.append(counts_up(name, kind))
            self._by_key[key] = sid
        return sid

    # --- end ---------------------------------------------------------------------------

    def finish(self) -> ParseSummary:
        """What the file held; raises :class:`IngestError` listing the problems."""
        self.problems.raise_any()
        return ParseSummary(
            series=self.series,
            has_eof=bool(self._eof_line),
            lines=self.lineno,
            created_skipped=self._created_skipped,
        )
