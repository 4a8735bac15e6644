"""``sloscope gate`` and ``sloscope policy doc`` on the hand-computed checkout workspace.

orders-availability (99.9%, 7d) has consumed 3000 / 10,083 = 29.75% of its budget, with a
1h burn rate of (3000 / 63,000) / 0.001 = 47.6; orders-nodata matches no series.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import AT, CliRunner

STRICT = """\
budget_policies:
  - name: strict
    scope: {slos: [checkout/orders-availability]}
    steps: [{consumed: 10, action: notify}, {consumed: 25, action: freeze}]
    exceptions: [{kind: hotfix, granted_by: the on-call lead}]
  - name: closed
    scope: {slos: [checkout/orders-nodata]}
    steps: [{consumed: 50, action: notify}]
    on_no_data: closed
    exceptions: [rollback]
"""


pytestmark = pytest.mark.usefixtures("outside_github")


def _gate(sloscope: CliRunner, ws: Path, *args: str) -> tuple[int, dict]:
    result = sloscope("gate", "checkout", "-w", str(ws), "--at", str(AT), "--json", *args)
    return result.code, json.loads(result.stdout) if result.stdout else {}


def test_the_default_policy_warns_for_the_slo_without_data_and_allows_the_other(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope("gate", "checkout", "-w", str(ingested), "--at", str(AT), "--version", "2.0")
    assert result.code == 0
    assert result.stdout.splitlines() == [
        "checkout 2.0: WARN at 2026-11-20T12:00:00Z",
        "  warn            checkout/orders-nodata: no data in the 7d window (no series matched "
        "the SLI); policy 'default' fails open (warn)",
        "  allow           checkout/orders-availability: 29.8% of the 7d budget consumed, "
        "below warn at 50%",
    ]


def test_the_json_names_every_figure_and_the_policy(sloscope: CliRunner, ingested: Path) -> None:
    code, doc = _gate(sloscope, ingested, "--version", "2.0")
    assert code == 0
    assert (doc["service"], doc["version"], doc["decision"], doc["exit_code"]) == (
        "checkout",
        "2.0",
        "warn",
        0,
    )
    assert doc["at"] == "2026-11-20T12:00:00Z"
    slo = next(s for s in doc["slos"] if s["slo"] == "orders-availability")
    assert slo["error_budget"]["consumed"] == pytest.approx(3000 / 10_083)
    assert slo["burn_rates"]["1h"] == pytest.approx(3000 / 63_000 / 0.001)
    assert (slo["verdict"], slo["policy"], slo["step"]) == ("allow", "default", None)
    assert doc["policy"]["default"]["steps"] == [
        {"consumed": 0.5, "burn_rate": None, "over": None, "action": "notify", "release": "warn"},
        {"consumed": 0.9, "burn_rate": None, "over": None, "action": "freeze", "release": "freeze"},
    ]


def test_a_stricter_scoped_policy_freezes_and_exits_1(sloscope: CliRunner, ingested: Path) -> None:
    (ingested / "sloscope.yaml").write_text(STRICT, encoding="utf-8")
    code, doc = _gate(sloscope, ingested)
    assert code == 1
    assert doc["decision"] == "freeze"
    assert doc["reasons"][0] == (
        "checkout/orders-availability: 29.8% of the 7d budget consumed, freeze at 25%"
    )


def test_a_journey_gate_judges_only_that_journeys_slos(sloscope: CliRunner, ingested: Path) -> None:
    code, doc = _gate(sloscope, ingested, "--journey", "place-order")
    assert code == 0
    assert len(doc["slos"]) == 2
    result = sloscope("gate", "checkout", "-w", str(ingested), "--journey", "cart")
    assert result.code == 2
    assert "service 'checkout' has no SLOs of journey 'cart'; its journeys: place-order" in (
        result.stderr
    )


def test_an_allowed_exception_lifts_the_freeze_but_a_closed_policy_without_data_cannot_decide(
    sloscope: CliRunner, ingested: Path
) -> None:
    (ingested / "sloscope.yaml").write_text(STRICT, encoding="utf-8")
    code, doc = _gate(sloscope, ingested, "--exception", "hotfix", "--reason", "fix the 500s")
    assert code == 2
    assert doc["decision"] == "cannot-decide"
    assert doc["exception"] == {"kind": "hotfix", "reason": "fix the 500s"}
    verdicts = {s["slo"]: (s["verdict"], s["lifted_by"]) for s in doc["slos"]}
    assert verdicts == {
        "orders-availability": ("warn", "exception"),
        "orders-nodata": ("unknown", None),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exception", "hotfix"], "exception 'hotfix' needs a reason: add --reason TEXT"),
        (
            ["--exception", "deploy-anyway", "--reason", "x"],
            "exception kind 'deploy-anyway' is not allowed by the budget policy (default); "
            "allowed: incident-fix, rollback, security",
        ),
        (["--reason", "x"], "--reason goes with --exception KIND"),
        (["--at", "yesterday"], "--at: 'yesterday' is not a time"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_decision(
    sloscope: CliRunner, ingested: Path, args: list[str], message: str
) -> None:
    result = sloscope("gate", "checkout", "-w", str(ingested), *args)
    assert result.code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_an_unknown_service_exits_2(sloscope: CliRunner, ingested: Path) -> None:
    result = sloscope("gate", "payments", "-w", str(ingested))
    assert result.code == 2
    assert "no service 'payments' in the specs; known services: checkout" in result.stderr


def test_without_a_telemetry_store_the_policy_decides_open_or_closed(
    sloscope: CliRunner, workspace: Path
) -> None:
    code, doc = _gate(sloscope, workspace)
    assert (code, doc["decision"]) == (0, "warn")
    assert "no telemetry store at" in doc["slos"][0]["note"]
    (workspace / "sloscope.yaml").write_text(STRICT, encoding="utf-8")
    code, doc = _gate(sloscope, workspace)
    assert (code, doc["decision"]) == (2, "cannot-decide")


def test_in_github_actions_it_annotates_and_appends_a_summary_table(
    sloscope: CliRunner, ingested: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (ingested / "sloscope.yaml").write_text(STRICT, encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = sloscope("gate", "checkout", "-w", str(ingested), "--at", str(AT))
    assert result.code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error title=sloscope gate%3A checkout freeze::checkout/orders-availability: 29.8%25 "
        "of the 7d budget consumed, freeze at 25%25",
        "::error title=sloscope gate%3A checkout freeze::checkout/orders-nodata: no data in "
        "the 7d window (no series matched the SLI); policy 'closed' fails closed: cannot decide",
    ]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### sloscope gate: checkout: **freeze**\n")
    assert "| checkout/orders-availability | 29.8% | freeze | strict |" in text


def test_an_unwritable_step_summary_is_a_plain_warning_and_the_decision_stands(
    sloscope: CliRunner, ingested: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (ingested / "sloscope.yaml").write_text(STRICT, encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    result = sloscope("gate", "checkout", "-w", str(ingested), "--at", str(AT))
    assert result.code == 1
    assert "warning: cannot append to GITHUB_STEP_SUMMARY: No such file or directory" in (
        result.stderr
    )
    assert "[yellow]" not in result.stderr


def test_policy_doc_writes_the_configured_policy_as_markdown(
    sloscope: CliRunner, ingested: Path
) -> None:
    (ingested / "sloscope.yaml").write_text(STRICT, encoding="utf-8")
    target = ingested / "docs" / "policy.md"
    result = sloscope("policy", "doc", "-w", str(ingested), "-o", str(target))
    assert result.code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Error budget policy\n")
    assert "## Policy `strict`" in text
    assert "| 2 | 25% of the budget consumed | freeze releases |" in text
    assert "| `hotfix` | the on-call lead | - |" in text
    assert "SLOs governed now: `checkout/orders-availability`." in text
    assert "The gate fails closed" in text


def test_the_example_workflow_calls_the_gate_with_options_it_has(sloscope: CliRunner) -> None:
    workflow = Path(__file__).parents[2] / "examples" / "github-actions" / "release-gate.yml"
    doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    steps = doc["jobs"]["gate"]["steps"]
    script = next(s["run"] for s in steps if "gate" in s.get("run", ""))
    assert 'args=(gate "$SERVICE" --version "$GITHUB_REF_NAME")' in script
    assert 'args+=(--exception "$EXCEPTION" --reason "$REASON")' in script
    assert doc["jobs"]["deploy"]["needs"] == "gate"
    usage = " ".join(sloscope("gate", "--help").stdout.split())
    for option in ("--version", "--exception", "--reason", "--journey", "--json", "--at"):
        assert option in usage


def test_report_and_gate_judge_by_the_same_scoped_policy(
    sloscope: CliRunner, ingested: Path
) -> None:
    """A burn-rate step over 1h (47.6 here) reaches the report's policy state too."""
    (ingested / "sloscope.yaml").write_text(
        "budget_policies:\n  - name: fast\n    scope: {services: [checkout]}\n"
        "    steps: [{burn_rate: 40, over: 1h, action: freeze}]\n",
        encoding="utf-8",
    )
    result = sloscope("report", "-w", str(ingested), "--at", str(AT), "--json")
    slo = json.loads(result.stdout)["slos"][0]
    assert slo["policy"] == {
        "state": "freeze",
        "reasons": [
            "29.8% of the error budget consumed, burn rate 47.6 (freeze at a burn rate of "
            "40 over 1h)"
        ],
    }
    code, doc = _gate(sloscope, ingested)
    assert (code, doc["decision"]) == (1, "freeze")
    assert doc["reasons"][0] == (
        "checkout/orders-availability: 29.8% of the 7d budget consumed, burn rate 47.6 over "
        "1h, freeze at a burn rate of 40 over 1h"
    )


def test_validate_names_a_burn_step_the_evaluation_step_does_not_divide(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "sloscope.yaml").write_text(
        "budget_policies:\n  - name: odd\n"
        "    steps: [{burn_rate: 10, over: 90s, action: freeze}]\n",
        encoding="utf-8",
    )
    result = sloscope("validate", "-w", str(workspace))
    assert result.code == 1
    assert (
        "budget policy 'odd' reads a burn rate over 90s, which is not a whole number of 1m steps"
        in " ".join(result.stderr.split())
    )
