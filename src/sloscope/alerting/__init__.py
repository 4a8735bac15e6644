"""Alerting: alert state, the noise pipeline, notifications and backtests.

Subpackages hold one concept each; callers import names from the module that defines
them (``sloscope.alerting.notify.delivery.deliver_due``, ...). The pure parts sit on the
engine's per-step firing conditions:

- :mod:`~sloscope.alerting.model`: an :class:`~sloscope.alerting.model.Alert` (one
  contiguous span of firing of one SLO and severity) and the links between alerts;
- :mod:`~sloscope.alerting.spans`: firing conditions → alert spans, vectorised
  (pending time, resolve hysteresis, peak burn rate, budget consumed while firing);
- :mod:`~sloscope.alerting.state`: the same lifetime as a step-by-step state machine
  (pending → firing → resolved) for a live evaluation loop;
- :mod:`~sloscope.alerting.noise`: the noise pipeline, a list of small callables
  (dedup, silences, inhibition, dependencies, grouping);
- :mod:`~sloscope.alerting.matchers`, :mod:`~sloscope.alerting.silences` and
  :mod:`~sloscope.alerting.adjustments`: label matchers, silences, and budget
  adjustments (planned maintenance, known bad data);
- :mod:`~sloscope.alerting.backtest`, :mod:`~sloscope.alerting.quality`,
  :mod:`~sloscope.alerting.tune`: what ``sloscope backtest`` and ``sloscope tune``
  compute (:mod:`~sloscope.alerting.history` fetches through a source,
  :mod:`~sloscope.alerting.render` prints).
"""
