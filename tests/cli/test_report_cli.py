"""``sloscope report``: the JSON contract with hand-computed figures, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import AT, CliRunner
from tests.cli.test_incident_cli import _open


def _report(sloscope: CliRunner, ws: Path, *args: str) -> dict:
    result = sloscope("report", "-w", str(ws), "--at", str(AT), "--json", *args)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_report_json_has_the_hand_computed_figures(sloscope: CliRunner, ingested: Path) -> None:
    """7 days of 1000 req/min; 100 errors/min in the last 30 minutes only.

    total = 1000 × 10080 + 100 × 30 = 10,083,000; bad = 3,000;
    consumed = 3000 / (10,083,000 × 0.001); burn 5m = (500/5500)/0.001.
    """
    doc = _report(sloscope, ingested)
    assert doc["at"] == "2026-11-20T12:00:00Z"
    slo = doc["slos"][0]
    assert slo["service"] == "checkout"
    assert slo["slo"] == "orders-availability"
    assert slo["journey"] == "place-order"
    assert slo["objective"] == 0.999
    assert slo["window"] == "7d"
    assert slo["total"] == 10_083_000.0
    assert slo["good"] == 10_080_000.0
    assert slo["sli"] == pytest.approx(1 - 3000 / 10_083_000, abs=1e-8)
    assert slo["error_budget"]["consumed"] == pytest.approx(3000 / 10_083, abs=1e-6)
    assert slo["error_budget"]["remaining"] == pytest.approx(1 - 3000 / 10_083, abs=1e-6)
    burn = slo["burn_rates"]
    assert list(burn) == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    assert burn["5m"] == pytest.approx(500 / 5500 / 0.001, abs=1e-4)
    assert burn["30m"] == pytest.approx(3000 / 33000 / 0.001, abs=1e-4)
    assert burn["1h"] == pytest.approx(3000 / 63000 / 0.001, abs=1e-4)
    assert burn["3d"] == pytest.approx(3000 / (4320 * 1000 + 3000) / 0.001, abs=1e-4)
    # Lossless: full float precision, not 4 decimals (90.9090909... would read 90.9091).
    assert burn["5m"] == pytest.approx(500 / 5500 / 0.001, rel=1e-12)
    assert burn["5m"] != round(burn["5m"], 4)
    assert slo["error_budget"]["consumed"] == pytest.approx(3000 / 10_083, rel=1e-12)
    # For a 7d window: page 2% in 1h → 3.36, page 5% in 6h → 1.4, tickets 0.7 and 0.2333.
    assert slo["alerts"] == [
        {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 3.36},
        {"severity": "page", "long_window": "6h", "short_window": "30m", "factor": 1.4},
        {"severity": "ticket", "long_window": "1d", "short_window": "2h", "factor": 0.7},
        {"severity": "ticket", "long_window": "3d", "short_window": "6h", "factor": 0.2333333333},
    ]
    assert slo["policy"] == {"state": "ok", "reasons": []}


def test_a_slo_without_matching_series_reports_null_never_zero(
    sloscope: CliRunner, ingested: Path
) -> None:
    slo = _report(sloscope, ingested)["slos"][1]
    assert slo["slo"] == "orders-nodata"
    assert slo["sli"] is None
    assert slo["good"] is None
    assert slo["total"] is None
    assert slo["error_budget"] == {"consumed": None, "remaining": None}
    assert set(slo["burn_rates"].values()) == {None}
    assert slo["alerts"] == []
    assert slo["policy"]["state"] == "unknown"


def test_replaying_the_past_sees_no_errors_before_the_burn(
    sloscope: CliRunner, ingested: Path
) -> None:
    result = sloscope("report", "-w", str(ingested), "--at", str(AT - 3600), "--json")
    slo = json.loads(result.stdout)["slos"][0]
    assert slo["error_budget"]["consumed"] == 0.0
    assert slo["burn_rates"]["1h"] == 0.0
    assert slo["alerts"] == []


def test_policy_notifies_past_half_the_budget(sloscope: CliRunner, ingested: Path) -> None:
    (ingested / "sloscope.yaml").write_text(
        "budget_policies:\n"
        "  - name: default\n"
        "    steps: [{consumed: 20, action: notify}, {consumed: 90, action: freeze}]\n",
        encoding="utf-8",
    )
    slo = _report(sloscope, ingested)["slos"][0]
    assert slo["policy"] == {
        "state": "notify",
        "reasons": ["29.8% of the error budget consumed (notify at 20%)"],
    }


def test_service_filter_and_unknown_service(sloscope: CliRunner, ingested: Path) -> None:
    assert len(_report(sloscope, ingested, "--service", "checkout")["slos"]) == 2
    result = sloscope("report", "-w", str(ingested), "--service", "payments")
    assert result.code == 2
    assert "no service 'payments'" in result.stderr
    assert "checkout" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["md", "html", "table"])
def test_human_formats_show_every_slo(sloscope: CliRunner, ingested: Path, fmt: str) -> None:
    result = sloscope("report", "-w", str(ingested), "--at", str(AT), "--format", fmt)
    assert result.code == 0, result.stderr
    assert "orders-availability" in result.stdout
    assert "orders-nodata" in result.stdout
    assert "99.9%" in result.stdout


def test_html_report_escapes_names_from_specs(sloscope: CliRunner, ingested: Path) -> None:
    spec = ingested / "slos" / "checkout.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "description: Customer submits an order",
            'description: "<script>alert(1)</script>"',
        ),
        encoding="utf-8",
    )
    result = sloscope("report", "-w", str(ingested), "--at", str(AT), "--format", "html")
    assert result.code == 0, result.stderr
    assert "<script>" not in result.stdout


@pytest.mark.parametrize(
    ("at", "message"),
    [("yesterday", "is not a time"), ("2026-11-20T12:00:00", "has no time zone")],
)
def test_bad_at_is_exit_2_with_the_accepted_forms(
    sloscope: CliRunner, ingested: Path, at: str, message: str
) -> None:
    result = sloscope("report", "-w", str(ingested), "--at", at)
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_report_without_telemetry_says_how_to_load_it(sloscope: CliRunner, workspace: Path) -> None:
    result = sloscope("report", "-w", str(workspace))
    assert result.code == 2
    assert "sloscope ingest" in result.stderr


def test_report_with_an_invalid_spec_lists_the_problem_and_exits_2(
    sloscope: CliRunner, ingested: Path
) -> None:
    spec = ingested / "slos" / "checkout.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("objective: 99.9", "objective: 100"),
        encoding="utf-8",
    )
    result = sloscope("report", "-w", str(ingested))
    assert result.code == 2
    assert "checkout.yaml:13:18: error: objective 100" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_project_config_names_file_line_and_setting(
    sloscope: CliRunner, ingested: Path
) -> None:
    (ingested / "sloscope.yaml").write_text("step: 1m\nsource:\n  kind: duckdb\n", "utf-8")
    result = sloscope("report", "-w", str(ingested))
    assert result.code == 2
    assert "sloscope.yaml:3:3: source.kind: unknown setting" in result.stderr


@pytest.mark.parametrize("at", ["9999-12-31T00:00:00Z", "0001-01-01", "1969-12-31T23:59:59Z"])
def test_at_beyond_the_calendar_range_is_bad_input_not_a_bug(
    sloscope: CliRunner, ingested: Path, at: str
) -> None:
    """A calendar window at the end of year 9999 would start a period in year 10000."""
    result = sloscope("report", "-w", str(ingested), "--at", at)
    assert result.code == 2
    assert "--at: " in result.stderr
    assert "between 1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z" in result.stderr
    assert "unexpected" not in result.stderr


def test_unknown_alert_policy_with_alerting_disabled_is_a_spec_error(
    sloscope: CliRunner, ingested: Path
) -> None:
    spec = ingested / "slos" / "checkout.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "        runbook: https://runbooks.example.com/checkout\n",
            "        runbook: https://runbooks.example.com/checkout\n"
            "        enabled: false\n        policy: nosuch\n",
        ),
        encoding="utf-8",
    )
    assert sloscope("validate", "-w", str(ingested)).code == 1
    result = sloscope("report", "-w", str(ingested))
    assert result.code == 2
    assert "unknown alert policy 'nosuch'" in result.stderr
    assert "unexpected" not in result.stderr


def test_project_config_that_is_a_folder_is_an_error(sloscope: CliRunner, ingested: Path) -> None:
    (ingested / "sloscope.yaml").mkdir()
    result = sloscope("report", "-w", str(ingested))
    assert result.code == 2
    assert "sloscope.yaml: not a file" in result.stderr


def _fire(ws: Path, slo: str, severity: str, at: int, *, resolve: bool = True) -> None:
    """Record an alert of ``checkout``/``slo`` firing at ``at`` (resolved 10 minutes later)."""
    from sloscope.store.alerts import AlertIdentity
    from tests.cli.test_alert_cli import record_alert

    record_alert(ws, AlertIdentity("checkout", slo, severity), at, resolve=resolve)


def test_report_shows_alerts_per_week_and_the_actionable_share_from_the_state_store(
    sloscope: CliRunner, ingested: Path
) -> None:
    plain = json.loads(sloscope("report", "-w", str(ingested), "--at", str(AT), "--json").stdout)
    assert "alerts" not in plain  # no state store yet: none is created
    assert not (ingested / ".sloscope" / "state.db").exists()
    _fire(ingested, "orders-availability", "ticket", AT - 40 * 86_400)  # before the 28 days
    quiet = json.loads(sloscope("report", "-w", str(ingested), "--at", str(AT), "--json").stdout)
    assert quiet == plain  # a store without alerts in the 28 days adds nothing
    _fire(ingested, "orders-availability", "page", AT - 3 * 86_400)
    _fire(ingested, "orders-availability", "page", AT - 1800)  # an incident follows it
    # The incident opens 10 minutes after the second page: that page was actionable.
    _open(sloscope, ingested, at=str(AT - 1200))
    doc = json.loads(sloscope("report", "-w", str(ingested), "--at", str(AT), "--json").stdout)
    assert set(plain) <= set(doc)
    alerts = doc["alerts"]
    assert (alerts["from"], alerts["to"]) == ("2026-10-23T12:00:00Z", "2026-11-20T12:00:00Z")
    assert (alerts["alerts"], alerts["actionable"]) == (2, 1)
    assert alerts["per_week"] == 0.5
    assert alerts["actionable_share"] == 0.5
    assert alerts["services"] == [
        {
            "service": "checkout",
            "alerts": 2,
            "per_week": 0.5,
            "actionable": 1,
            "actionable_share": 0.5,
        }
    ]
    human = sloscope("report", "-w", str(ingested), "--at", str(AT)).stdout
    assert "Alerts (last 28 days, from the state store)" in human
    assert "- overall: 0.5/week (2 alerts), actionable 50% (1 of 2)" in human
    assert "- checkout: 0.5/week (2 alerts), actionable 50% (1 of 2)" in human
