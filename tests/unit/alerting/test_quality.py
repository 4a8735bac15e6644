"""Truth files and backtest quality figures (sloscope.alerting.quality)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sloscope.alerting.model import Alert, Link
from sloscope.alerting.quality import Incident, load_truth, parse_truth, score
from sloscope.errors import ConfigError

KNOWN = {"checkout": {"orders", "cart"}, "search": {"queries"}}


def incident(service: str, start: str, end: str, slo: str | None = None) -> dict[str, str]:
    doc = {"service": service, "start": start, "end": end}
    if slo:
        doc["slo"] = slo
    return doc


def test_a_truth_file_gives_incidents_with_unix_times() -> None:
    doc = {"incidents": [incident("checkout", "2026-10-03T14:00:00Z", "1791043500", "orders")]}
    assert parse_truth(doc, KNOWN) == (Incident("checkout", 1791036000, 1791043500, "orders"),)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"incident": []}, "^incidents: the truth file must be"),
        ({"incidents": [incident("billing", "1", "2")]}, r"^incidents\[0\]\.service: no service"),
        (
            {"incidents": [incident("checkout", "100000000", "100000060", "refunds")]},
            r"^incidents\[0\]\.slo: service 'checkout' has no SLO 'refunds'",
        ),
        (
            {"incidents": [incident("checkout", "2026-10-03T15:00:00Z", "2026-10-03T14:00:00Z")]},
            r"^incidents\[0\]\.end: must be after start \(the times are inverted\)",
        ),
        (
            {"incidents": [incident("checkout", "yesterday", "2026-10-03T14:00:00Z")]},
            r"^incidents\[0\]\.start: 'yesterday' is not a time",
        ),
        ({"incidents": [{"service": "checkout", "start": 1}]}, r"^incidents\[0\]\.start: must be"),
        ({"incidents": [{**incident("checkout", "1", "2"), "sev": 1}]}, r"\.sev: unknown field"),
    ],
)
def test_a_bad_truth_file_names_the_field(doc: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_truth(doc, KNOWN)


def test_a_truth_file_that_is_not_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    path.write_text('{"incidents": [\n  {"service": }\n]}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"truth.json:2:15: not JSON"):
        load_truth(path, KNOWN)
    path.write_text(json.dumps({"incidents": [incident("nope", "1", "2")]}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"truth.json: incidents\[0\]\.service"):
        load_truth(path, KNOWN)


def alert(service: str, slo: str, start: int, last: int, severity: str = "page") -> Alert:
    return Alert(service, slo, severity, start, last, interval=60)  # type: ignore[arg-type]


def test_the_figures_match_a_hand_count() -> None:
    incidents = [
        Incident("checkout", 1000, 2000, "orders"),  # found 120s in, resolved 600s after
        Incident("checkout", 5000, 6000),  # any SLO of checkout: found by the cart ticket
        Incident("search", 9000, 9500, "queries"),  # nothing fires: missed
    ]
    alerts = [
        alert("checkout", "orders", 1120, 2540),
        alert("checkout", "cart", 5300, 6000, "ticket"),
        alert("checkout", "orders", 7000, 7100),  # overlaps nothing: false
        alert("search", "queries", 20000, 20100),  # false
    ]
    q = score(alerts, incidents)
    assert q.precision == 2 / 4
    assert q.recall == 2 / 3
    # detections: 120 and 300 seconds; resets: 2600 - 2000 = 600 and 6060 - 6000 = 60.
    assert q.detection_seconds_median == 210.0
    assert q.reset_seconds_median == 330.0
    assert q.missed == (incidents[2],)
    assert [a.start for a in q.false_alerts] == [7000, 20000]


def test_an_alert_of_another_slo_does_not_detect_an_incident_that_names_its_slo() -> None:
    q = score([alert("checkout", "cart", 1000, 2000)], [Incident("checkout", 1000, 2000, "orders")])
    assert (q.precision, q.recall, q.detection_seconds_median) == (0.0, 0.0, None)


def test_a_folded_alert_counts_for_the_incident_of_its_own_slo() -> None:
    held = Link("held", "k", "checkout", "orders", "page", 1200, 1500)
    payments = alert("payments", "charges", 1000, 1800).with_links(held)
    q = score([payments], [Incident("checkout", 1100, 1600, "orders")])
    assert (q.precision, q.recall, q.detection_seconds_median) == (1.0, 1.0, 100.0)


def test_without_alerts_or_incidents_the_ratios_are_null_never_zero() -> None:
    q = score([], [])
    assert (q.precision, q.recall, q.detection_seconds_median) == (None, None, None)
