"""OpenSLO v1 import (``apiVersion: openslo/v1``).

The loader (:mod:`~sloscope.spec.openslo.loader`) registers every OpenSLO object by kind
and name (:mod:`~sloscope.spec.openslo.objects`) and groups the SLOs into services; each
SLO is built by :mod:`~sloscope.spec.openslo.slos` from its SLI
(:mod:`~sloscope.spec.openslo.indicators`, :mod:`~sloscope.spec.openslo.queries`), its
time window (:mod:`~sloscope.spec.openslo.windows`), its alerting
(:mod:`~sloscope.spec.openslo.alerts`) and its ``sloscope.dev/`` annotations
(:mod:`~sloscope.spec.openslo.annotations`).
"""
