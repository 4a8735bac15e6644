"""A fast parser of OpenMetrics (and Prometheus text) exposition with timestamps.

It reads what ``promtool tsdb create-blocks-from openmetrics`` reads, and turns it into
columns a chunk at a time (:func:`~sloscope.telemetry.openmetrics.stream.read_columns`):
a list of series (metric name, labels, type) and three numpy arrays (series index,
timestamp in milliseconds, value). In data-flow order: :mod:`.stream` reads bytes,
:mod:`.lines` parses lines (the series text with :mod:`.labels`, the types with
:mod:`.series`), :mod:`.numbers` converts and checks values and timestamps, and
:mod:`.problems` collects what is wrong, with line numbers.

Format decisions (consistent with promtool where it is reasonable):

- ``format="openmetrics"``: timestamps are Unix **seconds**, possibly fractional; they are
  rounded to the nearest millisecond (promtool truncates ``ts * 1000``, which can lose a
  millisecond to float rounding). ``format="prometheus"``: the Prometheus text format, with
  timestamps in integer **milliseconds**; seconds given to it (1970 as milliseconds) are
  refused, naming the line.
- Every sample needs a timestamp: the embedded store keeps history, and a sample without
  one has no place in it.
- ``# EOF`` ends an OpenMetrics file and nothing may follow it. promtool refuses a file
  without it; we accept that (a file on disk has a known end, and the Prometheus text
  format has no ``# EOF``) but report it, because a missing ``# EOF`` can mean a truncated
  file: ``has_eof`` is False and ingest adds a warning.
- ``# TYPE``, ``# HELP`` and ``# UNIT`` are read (the type is kept per series); other
  comments and blank lines are skipped, as the Prometheus text format allows.
- ``_created`` samples of counters, histograms and summaries are creation timestamps, not
  counts, and are skipped.
- A counter's value must be a number, finite and not negative; no value may be infinite
  (a gauge's NaN is allowed, and the store skips it).
- Exemplars (``# {trace_id="..."} 0.5 1700000000.1`` after a sample) are ignored.
- Label values may escape ``\\\\``, ``\\"`` and ``\\n``; any other escape is an error. A
  label with an empty value is the same as no label (as in Prometheus), so it is dropped.
- Label order does not matter: ``a{x="1",y="2"}`` and ``a{y="2",x="1"}`` are one series.
- A file with problems is parsed to the end (up to
  :data:`~sloscope.telemetry.openmetrics.problems.MAX_PROBLEMS` problems) so the user
  sees several at once. Import names from the module that defines them.
"""
