"""Budget policies and event settings in ``sloscope.yaml``: parsed into plain policies,
and every mistake named with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sloscope.config import load_config
from sloscope.errors import ConfigError
from sloscope.events.priority import PriorityRule
from sloscope.policy.budget import (
    DEFAULT_POLICY,
    BudgetStep,
    ExceptionKind,
    PolicyScope,
    PolicyText,
)

FULL = """\
budget_policies:
  - name: checkout
    scope: {services: [checkout], journeys: [search/find], slos: [identity/login-latency]}
    steps:
      - {consumed: 25, action: notify, release: allow}
      - {burn_rate: 10, over: 1h, action: freeze}
      - {consumed: 75, action: freeze}
    on_no_data: closed
    exceptions:
      - {kind: hotfix, granted_by: the on-call lead, description: a one-line fix}
      - rollback
    owner: team-payments
    freeze_means: Only reliability work ships.
    escalation: [the team lead, the head of engineering]
    review: quarterly
    approvers: [team-payments, sre]
events:
  failure_window: 2h
  repeat_window: 14d
  priorities: [{priority: SEV1, budget_percent: 10}, {priority: SEV2, budget_percent: 2}]
  lowest_priority: SEV3
"""


def _load(tmp_path: Path, text: str) -> object:
    (tmp_path / "sloscope.yaml").write_text(text, encoding="utf-8")
    return load_config(tmp_path, env={})


def _error(tmp_path: Path, text: str) -> str:
    (tmp_path / "sloscope.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    return str(caught.value)


def test_a_full_policy_becomes_fractions_seconds_and_plain_values(tmp_path: Path) -> None:
    (tmp_path / "sloscope.yaml").write_text(FULL, encoding="utf-8")
    config = load_config(tmp_path, env={})
    policy = config.budget_policy_map()["checkout"]
    assert policy.steps == (
        BudgetStep(0.25, "notify", release="allow"),
        BudgetStep(None, "freeze", burn_rate=10.0, burn_window=3600),
        BudgetStep(0.75, "freeze"),
    )
    assert policy.on_no_data == "closed"
    assert policy.exceptions == (
        ExceptionKind("hotfix", "the on-call lead", "a one-line fix"),
        ExceptionKind("rollback"),
    )
    assert policy.scope == PolicyScope(("checkout",), ("search/find",), ("identity/login-latency",))
    assert policy.text == PolicyText(
        owner="team-payments",
        freeze_means="Only reliability work ships.",
        escalation=("the team lead", "the head of engineering"),
        review="quarterly",
        approvers=("team-payments", "sre"),
    )
    assert policy.burn_windows == (3600,)
    assert config.budget_policy_map()["default"] == DEFAULT_POLICY
    events = config.events
    assert (events.failure_window_seconds, events.repeat_window_seconds) == (7200, 14 * 86400)
    assert events.priority_rules() == (PriorityRule("SEV1", 0.1), PriorityRule("SEV2", 0.02))
    assert events.lowest_priority == "SEV3"


def test_the_event_settings_default_to_one_hour_thirty_days_and_p1_at_twenty_percent(
    tmp_path: Path,
) -> None:
    events = load_config(tmp_path, env={}).events
    assert (events.failure_window_seconds, events.repeat_window_seconds) == (3600, 30 * 86400)
    assert events.priority_rules() == (
        PriorityRule("P1", 0.2),
        PriorityRule("P2", 0.05),
        PriorityRule("P3", 0.01),
    )


def test_the_old_short_form_still_reads_as_before(tmp_path: Path) -> None:
    (tmp_path / "sloscope.yaml").write_text(
        "budget_policies:\n  - name: strict\n    steps: [{consumed: 25, action: notify}]\n"
        "    exceptions: [security]\n",
        encoding="utf-8",
    )
    policy = load_config(tmp_path, env={}).budget_policy_map()["strict"]
    assert policy.steps == (BudgetStep(0.25, "notify"),)
    assert policy.exception_kinds == ("security",)
    assert policy.on_no_data == "open"


@pytest.mark.parametrize(
    ("steps", "where", "message"),
    [
        (
            "[{consumed: 90, action: freeze}, {consumed: 50, action: notify}]",
            "3:12: budget_policies.0.steps",
            "steps are in order of consumed: step 1 (50%) comes after a step at 90%",
        ),
        (
            "[{burn_rate: 10, action: freeze}]",
            "3:13: budget_policies.0.steps.0",
            "burn_rate: and over: go together",
        ),
        (
            "[{action: freeze}]",
            "3:13: budget_policies.0.steps.0",
            "a step needs consumed: (percent) and/or burn_rate: with over:",
        ),
        (
            "[{consumed: 90, action: notify, release: freeze}]",
            "3:13: budget_policies.0.steps.0",
            "release: freeze goes with action: freeze only",
        ),
        (
            "[{consumed: 90, action: freeze, over: soon, burn_rate: 2}]",
            "3:50: budget_policies.0.steps.0.over",
            "'soon' is not a duration",
        ),
    ],
)
def test_a_bad_step_is_named_with_its_line_and_field(
    tmp_path: Path, steps: str, where: str, message: str
) -> None:
    text = _error(tmp_path, f"budget_policies:\n  - name: p\n    steps: {steps}\n")
    assert f"sloscope.yaml:{where}: " in text
    assert message in text


def test_two_policies_claiming_one_service_is_an_error_naming_both(tmp_path: Path) -> None:
    text = _error(
        tmp_path,
        "budget_policies:\n"
        "  - {name: a, steps: [{consumed: 50, action: notify}], scope: {services: [checkout]}}\n"
        "  - {name: b, steps: [{consumed: 50, action: notify}], scope: {services: [checkout]}}\n",
    )
    assert "sloscope.yaml:2:3: budget_policies: " in text
    assert "service 'checkout' is in the scope of both 'a' and 'b'; keep it in one" in text


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{name: default, steps: [{consumed: 50, action: notify}], scope: {services: [x]}}",
         "the default policy governs every SLO no other policy claims"),
        ("{name: a, steps: [{consumed: 50, action: notify}], scope: {slos: [login]}}",
         "'login': write SERVICE/NAME, e.g. checkout/login"),
        ("{name: a, steps: [{consumed: 50, action: notify}], exceptions: [hotfix, hotfix]}",
         "exception kind 'hotfix' is listed twice"),
        ("{name: a, steps: [{consumed: 50, action: notify}], exceptions: [{kind: 'a b'}]}",
         "String should match pattern"),
    ],
)  # fmt: skip
def test_scope_and_exception_mistakes_are_config_errors(
    tmp_path: Path, policy: str, message: str
) -> None:
    assert message in _error(tmp_path, f"budget_policies:\n  - {policy}\n")


def test_priorities_must_be_listed_most_severe_first(tmp_path: Path) -> None:
    text = _error(
        tmp_path,
        "events:\n  priorities: [{priority: P2, budget_percent: 5}, "
        "{priority: P1, budget_percent: 20}]\n",
    )
    assert "sloscope.yaml:2:15: events.priorities: " in text
    assert "list priorities most severe first" in text
