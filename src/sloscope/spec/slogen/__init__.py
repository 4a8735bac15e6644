"""slo-generator specs: ``sre.google.com/v2`` SLOs with a Prometheus backend, and the
shared ``config.yaml`` whose error-budget policies become alert policies.

The loader (:mod:`~sloscope.spec.slogen.loader`) reads the config
(:mod:`~sloscope.spec.slogen.config`) first, then each SLO
(:mod:`~sloscope.spec.slogen.slos`).
"""
