"""Prometheus recording and alert rules from SLO specs.

Read in this order: :mod:`~sloscope.generate.prometheus.rules` (the entry points
``generate_rules`` and ``render_rules``), :mod:`~sloscope.generate.prometheus.plan` (what is
generated for one SLO), :mod:`~sloscope.generate.prometheus.recording` and
:mod:`~sloscope.generate.prometheus.alerts` (the groups of one SLO).

Per SLO, in rule groups named by :mod:`sloscope.conventions` (one group per SLO and kind):

``sloscope-<id>-sli-recordings``
    Bad-event rate, all-event rate and error ratio over every window under a day that
    the alert policy needs (5m, 30m, 1h, 2h, 6h), from the raw series.
``sloscope-<id>-sli-long-recordings`` (``interval: 5m``)
    The same over windows of a day and more (1d, 3d) and over the SLO window (28d),
    *summed from the 5m recordings*::

        sum_over_time(slo:sli_error:rate5m{sloscope_id="x"}[28d])
          / sum_over_time(slo:sli_total:rate5m{sloscope_id="x"}[28d])

    Every 5m sample is weighted by its traffic, so the ratio is bad events ÷ all events
    over the window, which is what the budget is. Sloth records
    ``avg_over_time(ratio_rate5m[30d])``, the mean of 5m ratios, which counts a quiet
    night's 5m ratio (1 failure in 10 requests) as much as a busy hour's: on spiky traffic
    it is biased towards the quiet periods. Summing recorded series is also what makes
    long windows cheap: ``rate(x[28d])`` reads every raw sample of every series of the SLI
    (40,320 per series at a 1m scrape, times the pods and status codes), the sum reads
    one recorded series, and the group runs every 5m instead of every evaluation.
    Short windows stay on raw series so they react (and reset) at once.
``sloscope-<id>-slice-recordings`` (time-slice SLIs; ``interval``: the slice)
    A 0/1 bad-slice indicator (see :func:`sloscope.generate.promql.slice_bad_indicator`);
    every window's ratio is ``sum_over_time(ind[W]) / count_over_time(ind[W])``, the share
    of bad slices among slices with events.
``sloscope-<id>-meta-recordings`` (``interval: 5m``)
    Objective, error budget, period in days, current burn rate (shortest window), period
    burn rate and the budget left over the SLO window.
``sloscope-<id>-alerts``
    ``SLOErrorBudgetBurnPage`` and ``SLOErrorBudgetBurnTicket`` from the SLO's alert
    policy: a row fires while both its long and short error ratios are above
    ``factor × budget``, rows of one tier are joined with ``or``. Under a low-traffic
    guard each of a row's windows must also hold ``min_total`` events and ``min_bad``
    bad ones (recorded rate × window length), per group of a grouped SLO. The alert's
    value is the burn rate over the long window of the first row that fires.
    Optionally ``SLOErrorBudgetExhausted``.

Calendar windows (``month``) are recorded as their nominal rolling window (30d), the
length the burn factors use too; Prometheus has no calendar ranges.
"""
