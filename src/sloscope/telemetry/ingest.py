"""Load a telemetry file into the embedded store: parse it all, then write it at once.

The file is parsed a chunk at a time into a :class:`~sloscope.telemetry.spool.Spool` on
disk, so memory stays bounded whatever its size; only when every line has parsed clean
is the store opened for writing and every sample added in one transaction. So a file
with a bad line stores nothing (the error lists up to 20 problems with their line
numbers), and the store's write lock, which readers wait for, is held only while the
samples are written, never while the file is read.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from sloscope.errors import IngestError
from sloscope.telemetry.limits import IngestLimits
from sloscope.telemetry.openmetrics.lines import OpenMetricsParser
from sloscope.telemetry.openmetrics.series import FORMATS, Format, SeriesKey
from sloscope.telemetry.openmetrics.stream import read_columns
from sloscope.telemetry.spool import Spool
from sloscope.telemetry.store import AddResult, TelemetryStore, check_store_path

Progress = Callable[[int, int], None]

#: DuckDB's memory while an ingest writes (its block cache; the batches are on top).
WRITE_MEMORY_MB = 96


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did.

    ``samples_read`` counts the samples parsed (``_created`` samples are skipped and not
    counted). Of those, ``new_samples`` were stored, ``duplicates`` were already stored
    with the same value, and ``conflicts`` were at a (series, time) already stored with a
    *different* value: the stored value was kept (a conflict usually means two sources
    wrote the same series). ``nan_skipped`` samples were NaN (staleness markers): they
    count nothing and are not stored. ``series`` is how many series the file had and
    ``new_series`` how many of them the store did not know. ``time_range`` is the first
    and last timestamp of the file (Unix ms), None for an empty file.
    """

    source: str
    samples_read: int
    new_samples: int
    duplicates: int
    conflicts: int
    series: int
    new_series: int
    time_range: tuple[int, int] | None
    nan_skipped: int = 0
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (``time_range`` as two Unix-ms numbers, or null)."""
        return {
            "source": self.source,
            "samples_read": self.samples_read,
            "new_samples": self.new_samples,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "series": self.series,
            "new_series": self.new_series,
            "time_range": list(self.time_range) if self.time_range else None,
            "nan_skipped": self.nan_skipped,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A line for the CLI (and one more per warning)."""
        text = (
            f"{self.source}: {self.samples_read} samples of {self.series} series read, "
            f"{self.new_samples} stored, {self.duplicates} already stored"
        )
        if self.new_series:
            text += f", {self.new_series} new series"
        if self.conflicts:
            text += (
                f"; {self.conflicts} conflicted with stored samples of a different value "
                "(the stored values were kept)"
            )
        return "\n".join([text, *(f"warning: {w}" for w in self.warnings)])


def ingest_file(
    store: TelemetryStore | str | os.PathLike[str],
    path_or_stream: str | os.PathLike[str] | IO[bytes] | IO[str],
    format: Format | str = "openmetrics",
    progress: Progress | None = None,
    limits: IngestLimits | None = None,
) -> IngestResult:
    """Parse an OpenMetrics (or Prometheus text) file and add its samples to ``store``.

    ``store`` is the store's path (opened for writing only once the file has parsed, so
    readers wait only for the write) or an open :class:`TelemetryStore`. ``format`` is
    ``openmetrics`` (timestamps in seconds) or ``prometheus`` (the text format,
    timestamps in milliseconds). ``path_or_stream`` is a path, ``"-"`` for standard
    input, or an open binary or text stream. ``progress(bytes_done, bytes_total)`` is
    called as the file is read (total is 0 when unknown, as for a pipe) and once more,
    with done == total, when the samples are stored. ``limits`` bound label sizes and
    series counts (:class:`~sloscope.telemetry.limits.IngestLimits`).

    Raises :class:`~sloscope.errors.IngestError` naming the file, line and problem; the
    store is then unchanged.
    """
    if format not in FORMATS:
        raise IngestError(f"unknown telemetry format {format!r}; use one of {', '.join(FORMATS)}")
    fmt = cast(Format, format)
    path = store.path if isinstance(store, TelemetryStore) else Path(store)
    check_store_path(path)  # before reading a file that could not be stored anyway
    stream, name, total, owned = _open(path_or_stream)
    parser = OpenMetricsParser(name, fmt, limits)
    try:
        with contextlib.closing(Spool(path.parent)) as spool:
            for columns in read_columns(stream, parser, total, progress):
                spool.append(columns)
            summary = parser.finish()
            added = _write(store, summary.series, spool)
            span = (spool.first, spool.last) if spool.samples else None
            samples = spool.samples
    finally:
        if owned:
            stream.close()
    warnings: list[str] = []
    if format == "openmetrics" and not summary.has_eof and summary.lines:
        warnings.append(
            f"{name}: no '# EOF' at the end; OpenMetrics files end with it, so the file may "
            "be truncated (all of it was loaded)"
        )
    if added.nan_skipped:
        warnings.append(
            f"{name}: {added.nan_skipped} NaN sample(s) of gauges were skipped; they count nothing"
        )
    if progress is not None:
        # Done: for a stream of unknown size the total is what was read.
        progress(parser.bytes_read, total or parser.bytes_read)
    return IngestResult(
        source=name,
        samples_read=samples,
        new_samples=added.new_samples,
        duplicates=added.duplicates,
        conflicts=added.conflicts,
        series=added.series,
        new_series=added.new_series,
        time_range=span,
        nan_skipped=added.nan_skipped,
        warnings=tuple(warnings),
    )


def _write(
    store: TelemetryStore | str | os.PathLike[str], series: list[SeriesKey], spool: Spool
) -> AddResult:
    """Add the spooled samples; the store is opened (and locked) only now, when given
    as a path, and checked whole first: writing into a damaged store would hide it.
    """
    if not spool.samples:
        return AddResult(0, 0, 0, 0, 0)
    if isinstance(store, TelemetryStore):
        return _add(store, series, spool)
    with TelemetryStore(Path(store), memory_limit_mb=WRITE_MEMORY_MB) as opened:
        return _add(opened, series, spool)


def _add(store: TelemetryStore, series: list[SeriesKey], spool: Spool) -> AddResult:
    store.verify()
    try:
        return store.add(series, spool.batches())
    except IngestError:
        # On a full disk the spool beside the store may be what leaves no room to give
        # the failed write's blocks back: delete it first, then reclaim them.
        spool.close()
        store.reclaim()
        raise


def _open(source: Any) -> tuple[BinaryIO, str, int, bool]:
    """(binary stream, name for messages, size in bytes or 0, whether we close it)."""
    if isinstance(source, str | os.PathLike):
        text = os.fspath(source)
        if text == "-":
            return sys.stdin.buffer, "<stdin>", 0, False
        path = Path(text)
        try:
            return path.open("rb"), str(path), path.stat().st_size, True
        except FileNotFoundError:
            raise IngestError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise IngestError(f"{path}: is a directory, not a telemetry file") from None
        except OSError as exc:
            raise IngestError(f"{path}: cannot read it ({exc.strerror})") from None
    name = str(getattr(source, "name", "<stream>"))
    if isinstance(source, io.TextIOBase):
        buffer = getattr(source, "buffer", None)
        if buffer is not None:
            return cast(BinaryIO, buffer), name, 0, False
        return cast(BinaryIO, _TextAsBinary(source)), name, 0, False
    return cast(BinaryIO, source), name, 0, False


class _TextAsBinary(io.RawIOBase):
    """Read a text stream without a binary buffer (e.g. io.StringIO) as UTF-8 bytes."""

    def __init__(self, text: io.TextIOBase) -> None:
        self._text = text

    def read(self, size: int = -1) -> bytes:
        return self._text.read(size).encode("utf-8")

    def readable(self) -> bool:
        return True
