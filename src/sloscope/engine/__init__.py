"""The pure engine: per-step counts in, SLO figures out. No I/O, no clock.

Modules, in the order data flows through them:

- :mod:`~sloscope.engine.counts`: cumulative sums; window sums in O(1), every lookback
  at every step vectorised.
- :mod:`~sloscope.engine.calendar`: where rolling and calendar windows start (DST-correct).
- :mod:`~sloscope.engine.timeslices`: event counts into good/total slice counts.
- :mod:`~sloscope.engine.budget`: SLI, budget consumed and remaining.
- :mod:`~sloscope.engine.burn`: burn rates, alert factors and firing conditions, spans.
- :mod:`~sloscope.engine.forecast`: when the budget runs out at the current burn.
- :mod:`~sloscope.engine.evaluate`: :func:`evaluate_slo` and :func:`evaluate_range`, the
  entry points the report, gate and backtest call.
- :mod:`~sloscope.engine.windows`: alert policy tables (data files) and burn factors.
"""

from sloscope.engine.evaluate import (
    FiringAlert,
    RangeEvaluation,
    SLOStatus,
    evaluate_range,
    evaluate_slo,
)

__all__ = ["FiringAlert", "RangeEvaluation", "SLOStatus", "evaluate_range", "evaluate_slo"]
