"""Alerts with a lifetime, a noise pipeline, and replays of the past.

The pure parts sit on the engine's per-step firing conditions:

- :mod:`~sloscope.alerting.model`: an :class:`~sloscope.alerting.model.Alert` (one
  contiguous span of firing of one SLO and severity) and the links between alerts;
- :mod:`~sloscope.alerting.spans`: firing conditions → alert spans, vectorised
  (pending time, resolve hysteresis, peak burn rate, budget consumed while firing);
- :mod:`~sloscope.alerting.state`: the same lifetime as a step-by-step state machine
  (pending → firing → resolved) for a live evaluation loop;
- :mod:`~sloscope.alerting.noise`: the noise pipeline, a list of small callables
  (dedup, silences, inhibition, dependencies, grouping);
- :mod:`~sloscope.alerting.silences` and :mod:`~sloscope.alerting.adjustments`:
  silences, and budget adjustments (planned maintenance, known bad data);
- :mod:`~sloscope.alerting.replay`, :mod:`~sloscope.alerting.quality`,
  :mod:`~sloscope.alerting.backtest`, :mod:`~sloscope.alerting.tune`: what
  ``sloscope backtest`` and ``sloscope tune`` compute.

Nothing here reads a file, a socket or the clock except the truth-file loader; the
workspace fetches the counts and passes the times.
"""
