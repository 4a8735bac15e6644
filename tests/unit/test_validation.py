"""Checks that need the alert tables: alerts that cannot fire, windows, slices, PromQL."""

from __future__ import annotations

from sloscope.engine.burn import AlertThreshold, max_burn_rate
from sloscope.engine.windows import AlertPolicy, AlertWindow, bundled_policies
from sloscope.policy.budget import DEFAULT_POLICY
from sloscope.spec.load import load_text
from sloscope.spec.model import Service
from sloscope.validation import ProjectRules, check_services, validate_project


def _services(
    objective: str = "99.9", window: str = "28d", sli: str = "", alerting: str = ""
) -> tuple[Service, ...]:
    sli = sli or "{ratio: {good: ok_total, total: all_total}}"
    text = (
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: api}\nspec:\n  slos:\n"
        f"    - name: avail\n      objective: {objective}\n      window: {window}\n"
        f"      sli: {sli}\n"
    )
    if alerting:
        text += f"      alerting: {alerting}\n"
    result = load_text(text, "v.yaml")
    assert result.errors == ()
    return result.services


def test_a_99_9_slo_over_30_days_raises_no_problem() -> None:
    assert check_services(_services(window="30d")) == []


def test_a_90_percent_slo_cannot_fire_the_14_4x_page() -> None:
    problems = check_services(_services(objective="90", window="30d"))
    assert [str(p) for p in problems] == [
        "v.yaml:6:1: warning: SLO api/avail: the page alert of policy 'google' (2% of the "
        "budget in 1h) can never fire: a 90% SLO burns at most 10x, and the alert needs more "
        "than 14.4x (hint: raise the objective, or use an alert policy whose rows spend more "
        "of the budget or look over longer windows)"
    ]


def test_max_burn_rate_is_one_over_the_budget() -> None:
    assert round(max_burn_rate(0.999), 6) == 1000.0
    assert round(max_burn_rate(0.95), 9) == 20.0


def test_a_95_percent_slo_over_28_days_can_fire_every_row() -> None:
    # max burn 20 > 13.44 (2% of 28d in 1h), 5.6, 2.8 and 0.9333
    assert check_services(_services(objective="95", window="28d")) == []


def test_an_slo_window_shorter_than_an_alert_window_is_flagged() -> None:
    problems = check_services(_services(window="2d"))
    assert [p.message for p in problems] == [
        "SLO api/avail: its window (2d) is shorter than the long window of the ticket alert "
        "of policy 'google' (10% of the budget in 3d)"
    ]


def test_an_unknown_alert_policy_is_an_error_listing_the_known_ones() -> None:
    problems = check_services(_services(alerting="{policy: fast}"))
    assert [(p.severity, p.message, p.hint) for p in problems] == [
        (
            "error",
            "SLO api/avail: unknown alert policy 'fast'",
            "known alert policies: google, pyrra; define others under alert_policies in "
            "sloscope.yaml",
        )
    ]


def test_project_policies_are_known_and_checked() -> None:
    fast = AlertPolicy("fast", (AlertWindow("page", 50, 3600, 300),))
    # 50% of a 28d budget in 1h is factor 336: a 99.9% SLO (max burn 1000) can reach it
    assert check_services(_services(alerting="{policy: fast}"), {"fast": fast}) == []
    problems = check_services(_services(objective="99", alerting="{policy: fast}"), {"fast": fast})
    assert (
        "can never fire: a 99% SLO burns at most 100x, and the alert needs more than 336x"
        in problems[0].message
    )


def test_disabled_alerting_skips_the_alert_checks() -> None:
    # A 90% SLO cannot reach the 14.4x page; with alerting off that is no problem.
    assert (
        check_services(_services(objective="90", window="30d", alerting="{enabled: false}")) == []
    )


def test_promql_slis_are_flagged_as_prometheus_only() -> None:
    problems = check_services(_services(sli="{promql: {error_ratio: 'x[{{window}}]'}}"))
    assert [p.message for p in problems] == [
        "SLO api/avail: its SLI is raw PromQL, which only a Prometheus source can answer"
    ]


def test_a_slice_longer_than_the_shortest_alert_window_is_flagged() -> None:
    sli = "{timeslices: {slice: 10m, target: 95, ratio: {good: a, total: b}}}"
    problems = check_services(_services(sli=sli))
    assert [p.message for p in problems] == [
        "SLO api/avail: its time slice (10m) is longer than the shortest alert window (5m) of "
        "policy 'google'"
    ]
    assert check_services(_services(sli=sli.replace("10m", "5m"))) == []


def test_a_row_needing_exactly_the_highest_burn_is_flagged_as_the_engine_sees_it() -> None:
    """A 90% SLO burns at most 10x; a row whose factor is exactly 10 never fires.

    100% of a 30d budget in 3d is factor 10. In floats ``1 / (1 - 0.9)`` is
    10.000000000000002, so a check on the unrounded budget called the row reachable while
    the engine (``AlertThreshold.can_fire``) reports it unreachable.
    """
    row = AlertWindow("ticket", 100, 3 * 86400, 6 * 3600)
    table = AlertPolicy("all-in-3d", (row,))
    services = _services(objective="90", window="30d", alerting="{policy: all-in-3d}")
    problems = check_services(services, {"all-in-3d": table})
    assert [p.message for p in problems] == [
        "SLO api/avail: the ticket alert of policy 'all-in-3d' (100% of the budget in 3d) "
        "can never fire: a 90% SLO burns at most 10x, and the alert needs more than 10x"
    ]
    assert not AlertThreshold(row, row.factor(30 * 86400)).can_fire(0.9)


def test_an_unknown_alert_policy_is_an_error_even_with_alerting_disabled() -> None:
    """Report and generate look the policy up for every SLO; validate must not pass it."""
    problems = check_services(_services(alerting="{policy: fast, enabled: false}"))
    assert [(p.severity, p.message) for p in problems] == [
        ("error", "SLO api/avail: unknown alert policy 'fast'")
    ]


def _rules(step: str = "1m", step_seconds: int = 60) -> ProjectRules:
    return ProjectRules(
        alert_policies=dict(bundled_policies()),
        budget_policies={"default": DEFAULT_POLICY},
        step=step,
        step_seconds=step_seconds,
        config_file="proj/sloscope.yaml",
    )


def test_a_budget_policy_the_project_does_not_define_is_an_error_at_the_slo() -> None:
    loaded = load_text(
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: api}\nspec:\n  slos:\n"
        "    - name: avail\n      objective: 99.9\n      window: 28d\n"
        "      sli: {ratio: {good: ok_total, total: all_total}}\n"
        "      budget_policy: strict\n",
        "v.yaml",
    )
    problems = validate_project(loaded, _rules()).problems
    assert [str(p) for p in problems] == [
        "v.yaml:6:1: error: SLO 'avail' names unknown budget policy 'strict' (hint: known: "
        "default; define more under budget_policies: in sloscope.yaml)"
    ]


def test_a_step_that_does_not_divide_the_5m_window_is_an_error_in_the_config() -> None:
    loaded = load_text(
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: api}\nspec:\n  slos:\n"
        "    - name: avail\n      objective: 99.9\n      window: 28d\n"
        "      sli: {ratio: {good: ok_total, total: all_total}}\n",
        "v.yaml",
    )
    assert validate_project(loaded, _rules("30s", 30)).problems == ()
    problems = validate_project(loaded, _rules("7m", 420)).problems
    assert [(p.file, p.line, p.message) for p in problems] == [
        (
            "proj/sloscope.yaml",
            0,
            "step 7m does not divide the 5m window of alert policy 'google', so its burn "
            "rates cannot be evaluated",
        )
    ]


def test_project_checks_wait_until_the_specs_load_without_errors() -> None:
    """With a spec error, SLOs are missing: the project checks would judge a partial one."""
    loaded = load_text(
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: api}\nspec:\n  slos:\n"
        "    - name: avail\n      objective: 100\n      window: 28d\n"
        "      sli: {ratio: {good: ok_total, total: all_total}}\n"
        "    - name: other\n      objective: 90\n      window: 28d\n"
        "      sli: {ratio: {good: ok_total, total: all_total}}\n",
        "v.yaml",
    )
    result = validate_project(loaded, _rules("7m", 420))
    assert result.problems == loaded.problems
    assert [p.message[:40] for p in result.problems] == ["objective 100 leaves no error budget: ev"]
