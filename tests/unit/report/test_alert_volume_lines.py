"""The plain report's "Alerts" section, line by line."""

from __future__ import annotations

from sloscope.records.report_sections import alert_volume_lines


def _figures(alerts: int, actionable: int) -> dict[str, object]:
    share = actionable / alerts if alerts else None
    return {
        "alerts": alerts,
        "per_week": alerts / 4,
        "actionable": actionable,
        "actionable_share": share,
    }


def test_each_service_line_counts_its_alerts_in_words() -> None:
    volume = {
        **_figures(3, 2),
        "services": [
            {"service": "checkout", **_figures(2, 2)},
            {"service": "search", **_figures(1, 0)},
        ],
    }
    assert alert_volume_lines(volume)[3:] == [
        "- overall: 0.8/week (3 alerts), actionable 67% (2 of 3)",
        "- checkout: 0.5/week (2 alerts), actionable 100% (2 of 2)",
        "- search: 0.2/week (1 alert), actionable 0% (0 of 1)",
    ]
