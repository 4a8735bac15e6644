"""The Alertmanager snippet (sloscope.generate.alertmanager); amtool checks it in
tests/integration/test_promtool_rules.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from golden import check_golden
from sloscope.generate.alertmanager import alertmanager_snippet

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "prometheus" / "alertmanager.yaml"


def test_a_firing_page_inhibits_the_ticket_of_the_same_slo() -> None:
    doc = yaml.safe_load(alertmanager_snippet())
    assert doc["inhibit_rules"] == [
        {
            "source_matchers": ['sloscope_tier="page"'],
            "target_matchers": ['sloscope_tier="ticket"'],
            "equal": ["sloscope_id"],
        }
    ]


def test_tiers_route_to_their_receivers() -> None:
    routes = yaml.safe_load(alertmanager_snippet("oncall", "jira"))["route"]["routes"]
    assert [(r["matchers"], r["receiver"]) for r in routes] == [
        (['sloscope_tier="page"'], "oncall"),
        (['sloscope_tier="ticket"'], "jira"),
    ]
    assert all(r["group_by"] == ["alertname", "sloscope_id"] for r in routes)


def test_snippet_matches_the_golden_file() -> None:
    check_golden(GOLDEN, alertmanager_snippet())
