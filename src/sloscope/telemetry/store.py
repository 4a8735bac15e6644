"""The embedded telemetry store: counter samples in one DuckDB file.

:class:`TelemetryStore` is what the workspace, the ingest and the embedded source use.
It is built in layers, each in its own module:

- :mod:`~sloscope.telemetry.store_connection`: the file, the schema and its version,
  closing (:data:`SCHEMA_VERSION`);
- :mod:`~sloscope.telemetry.series_catalog`: the ``series`` table;
- :mod:`~sloscope.telemetry.sample_writer`: :meth:`TelemetryStore.add`, one transaction
  that skips duplicates, fills gaps and keeps deltas exact (:class:`AddResult`);
- :mod:`~sloscope.telemetry.counters`: the delta arithmetic (:func:`counter_deltas`);
- this module: counts and the time range of what is stored.
"""

from __future__ import annotations

from sloscope.telemetry.counters import counter_deltas
from sloscope.telemetry.sample_writer import AddResult, SampleWriter
from sloscope.telemetry.store_connection import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "AddResult", "TelemetryStore", "counter_deltas"]


class TelemetryStore(SampleWriter):
    """Counter samples in a DuckDB file, with a series catalog.

    >>> with TelemetryStore(tmp / "telemetry.duckdb") as store:  # doctest: +SKIP
    ...     store.series_count()
    0

    The workspace decides the path (``.sloscope/telemetry.duckdb``); parent directories
    are created. ``read_only=True`` opens an existing file for queries only (several
    processes may read at once; DuckDB allows one writer).
    """

    def series_count(self) -> int:
        """Number of series in the catalog."""
        return self._scalar("SELECT count(*) FROM series")

    def sample_count(self) -> int:
        """Number of stored samples."""
        return self._scalar("SELECT count(*) FROM samples")

    def time_range(self) -> tuple[int, int] | None:
        """(first, last) sample timestamp in Unix ms, or None when the store is empty."""
        # fetchall, not fetchone: DuckDB refuses new work while a result is unfinished.
        first, last = self.con.execute("SELECT min(first_ts), max(last_ts) FROM series").fetchall()[
            0
        ]
        if first is None:
            return None
        return int(first), int(last)
