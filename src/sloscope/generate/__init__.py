"""Outputs generated from SLO specs: Prometheus rules, promtool tests, Alertmanager, OpenSLO.

Pure: specs and alert policies in, documents and YAML text out; the CLI writes the files.
"""

from sloscope.generate.alertmanager import alertmanager_snippet
from sloscope.generate.openslo import OpenSLODocuments, generate_openslo, render_openslo
from sloscope.generate.prometheus import RulesDocument, generate_rules, render_rules
from sloscope.generate.rule_tests import (
    RuleTestsDocument,
    generate_rule_tests,
    render_rule_tests,
)

__all__ = [
    "OpenSLODocuments",
    "RuleTestsDocument",
    "RulesDocument",
    "alertmanager_snippet",
    "generate_openslo",
    "generate_rule_tests",
    "generate_rules",
    "render_openslo",
    "render_rule_tests",
    "render_rules",
]
