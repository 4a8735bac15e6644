"""The embedded telemetry store: OpenMetrics ingest into one DuckDB file.

:class:`TelemetryStore` keeps a series catalog and counter samples with their per-sample
increases; :func:`ingest_file` parses a file and adds it in one transaction.
"""

from sloscope.telemetry.ingest import IngestResult, ingest_file
from sloscope.telemetry.store import SCHEMA_VERSION, TelemetryStore

__all__ = ["SCHEMA_VERSION", "IngestResult", "TelemetryStore", "ingest_file"]
