"""Alerting: alert state, the noise pipeline, notifications and backtests.

Subpackages hold one concept each; callers import names from the module that defines
them (``sloscope.alerting.notify.delivery.deliver_due``, ...).
"""
