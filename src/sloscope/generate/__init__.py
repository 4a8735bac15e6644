"""Outputs generated from SLO specs: Prometheus rules and their tests, Grafana, OpenSLO.

Pure: specs and alert policies in, documents and YAML or JSON text out; the CLI writes the
files. One folder per output that needs more than a module:

- :mod:`sloscope.generate.prometheus`: recording and alert rules (``plan`` → ``recording``
  and ``alerts`` → ``rules``).
- :mod:`sloscope.generate.rule_tests`: ``promtool test rules`` files for those rules.
- :mod:`sloscope.generate.grafana`: one dashboard per service.
- :mod:`sloscope.generate.openslo` and :mod:`sloscope.generate.alertmanager`: one module each.

:mod:`sloscope.generate.promql` compiles SLIs to PromQL and :mod:`sloscope.generate.yaml_text`
writes YAML for all of them. Import names from the module that defines them.
"""
