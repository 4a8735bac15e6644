"""Sloth specs: ``version: "prometheus/v1"`` files and the ``PrometheusServiceLevel`` CRD.

The loader (:mod:`~sloscope.spec.sloth.loader`) reads the service of each document, its
SLOs are read by :mod:`~sloscope.spec.sloth.slos`, and both read Sloth's keys (two
spellings, unknown keys warned about) through :mod:`~sloscope.spec.sloth.keys`.
"""
