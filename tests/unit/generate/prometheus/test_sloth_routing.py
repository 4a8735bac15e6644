"""Sloth specs keep their routing in the generated rules: alert names, each tier's labels
(``severity: critical`` survives, ``sloscope_tier`` says page or ticket), annotations,
Sloth's ``sloth_*`` labels, AlertWindows policies and one service over several files.

The golden files in tests/golden/sloth/ hold what Alertmanager routes on, read back from
the generated rules: per alert rule its name, labels, annotations (but the long
description) and each row's long window, short window and factor parsed from the
expression.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from golden import check_golden
from sloscope.engine.windows import bundled_policies
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.spec.load import load_paths
from sloscope.validation import spec_policies

ROOT = Path(__file__).resolve().parents[4]
SLOTH = ROOT / "tests" / "specs" / "migrate" / "sloth"
GOLDEN = ROOT / "tests" / "golden" / "sloth"
_ROW = re.compile(r"slo:sli_error:ratio_rate(\w+)\{[^}]*\} > \(([0-9.e+-]+) \* ")

CASES = {
    "routing": ["routing.yml"],
    "routing-with-alert-windows-30d": ["routing.yml", "alert-windows-30d.yaml"],
    "k8s-routing": ["k8s-routing.yaml"],
    "multifile": ["multifile-a.yml", "multifile-b.yml"],
    "disable-under-labels": ["disable-under-labels.yml"],
}


def _alerts(files: list[str]) -> list[dict[str, Any]]:
    loaded = load_paths([SLOTH / f for f in files])
    assert loaded.errors == ()
    policies = {**bundled_policies(), **spec_policies(loaded)}
    doc = yaml.safe_load(render_rules(generate_rules(loaded.services, policies)))
    out = []
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            pairs = _ROW.findall(rule["expr"])
            rows = [
                {"long": pairs[i][0], "short": pairs[i + 1][0], "factor": float(pairs[i][1])}
                for i in range(0, len(pairs), 2)
            ]
            notes = {k: v for k, v in rule["annotations"].items() if k != "description"}
            out.append(
                {
                    "alert": rule["alert"],
                    "labels": rule["labels"],
                    "annotations": notes,
                    "rows": rows,
                }
            )
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_sloth_alerts_match_the_golden_names_labels_windows_and_factors(case: str) -> None:
    text = yaml.safe_dump(_alerts(CASES[case]), sort_keys=True, width=100)
    check_golden(GOLDEN / f"{case}.yaml", text)


def test_page_and_ticket_share_sloths_alert_name_and_keep_their_own_severity() -> None:
    alerts = [a for a in _alerts(["routing.yml"]) if a["alert"] == "CheckoutHighErrorRate"]
    page, ticket = alerts
    assert page["labels"]["severity"] == "critical"
    assert page["labels"]["routing_key"] == "checkout-oncall"
    assert page["labels"]["sloscope_tier"] == "page"
    assert page["labels"]["sloth_severity"] == "page"
    assert page["labels"]["sloth_id"] == "checkout-requests-availability"
    assert ticket["labels"]["severity"] == "warning"
    assert ticket["labels"]["slack_channel"] == "#checkout-alerts"
    assert ticket["labels"]["sloscope_tier"] == "ticket"
    # Sloth's page rows for a 30d SLO: 14.4 over 1h/5m and 6 over 6h/30m.
    assert page["rows"] == [
        {"long": "1h", "short": "5m", "factor": 14.4},
        {"long": "6h", "short": "30m", "factor": 6.0},
    ]
    assert page["annotations"]["summary"] == "Checkout is failing requests"


def test_a_disabled_ticket_tier_generates_only_the_page_alert() -> None:
    alerts = [a for a in _alerts(["routing.yml"]) if a["alert"] == "CheckoutLatencySLO"]
    assert [a["labels"]["sloscope_tier"] for a in alerts] == ["page"]


def test_alert_windows_give_sloths_factors_for_their_period() -> None:
    """30d AlertWindows: 1.5% in 30m → 21.6; 4% in 4h → 7.2; 8% in 12h → 4.8; 12% in 2d → 1.8.

    The 30m/3m row alerts, as Sloth's does and as ``evaluate`` pages on it: an event
    SLI's short window may be under 5m (its 3m rates are recorded); only a time slice
    longer than the short window leaves a row out.
    """
    loaded = load_paths([SLOTH / "routing.yml", SLOTH / "alert-windows-30d.yaml"])
    policies = {**bundled_policies(), **spec_policies(loaded)}
    rules = generate_rules(loaded.services, policies)
    assert not any("30m/3m" in w for w in rules.warnings)
    recorded = {r.get("record") for g in rules["groups"] for r in g["rules"]}
    assert "slo:sli_error:ratio_rate3m" in recorded
    alerts = _alerts(["routing.yml", "alert-windows-30d.yaml"])
    rows = [r for a in alerts if a["alert"] == "CheckoutHighErrorRate" for r in a["rows"]]
    assert rows == [
        {"long": "30m", "short": "3m", "factor": 21.6},
        {"long": "4h", "short": "20m", "factor": 7.2},
        {"long": "12h", "short": "1h", "factor": 4.8},
        {"long": "2d", "short": "3h", "factor": 1.8},
    ]


def test_the_legacy_alert_windows_form_is_a_policy_too() -> None:
    loaded = load_paths([SLOTH / "alert-windows-legacy-28d.yaml"])
    assert loaded.problems == ()
    (policy,) = spec_policies(loaded).values()
    assert policy.name == "sloth-28d"
    assert [round(w.factor(28 * 86400), 10) for w in policy.windows] == [
        13.44,
        5.6,
        2.8,
        0.9333333333,
    ]


def test_one_service_over_two_files_keeps_each_files_labels() -> None:
    loaded = load_paths([SLOTH / "multifile-a.yml", SLOTH / "multifile-b.yml"])
    assert loaded.errors == ()
    (service,) = loaded.services
    assert [s.name for s in service.slos] == ["login-availability", "signup-availability"]
    assert dict(service.slos[0].labels).get("domain") is None
    assert dict(service.slos[1].labels)["domain"] == "auth"


def test_a_duplicate_slo_across_files_and_a_second_period_are_errors() -> None:
    dup = load_paths([SLOTH / "multifile-a.yml", SLOTH / "bad" / "multifile-duplicate-slo.yml"])
    assert [p.message for p in dup.errors] == [
        "SLO 'login-availability' of service 'accounts' is already defined at "
        f"{SLOTH / 'multifile-a.yml'}:18; SLO names must be unique within a service"
    ]
    twice = load_paths(
        [SLOTH / "alert-windows-30d.yaml", SLOTH / "bad" / "alert-windows-duplicate-period.yaml"]
    )
    assert [p.message.split(" at ")[0] for p in twice.errors] == [
        "AlertWindows for sloPeriod 30d is already defined"
    ]
