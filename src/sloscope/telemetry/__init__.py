"""The embedded telemetry store: OpenMetrics ingest into one DuckDB file.

Read in data-flow order: :mod:`~sloscope.telemetry.openmetrics` parses a file,
:mod:`~sloscope.telemetry.ingest` (:func:`~sloscope.telemetry.ingest.ingest_file`) adds
it in one transaction to :mod:`~sloscope.telemetry.store`
(:class:`~sloscope.telemetry.store.TelemetryStore`: the file, schema, series catalog),
which writes samples with :mod:`~sloscope.telemetry.samples` and the counter arithmetic
of :mod:`~sloscope.telemetry.counters`. Import names from the module that defines them.
"""
