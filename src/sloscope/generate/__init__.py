"""Outputs generated from SLO specs: Prometheus rules, their promtool tests, Alertmanager.

Pure: specs and alert policies in, documents and YAML text out; the CLI writes the files.
"""

from sloscope.generate.alertmanager import alertmanager_snippet
from sloscope.generate.prometheus import RulesDocument, generate_rules, render_rules
from sloscope.generate.rule_tests import (
    RuleTestsDocument,
    generate_rule_tests,
    render_rule_tests,
)

__all__ = [
    "RuleTestsDocument",
    "RulesDocument",
    "alertmanager_snippet",
    "generate_rule_tests",
    "generate_rules",
    "render_rule_tests",
    "render_rules",
]
