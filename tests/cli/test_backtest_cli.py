"""``sloscope backtest`` and ``sloscope tune``: the JSON contract, bad input, and the demo."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import AT, DAY, CliRunner

END = "2026-11-20T12:00:00Z"
FROM = str(AT - 7 * DAY)
BURN_START = "2026-11-20T11:30:00Z"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 20-day demo workspace (every demo incident fits) and what the demo printed."""
    ws = tmp_path_factory.mktemp("demo") / "ws"
    proc = subprocess.run(
        [sys.executable, "-m", "sloscope.cli", "demo", "-w", str(ws), "--days", "20", "--at", END],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return ws, proc.stdout


def test_the_demo_prints_a_one_line_backtest(demo: tuple[Path, str]) -> None:
    _, printed = demo
    line = next(x for x in printed.splitlines() if x.startswith("backtest:"))
    assert re.fullmatch(
        r"backtest: 5 of 5 incidents detected, \d+ alerts \(\d+\.\d/week\), "
        r"the static 5-minute policy would have sent \d+ \(\d+\.\d/week\)",
        line,
    ), line


def test_the_demo_backtest_works_in_a_relative_workspace(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    result = sloscope("demo", "-w", "ws", "--days", "5", "--at", END, cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "backtest: 3 of 3 incidents detected" in result.stdout


def test_backtest_json_keeps_the_contract(sloscope: CliRunner, demo: tuple[Path, str]) -> None:
    ws, _ = demo
    truth = ws / ".sloscope" / "demo-truth.json"
    args = ["backtest", "-w", str(ws), "--from", "2026-11-01T12:00:00Z", "--to", END]
    result = sloscope(*args, "--truth", str(truth), "--compare", "static", "--json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"from", "to", "evaluation_interval", "alerts", "alerts_per_week", "quality"} <= set(doc)
    assert (doc["from"], doc["to"], doc["evaluation_interval"]) == (
        "2026-11-01T12:00:00Z",
        END,
        "1m",
    )
    assert "policies" not in doc
    alert = doc["alerts"][0]
    contract = {"service", "slo", "severity", "start", "end", "peak_burn_rate", "budget_consumed"}
    assert contract <= set(alert)
    assert alert["severity"] in ("page", "ticket")
    quality = doc["quality"]
    assert {
        "precision",
        "recall",
        "detection_seconds_median",
        "reset_seconds_median",
        "missed",
        "false_alerts",
    } <= set(quality)
    # Every demo incident of the 20 days lies in the range from November 1st.
    assert quality["recall"] == 1.0
    assert quality["incidents"] == 5
    static = doc["compare"]["static"]
    assert set(static) == {"alerts_per_week", "alerts"}
    assert static["alerts_per_week"] > doc["alerts_per_week"]
    weeks = 19 / 7
    assert doc["alerts_per_week"] == pytest.approx(
        sum(a["start"] > doc["from"] for a in doc["alerts"]) / weeks
    )


def test_backtest_prints_a_table_by_default(sloscope: CliRunner, demo: tuple[Path, str]) -> None:
    ws, _ = demo
    result = sloscope("backtest", "-w", str(ws), "--from", "2026-11-14T12:00:00Z", "--to", END)
    assert result.code == 0, result.stderr
    assert "place-order-availability" in result.stdout
    assert "backtest: " in result.stdout


def test_several_policies_are_compared_side_by_side(sloscope: CliRunner, ingested: Path) -> None:
    (ingested / "sloscope.yaml").write_text(
        "alert_policies:\n"
        "  - name: pages-only\n"
        "    windows:\n"
        "      - {severity: page, budget_percent: 2, long: 1h, short: 5m}\n",
        encoding="utf-8",
    )
    args = ["backtest", "-w", str(ingested), "--from", FROM, "--to", str(AT), "--json"]
    result = sloscope(*args, "--policy", "google", "--policy", "pages-only")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["policy"] == "google"
    assert set(doc["policies"]) == {"google", "pages-only"}
    assert doc["policies"]["google"]["alerts"] == doc["alerts"]
    (page,) = doc["policies"]["pages-only"]["alerts"]
    # 100 failed requests a minute beside 1000 good ones from 11:30: after k minutes the
    # 1h burn is 100k / (60000 + 100k) / 0.001; k = 2 gives 3.32, k = 3 gives 4.98, and
    # the 1h/5m page of a 7d SLO fires above 3.36: at 11:33, still firing at the end.
    assert page["start"] == "2026-11-20T11:33:00Z"
    assert page["end"] == "2026-11-20T12:00:00Z"
    assert page["resolved"] is False


def test_from_after_to_is_bad_input(sloscope: CliRunner, ingested: Path) -> None:
    result = sloscope("backtest", "-w", str(ingested), "--from", str(AT), "--to", FROM)
    assert result.code == 2
    assert "--from" in result.stderr
    assert "must be before --to" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("incident", "field"),
    [
        (
            {"service": "checkout", "slo": "nope", "start": FROM, "end": str(AT)},
            r"incidents\[0\]\.slo",
        ),
        ({"service": "billing", "start": FROM, "end": str(AT)}, r"incidents\[0\]\.service"),
        ({"service": "checkout", "start": str(AT), "end": FROM}, r"incidents\[0\]\.end.*inverted"),
    ],
)
def test_a_bad_truth_file_names_the_field(
    sloscope: CliRunner, ingested: Path, incident: dict[str, str], field: str
) -> None:
    truth = ingested / "truth.json"
    truth.write_text(json.dumps({"incidents": [incident]}), encoding="utf-8")
    args = ["backtest", "-w", str(ingested), "--from", FROM, "--to", str(AT)]
    result = sloscope(*args, "--truth", str(truth))
    assert result.code == 2
    assert re.search(field, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_a_truth_file_that_is_not_json_is_bad_input(sloscope: CliRunner, ingested: Path) -> None:
    truth = ingested / "truth.json"
    truth.write_text('{"incidents": [', encoding="utf-8")
    args = ["backtest", "-w", str(ingested), "--from", FROM, "--to", str(AT)]
    result = sloscope(*args, "--truth", str(truth))
    assert result.code == 2
    assert "truth.json:1:" in result.stderr
    assert "not JSON" in result.stderr


def test_a_counter_reset_raises_nothing(sloscope: CliRunner, workspace: Path) -> None:
    """Both counters restart from 0 mid-way (a process restart): no error burst appears."""
    start, restart = AT - 2 * DAY, AT - DAY
    lines = ["# TYPE http_requests counter"]
    ok = 0
    for t in range(start, AT + 1, 60):
        ok = 0 if t == restart else ok + 1000
        lines.append(f'http_requests_total{{service="checkout",code="200"}} {ok} {t}')
    for t in range(start, AT + 1, 60):
        # 400 errors happened before the data; the restart sets the counter back to 0.
        lines.append(
            f'http_requests_total{{service="checkout",code="500"}} {0 if t >= restart else 400} {t}'
        )
    lines.append("# EOF")
    (workspace / "metrics.om").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert sloscope("ingest", str(workspace / "metrics.om"), "-w", str(workspace)).code == 0
    args = ["backtest", "-w", str(workspace), "--from", str(start), "--to", str(AT), "--json"]
    result = sloscope(*args, "--compare", "static")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["alerts"] == []
    assert doc["compare"]["static"]["alerts"] == []


def test_a_maintenance_adjustment_hides_the_burn_from_backtest_and_report_alike(
    sloscope: CliRunner, ingested: Path
) -> None:
    (ingested / "sloscope.yaml").write_text(
        "adjustments:\n"
        "  - reason: planned failover\n"
        "    matchers: ['service=\"checkout\"']\n"
        f"    start: {BURN_START}\n"
        "    duration: 1h\n",
        encoding="utf-8",
    )
    args = ["backtest", "-w", str(ingested), "--from", FROM, "--to", str(AT), "--json"]
    assert json.loads(sloscope(*args).stdout)["alerts"] == []
    report = json.loads(sloscope("report", "-w", str(ingested), "--at", str(AT), "--json").stdout)
    slo = report["slos"][0]
    assert slo["alerts"] == []
    assert slo["error_budget"]["consumed"] == 0.0


def test_a_bad_rrule_is_bad_input_naming_the_field(sloscope: CliRunner, ingested: Path) -> None:
    (ingested / "sloscope.yaml").write_text(
        "adjustments:\n"
        "  - reason: weekly\n"
        f"    start: {BURN_START}\n"
        "    duration: 1h\n"
        "    rrule: FREQ=FORTNIGHTLY\n",
        encoding="utf-8",
    )
    result = sloscope("backtest", "-w", str(ingested), "--from", FROM, "--to", str(AT))
    assert result.code == 2
    assert "adjustments.0" in result.stderr
    assert "rrule: 'FREQ=FORTNIGHTLY' is not an RFC 5545 recurrence rule" in result.stderr


def test_tune_proposes_and_writes_only_when_asked(sloscope: CliRunner, ingested: Path) -> None:
    config = ingested / "sloscope.yaml"
    kept = "budget_policies:\n  - name: strict\n    steps: [{consumed: 30, action: freeze}]\n"
    config.write_text(kept, encoding="utf-8")
    truth = ingested / "truth.json"
    incident = {
        "service": "checkout",
        "slo": "orders-availability",
        "start": BURN_START,
        "end": END,
    }
    truth.write_text(json.dumps({"incidents": [incident]}), encoding="utf-8")
    args = ["tune", "-w", str(ingested), "--truth", str(truth), "--from", FROM, "--to", str(AT)]
    shown = sloscope(*args)
    assert shown.code == 0, shown.stderr
    assert "orders-availability" in shown.stdout
    assert "1/1 → 1/1" in shown.stdout
    assert config.read_text(encoding="utf-8") == kept
    written = sloscope(*args, "--write")
    assert written.code == 0, written.stderr
    text = config.read_text(encoding="utf-8")
    assert "name: strict" in text
    assert "tuned-checkout-orders-availability" in text
    assert (ingested / "sloscope.yaml.bak").read_text(encoding="utf-8") == kept
    assert sloscope("validate", "-w", str(ingested)).code == 0
    # The tuned policy still detects the incident.
    check = sloscope(
        "backtest",
        "-w",
        str(ingested),
        "--from",
        FROM,
        "--to",
        str(AT),
        "--truth",
        str(truth),
        "--json",
    )
    assert json.loads(check.stdout)["quality"]["recall"] == 1.0


def test_validate_warns_when_traffic_is_too_low_for_the_alert_windows(
    sloscope: CliRunner, workspace: Path
) -> None:
    lines = ["# TYPE http_requests counter"]
    for i, t in enumerate(range(AT - 2 * DAY, AT + 1, 600)):
        lines.append(f'http_requests_total{{service="checkout",code="200"}} {i} {t}')
    lines.append("# EOF")
    (workspace / "metrics.om").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert sloscope("ingest", str(workspace / "metrics.om"), "-w", str(workspace)).code == 0
    result = sloscope("validate", "-w", str(workspace))
    assert result.code == 0, result.stderr
    assert "orders-availability: recent traffic is too low for the 5m window of its page" in (
        result.stderr
    )
    assert "below the guard's min_total of 100" in result.stderr
