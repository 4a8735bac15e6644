"""Checks that need the alert tables: alerts that cannot fire, windows, slices, PromQL."""

from __future__ import annotations

from sloscope.engine.burn import AlertThreshold
from sloscope.engine.windows import AlertPolicy, AlertWindow
from sloscope.spec.load import load_text
from sloscope.spec.model import Service
from sloscope.validation import check_services, max_burn_rate


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
            "known alert policies: google; define others under alert_policies in sloscope.yaml",
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
