"""The pure engine: per-step counts in, SLO figures out. No I/O, no clock.

Modules, in the order data flows through them:

- :mod:`~sloscope.engine.counts`: cumulative sums; window sums in O(1), every lookback
  at every step vectorised.
- :mod:`~sloscope.engine.calendar`: where rolling and calendar windows start (DST-correct).
- :mod:`~sloscope.engine.timeslices`: event counts into good/total slice counts.
- :mod:`~sloscope.engine.budget`: SLI, budget consumed and remaining.
- :mod:`~sloscope.engine.burn`: burn rates, alert factors and firing conditions, spans.
- :mod:`~sloscope.engine.forecast`: when the budget runs out at the current burn.
- :mod:`~sloscope.engine.evaluate`: :func:`~sloscope.engine.evaluate.evaluate_slo`,
  :func:`~sloscope.engine.evaluate.needed_span` and
  :func:`~sloscope.engine.evaluate.evaluate_range`, the entry points the report, gate
  and backtest call.
- :mod:`~sloscope.engine.windows`: alert policy tables (data files) and burn factors.

Import names from the module that defines them (``from sloscope.engine.evaluate import
evaluate_slo``); this package imports none of its modules, so no engine module can meet
it half-initialised.
"""
