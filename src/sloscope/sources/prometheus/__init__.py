"""The Prometheus source: SLI counts from any server that speaks the Prometheus HTTP API.

Read in data-flow order: :mod:`~sloscope.sources.prometheus.settings` (how to reach the
server, checked once), :mod:`~sloscope.sources.prometheus.api` (the HTTP client),
:mod:`~sloscope.sources.prometheus.queries` (PromQL that counts events per step),
:mod:`~sloscope.sources.prometheus.plan` (which queries give each SLI's counts) and
:mod:`~sloscope.sources.prometheus.source` (:class:`PrometheusSource`: plan, run,
assemble). Import names from the module that defines them.
"""
