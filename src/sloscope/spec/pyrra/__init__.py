"""Pyrra specs: ``pyrra.dev/v1alpha1`` ``ServiceLevelObjective`` objects.

The loader (:mod:`~sloscope.spec.pyrra.loader`) reads each object's service, target,
window and alerting; its indicator (ratio, latency, latencyNative, bool_gauge) is read by
:mod:`~sloscope.spec.pyrra.indicators`.
"""
