"""Parsed samples kept on disk between the parse and the write of one ingest.

The parse of a large file takes most of an ingest's time; holding its samples in memory
would make the memory grow with the file, and writing them into the store as they come
would hold the store's write lock (which readers wait for) while the file is read. So
the samples go to three raw column files in a private folder beside the store (20
bytes a sample, on the store's own file system), and are read back a batch at a time
once the whole file has parsed clean. The folder goes when the spool is closed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sloscope.errors import IngestError
from sloscope.telemetry.openmetrics.numbers import Columns
from sloscope.telemetry.store import unwritable

_PREFIX = ".ingest-"

#: Samples written to the store per batch (about 5 MB of columns): a multiple of DuckDB's
#: row group (122,880 rows), so that each batch fills whole row groups (a partial one
#: per batch made a 1 GB ingest's store half as large again).
BATCH = 2 * 122_880

#: The column files: series index (int32), timestamps (int64 ms), values (float64).
_COLUMNS = ("index", "timestamps", "values")


class Spool:
    """Columns appended chunk by chunk, read back in batches of :data:`BATCH`.

    >>> with contextlib.closing(Spool(tmp)) as spool:  # doctest: +SKIP
    ...     spool.append(columns)
    ...     for batch in spool.batches(): ...
    """

    def __init__(self, beside: Path) -> None:
        try:
            beside.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(beside)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=beside))
        except OSError as exc:
            raise IngestError(unwritable(beside, exc)) from None
        self.samples = 0
        self.first = np.iinfo(np.int64).max
        self.last = np.iinfo(np.int64).min
        self._files = [(self.folder / name).open("wb") for name in _COLUMNS]

    def append(self, columns: Columns) -> None:
        """Add a chunk's samples."""
        try:
            columns.index.tofile(self._files[0])
            columns.timestamps.tofile(self._files[1])
            columns.values.tofile(self._files[2])
        except OSError as exc:
            raise IngestError(
                f"cannot hold the parsed samples in {self.folder.parent}: {exc.strerror}; "
                "nothing was stored (free some disk space and ingest again)"
            ) from None
        self.samples += len(columns)
        self.first = min(self.first, int(columns.timestamps.min()))
        self.last = max(self.last, int(columns.timestamps.max()))

    def batches(self, size: int | None = None) -> Iterator[Columns]:
        """The samples in file order, ``size`` (default :data:`BATCH`) at a time."""
        # Read when called, not when defined: a test that sets BATCH small to write a
        # file in several batches would otherwise write it in one.
        size = BATCH if size is None else size
        for file in self._files:
            file.flush()
        index, stamps, values = (self.folder / name for name in _COLUMNS)
        for first in range(0, self.samples, size):
            count = min(size, self.samples - first)
            yield Columns(
                np.fromfile(index, dtype=np.int32, count=count, offset=first * 4),
                np.fromfile(stamps, dtype=np.int64, count=count, offset=first * 8),
                np.fromfile(values, dtype=np.float64, count=count, offset=first * 8),
            )

    def close(self) -> None:
        """Delete the spool's folder (safe to call twice)."""
        for file in self._files:
            file.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove_abandoned(folder: Path) -> None:
    """Delete the spools of ingests whose process is gone (killed mid-parse)."""
    for spool in folder.glob(f"{_PREFIX}*-*"):
        pid = spool.name.removeprefix(_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(spool, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
