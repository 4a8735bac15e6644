"""``tune --write`` edits sloscope.yaml as a YAML round trip (sloscope.alerting.tuned_config)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sloscope.alerting.tune import Outcome, Proposal
from sloscope.alerting.tuned_config import tuned_snippet, write_tuned_config
from sloscope.config import load_config
from sloscope.engine.windows import AlertPolicy, AlertWindow, TrafficGuard, bundled_policies
from sloscope.errors import ConfigError

CONFIG = """\
# Project settings of the shop team. Ask #sre before changing the guard.
step: 1m  # the evaluation grid
alert_policies:
  # A faster page for checkout, tried in the October game day.
  - name: fast
    windows:
      - {severity: page, budget_percent: 2, long: 1h, short: 5m}
  - name: tuned-checkout-orders  # replaced by the next tuning
    windows:
      - {severity: page, budget_percent: 9, long: 1h, short: 5m}
alerting:
  resolve_after: 15m  # hysteresis: one page per flapping burn
  guard: {min_total: 100, min_bad: 5}
  slos:
    # checkout waits while payments pages
    - {service: checkout, depends_on: [payments]}
    - service: search
      slo: find
      guard: {min_total: 50, min_bad: 2}  # dropped: the tuned policy carries its guard
budget_policies:
  - name: strict  # freeze early
    steps: [{consumed: 30, action: freeze}]
"""


def _proposal(service: str, slo: str) -> Proposal:
    outcome = Outcome(alerts=3, detected=1, incidents=1, detection_seconds_median=300.0)
    proposed = AlertPolicy(
        f"tuned-{service}-{slo}",
        (AlertWindow("page", 5, 3600, 300),),
        guard=TrafficGuard(200, 10),
    )
    return Proposal(service, slo, bundled_policies()["google"], proposed, outcome, outcome, 4)


def test_comments_order_and_flow_lists_survive_and_the_settings_change(tmp_path: Path) -> None:
    path = tmp_path / "sloscope.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    write_tuned_config(path, [_proposal("checkout", "orders"), _proposal("search", "find")])
    text = path.read_text(encoding="utf-8")
    assert (tmp_path / "sloscope.yaml.bak").read_text(encoding="utf-8") == CONFIG
    for comment in (
        "# Project settings of the shop team. Ask #sre before changing the guard.",
        "step: 1m  # the evaluation grid",
        "  # A faster page for checkout, tried in the October game day.",
        "  resolve_after: 15m  # hysteresis: one page per flapping burn",
        "    # checkout waits while payments pages",
        "  - name: strict  # freeze early",
        "    steps: [{consumed: 30, action: freeze}]",
        "      - {severity: page, budget_percent: 2, long: 1h, short: 5m}",
    ):
        assert comment in text.splitlines(), comment
    # Top-level keys in the order written.
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys == ["step", "alert_policies", "alerting", "budget_policies"]
    data = yaml.safe_load(text)
    assert [p["name"] for p in data["alert_policies"]] == [
        "fast",
        "tuned-checkout-orders",
        "tuned-search-find",
    ]
    assert data["alert_policies"][1]["windows"][0]["budget_percent"] == 5
    assert data["alerting"]["slos"] == [
        {"service": "checkout", "depends_on": ["payments"]},
        {"service": "search", "slo": "find", "policy": "tuned-search-find"},
        {"service": "checkout", "slo": "orders", "policy": "tuned-checkout-orders"},
    ]
    # What was written loads as a config.
    config = load_config(tmp_path, env={})
    assert {p.name for p in config.alert_policy_tables()} >= {"tuned-search-find"}


def test_a_missing_file_is_created_like_the_snippet(tmp_path: Path) -> None:
    path = tmp_path / "sloscope.yaml"
    proposals = [_proposal("checkout", "orders")]
    write_tuned_config(path, proposals)
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == yaml.safe_load(
        tuned_snippet(proposals)
    )
    assert not (tmp_path / "sloscope.yaml.bak").exists()


def test_a_file_that_is_not_a_mapping_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "sloscope.yaml"
    path.write_text("- step: 1m\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping of settings"):
        write_tuned_config(path, [_proposal("checkout", "orders")])
    assert path.read_text(encoding="utf-8") == "- step: 1m\n"
