"""Reading a byte stream as chunks of whole lines, parsed one chunk at a time.

:func:`read_columns` is what ingest uses: it yields each chunk's samples, so memory
stays bounded whatever the file size (a line longer than the limits allow is refused
without being held). :func:`parse_stream` and :func:`parse_text` collect every sample
into one :class:`ParsedSamples`, for small inputs and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from sloscope.telemetry.limits import IngestLimits
from sloscope.telemetry.openmetrics.lines import OpenMetricsParser
from sloscope.telemetry.openmetrics.numbers import Columns
from sloscope.telemetry.openmetrics.series import Format, SeriesKey

#: Bytes read and parsed at a time (the progress callback is called once per chunk).
CHUNK_BYTES = 4 << 20

Progress = Callable[[int, int], None]


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


def read_columns(
    stream: BinaryIO,
    parser: OpenMetricsParser,
    total_bytes: int = 0,
    progress: Progress | None = None,
) -> Iterator[Columns]:
    """The samples of ``stream``, a chunk at a time; ``progress(done, total)`` per chunk.

    Problems are collected in ``parser`` (call its ``finish`` after the last chunk);
    once there is one, nothing more is yielded.
    """
    done = 0
    rest = b""
    longest = parser.limits.max_line_bytes
    skipping = False
    while True:
        block = stream.read(CHUNK_BYTES)
        if not block:
            break
        done += len(block)
        parser.bytes_read = done
        data = rest + block
        if skipping:
            # The rest of a line too long to hold: drop it up to its end.
            newline = data.find(b"\n")
            skipping = newline == -1
            data = b"" if skipping else data[newline + 1 :]
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if len(rest) > longest:
            yield from _feed(parser, data[:cut])
            parser.skip_line(_too_long(longest))
            rest, skipping = b"", True
        elif cut:
            yield from _feed(parser, data[:cut])
        if progress is not None:
            progress(done, total_bytes)
    if rest:
        yield from _feed(parser, rest)


def _too_long(longest: int) -> str:
    return (
        f"line longer than {longest:,} bytes, more than a series within the limits can "
        "take (ingest.max_label_value_bytes and ingest.max_labels_per_series in "
        "sloscope.yaml); it was not read"
    )


def _feed(parser: OpenMetricsParser, data: bytes) -> Iterator[Columns]:
    if not data:
        return
    columns = parser.feed(_decode(data, parser))
    if columns is not None:
        yield columns


def _decode(data: bytes, parser: OpenMetricsParser) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = parser.lineno + data.count(b"\n", 0, exc.start) + 1
        parser.problems.add(lineno, f"invalid UTF-8 ({exc.reason}); the file must be UTF-8 text")
        # Keep going with replacement characters so later problems are reported too.
        return data.decode("utf-8", errors="replace")


def parse_stream(
    stream: BinaryIO,
    filename: str,
    format: Format = "openmetrics",
    *,
    total_bytes: int = 0,
    progress: Progress | None = None,
    limits: IngestLimits | None = None,
) -> ParsedSamples:
    """Parse a binary stream whole, calling ``progress(done, total)`` per chunk."""
    parser = OpenMetricsParser(filename, format, limits)
    chunks = list(read_columns(stream, parser, total_bytes, progress))
    parsed = _collect(parser, chunks)
    parsed.bytes_read = parser.bytes_read
    return parsed


def parse_text(
    text: str, filename: str = "<text>", format: Format = "openmetrics"
) -> ParsedSamples:
    """Parse exposition text held in memory (handy in tests and for small inputs)."""
    parser = OpenMetricsParser(filename, format)
    columns = parser.feed(text)
    return _collect(parser, [columns] if columns is not None else [])


def _collect(parser: OpenMetricsParser, chunks: list[Columns]) -> ParsedSamples:
    summary = parser.finish()
    return ParsedSamples(
        series=summary.series,
        series_index=np.concatenate([np.zeros(0, np.int32), *(c.index for c in chunks)]),
        timestamps=np.concatenate([np.zeros(0, np.int64), *(c.timestamps for c in chunks)]),
        values=np.concatenate([np.zeros(0, np.float64), *(c.values for c in chunks)]),
        has_eof=summary.has_eof,
        lines=summary.lines,
        created_skipped=summary.created_skipped,
    )
