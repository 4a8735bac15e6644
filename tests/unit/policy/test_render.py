"""Gate output for machines and the policy document: escaping, tables, defaults."""

from __future__ import annotations

from sloscope.events.priority import DEFAULT_PRIORITIES
from sloscope.policy.budget import DEFAULT_POLICY, BudgetPolicy, BudgetStep, PolicyText
from sloscope.policy.document import IncidentRules, render_policy_document
from sloscope.policy.gate import GateDecision, GateException, GateRequest, SLOFigures, decide_gate
from sloscope.policy.render import gate_to_dict, github_annotations, github_summary

AT = 1_795_176_000


def _decision(
    consumed: float | None,
    exception: GateException | None = None,
    policy: BudgetPolicy = DEFAULT_POLICY,
    note: str = "",
) -> GateDecision:
    figures = SLOFigures("checkout", "a|b", None, "28d", 0.999, policy, consumed, None, {}, note)
    return decide_gate(GateRequest("checkout", AT, version="1.0", exception=exception), [figures])


def test_annotations_escape_percent_signs_and_the_title_colon() -> None:
    decision = _decision(0.95, GateException("rollback", "back to 0.9"))
    assert github_annotations(decision) == (
        "::warning title=sloscope gate%3A checkout 1.0 warn::checkout/a|b: 95%25 of the 28d "
        "budget consumed, freeze at 90%25\n"
    )


def test_a_newline_in_a_reason_stays_inside_one_annotation() -> None:
    closed = BudgetPolicy("closed", DEFAULT_POLICY.steps, on_no_data="closed")
    decision = _decision(None, policy=closed, note="store said:\nlocked")
    assert github_annotations(decision) == (
        "::error title=sloscope gate%3A checkout 1.0 cannot-decide::checkout/a|b: no data in "
        "the 28d window (store said:%0Alocked); policy 'closed' fails closed: cannot decide\n"
    )


def test_an_allowed_release_has_no_annotations() -> None:
    assert github_annotations(_decision(0.1)) == ""


def test_the_summary_escapes_table_pipes_and_lists_the_extra_reasons() -> None:
    decision = _decision(0.95, GateException("rollback", "back to 0.9"))
    assert github_summary(decision) == (
        "### sloscope gate: checkout 1.0: **warn**\n\n"
        "| SLO | budget consumed | verdict | policy | reason |\n"
        "| --- | ---: | --- | --- | --- |\n"
        "| checkout/a\\|b | 95% | warn (lifted by exception) | default | checkout/a\\|b: 95% of "
        "the 28d budget consumed, freeze at 90% |\n\n"
        "- freeze lifted by a rollback exception: back to 0.9\n\n"
    )


def test_no_data_is_null_in_the_json() -> None:
    doc = gate_to_dict(_decision(None))
    assert doc["slos"][0]["error_budget"] == {"consumed": None, "remaining": None}
    assert doc["decision"] == "warn"


def test_the_document_says_what_is_not_set_rather_than_inventing_it() -> None:
    rules = IncidentRules(DEFAULT_PRIORITIES, "P4", 3600, 30 * 86400)
    text = render_policy_document({"default": DEFAULT_POLICY}, rules)
    assert (
        "| 1 | 50% of the budget consumed | notify the owners | allowed, with a warning |" in text
    )
    assert "Not set: add `escalation:` to this policy in sloscope.yaml." in text
    assert "No cadence set: add `review:`." in text
    assert "| P1 | 20% of the budget |" in text
    assert "within 1h after it and before the next deployment" in text


def test_the_document_carries_the_policy_text_and_burn_steps() -> None:
    policy = BudgetPolicy(
        "fast",
        (BudgetStep(None, "freeze", burn_rate=10, burn_window=3600),),
        text=PolicyText(escalation=("the team lead", "the CTO"), review="every quarter"),
    )
    rules = IncidentRules(DEFAULT_PRIORITIES, "P4", 3600, 30 * 86400)
    text = render_policy_document({"fast": policy, "default": DEFAULT_POLICY}, rules)
    assert text.index("## Policy `default`") < text.index("## Policy `fast`")
    assert "| 1 | burn rate at least 10 over 1h | freeze releases |" in text
    assert "1. the team lead\n2. the CTO" in text
    assert "Reviewed every quarter." in text
