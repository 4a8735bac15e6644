"""Generated artefacts from SLO specs: Prometheus rules, Grafana dashboards, OpenSLO.

Every generator is pure: spec model (and alert policies) in, a document out. Names of
generated series, labels and alerts come from :mod:`sloscope.conventions`, so rules and
dashboards always agree. Nothing here reads files, the clock or a telemetry source.
"""
