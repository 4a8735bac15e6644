"""The release gate's decision: verdicts per SLO, exceptions, overrides, the wording."""

from __future__ import annotations

import pytest

from sloscope.errors import RequestError
from sloscope.policy.budget import DEFAULT_POLICY, BudgetPolicy, BudgetStep, ExceptionKind
from sloscope.policy.gate import (
    GateException,
    GateRequest,
    Override,
    SLOFigures,
    check_override,
    decide_gate,
    exit_code,
    judge,
)

AT = 1_795_176_000  # 2026-11-20T12:00:00Z
HOUR = 3600

STRICT = BudgetPolicy(
    "strict",
    (
        BudgetStep(0.25, "notify"),
        BudgetStep(None, "freeze", burn_rate=10.0, burn_window=HOUR),
        BudgetStep(0.75, "freeze"),
    ),
    on_no_data="closed",
    exceptions=(ExceptionKind("hotfix", "the on-call lead"),),
)


def figures(
    slo: str = "place-order-availability",
    consumed: float | None = 0.931,
    policy: BudgetPolicy = DEFAULT_POLICY,
    burn: float | None = 0.5,
    journey: str | None = "place-order",
) -> SLOFigures:
    return SLOFigures(
        service="checkout",
        slo=slo,
        journey=journey,
        window="28d",
        objective=0.999,
        policy=policy,
        consumed=consumed,
        remaining=None if consumed is None else 1 - consumed,
        burn_rates={HOUR: burn},
    )


def request(**kwargs: object) -> GateRequest:
    return GateRequest("checkout", AT, **kwargs)  # type: ignore[arg-type]


def test_a_slo_past_the_freeze_step_freezes_with_its_figures_in_the_reason() -> None:
    decision = decide_gate(request(), [figures(consumed=0.931)])
    assert decision.decision == "freeze"
    assert decision.exit_code == 1
    assert decision.reasons == (
        "checkout/place-order-availability: 93.1% of the 28d budget consumed, freeze at 90%",
    )


@pytest.mark.parametrize(
    ("consumed", "verdict", "reason"),
    [
        (0.12, "allow", "12% of the 28d budget consumed, below warn at 50%"),
        (0.5, "warn", "50% of the 28d budget consumed, warn at 50%"),
        (0.896, "warn", "89.6% of the 28d budget consumed, warn at 50%"),
        (0.9, "freeze", "90% of the 28d budget consumed, freeze at 90%"),
        (1.37, "freeze", "137% of the 28d budget consumed, freeze at 90%"),
    ],
)
def test_the_default_policy_warns_from_half_and_freezes_from_ninety_percent(
    consumed: float, verdict: str, reason: str
) -> None:
    judged = judge(figures(consumed=consumed))
    assert judged.verdict == verdict
    assert judged.reason == f"checkout/place-order-availability: {reason}"


def test_a_burn_rate_step_freezes_below_the_consumed_thresholds() -> None:
    judged = judge(figures(consumed=0.3, policy=STRICT, burn=14.24))
    assert judged.verdict == "freeze"
    assert judged.reason == (
        "checkout/place-order-availability: 30% of the 28d budget consumed, burn rate 14.2 "
        "over 1h, freeze at a burn rate of 10 over 1h"
    )
    assert judge(figures(consumed=0.3, policy=STRICT, burn=9.99)).verdict == "warn"


def test_a_burn_step_without_burn_data_does_not_hold() -> None:
    assert judge(figures(consumed=0.3, policy=STRICT, burn=None)).verdict == "warn"


def test_a_notify_step_may_allow_releases_silently() -> None:
    policy = BudgetPolicy("quiet", (BudgetStep(0.5, "notify", release="allow"),))
    judged = judge(figures(consumed=0.6, policy=policy))
    assert judged.verdict == "allow"
    assert judged.reason.endswith("60% of the 28d budget consumed, allow at 50%")


def test_no_data_warns_when_the_policy_fails_open_and_cannot_decide_when_closed() -> None:
    opened = decide_gate(request(), [figures(consumed=None)])
    assert opened.decision == "warn"
    assert opened.exit_code == 0
    assert opened.reasons == (
        "checkout/place-order-availability: no data in the 28d window; policy 'default' "
        "fails open (warn)",
    )
    closed = decide_gate(request(), [figures(consumed=None, policy=STRICT)])
    assert closed.decision == "cannot-decide"
    assert closed.exit_code == 2


def test_a_freeze_outranks_an_slo_that_cannot_be_judged() -> None:
    decision = decide_gate(
        request(), [figures("a", consumed=None, policy=STRICT), figures("b", consumed=0.95)]
    )
    assert decision.decision == "freeze"
    assert [v.figures.slo for v in decision.slos] == ["b", "a"]


def test_an_allowed_exception_with_a_reason_lifts_the_freeze_to_a_warning() -> None:
    exception = GateException("rollback", "back to 1.4.1, the release that broke checkout")
    decision = decide_gate(request(exception=exception), [figures(consumed=0.95)])
    assert decision.decision == "warn"
    assert decision.exit_code == 0
    assert decision.slos[0].lifted_by == "exception"
    assert decision.reasons[-1] == (
        "freeze lifted by a rollback exception: back to 1.4.1, the release that broke checkout"
    )


def test_an_exception_without_a_reason_is_bad_input() -> None:
    with pytest.raises(RequestError, match="needs a reason"):
        decide_gate(request(exception=GateException("rollback", "  ")), [figures()])


def test_an_exception_of_a_kind_no_policy_allows_is_bad_input_naming_the_allowed_kinds() -> None:
    with pytest.raises(RequestError, match="allowed: incident-fix, rollback, security"):
        decide_gate(request(exception=GateException("hotfix", "urgent")), [figures()])


def test_an_exception_only_lifts_the_freezes_of_policies_that_allow_it() -> None:
    decision = decide_gate(
        request(exception=GateException("hotfix", "fix the login loop")),
        [figures("a", consumed=0.95), figures("b", consumed=0.8, policy=STRICT)],
    )
    assert decision.decision == "freeze"
    assert {v.figures.slo: v.verdict for v in decision.slos} == {"a": "freeze", "b": "warn"}
    assert (
        "exception 'hotfix' is not one policy 'default' allows: checkout/a stays frozen"
        in decision.reasons
    )


def test_an_unneeded_exception_is_said_so_and_changes_nothing() -> None:
    decision = decide_gate(
        request(exception=GateException("security", "CVE patch")), [figures(consumed=0.1)]
    )
    assert decision.decision == "allow"
    assert decision.reasons[-1] == "exception 'security' was not needed: nothing is frozen"


def test_an_active_override_lifts_every_freeze_of_the_service() -> None:
    override = Override("checkout", "alice", "launch day, signed off by the VP", until=AT + HOUR)
    decision = decide_gate(request(), [figures(consumed=0.95)], [override])
    assert decision.decision == "warn"
    assert decision.override == override
    assert decision.reasons[-1] == (
        "freeze lifted by alice's override until 2026-11-20T13:00:00Z: launch day, signed off "
        "by the VP"
    )


@pytest.mark.parametrize(
    "override",
    [
        Override("checkout", "alice", "expired", until=AT),
        Override("checkout", "alice", "not yet", until=AT + 2 * HOUR, since=AT + HOUR),
        Override("search", "alice", "another service", until=AT + HOUR),
        Override("checkout", "alice", "another journey", until=AT + HOUR, journey="cart"),
    ],
)
def test_an_override_that_is_not_in_force_for_the_request_changes_nothing(
    override: Override,
) -> None:
    decision = decide_gate(request(journey="place-order"), [figures(consumed=0.95)], [override])
    assert decision.decision == "freeze"
    assert decision.override is None


def test_a_service_without_slos_to_judge_cannot_be_decided() -> None:
    decision = decide_gate(request(), [])
    assert decision.decision == "cannot-decide"
    assert decision.reasons == ("checkout: no SLOs to judge; the gate cannot decide",)


def test_exit_codes_are_zero_for_allow_and_warn_one_for_freeze_two_otherwise() -> None:
    assert [exit_code(d) for d in ("allow", "warn", "freeze", "cannot-decide")] == [0, 0, 1, 2]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (Override("checkout", " ", "launch", until=AT + HOUR, since=AT), "needs --by NAME"),
        (Override("checkout", "alice", "", until=AT + HOUR, since=AT), "needs --reason TEXT"),
        (
            Override("checkout", "alice", "launch", until=AT, since=AT),
            "expires at 2026-11-20T12:00:00Z, not after it starts at 2026-11-20T12:00:00Z",
        ),
        (
            Override("checkout", "alice", "launch", until=AT + 31 * 86_400, since=AT),
            "an override lasts at most 30 days",
        ),
    ],
)
def test_an_override_needs_who_why_and_an_expiry_within_thirty_days(
    override: Override, message: str
) -> None:
    with pytest.raises(RequestError, match=message):
        check_override(override)


def test_a_well_formed_override_passes_the_check() -> None:
    check_override(Override("checkout", "alice", "launch", until=AT + 30 * 86_400, since=AT))
