"""A backtest as the JSON contract, as a terminal table, and as one line.

JSON (``backtest --json``)::

    {"from": "...", "to": "...", "evaluation_interval": "1m",
     "alerts": [{"service", "slo", "severity", "start", "end", "peak_burn_rate",
                 "budget_consumed", ...}],
     "alerts_per_week": 1.5,
     "quality": {"precision", "recall", "detection_seconds_median",
                 "reset_seconds_median", "missed", "false_alerts"},
     "compare": {"static": {"alerts_per_week", "alerts"}},
     "policies": {name: {"alerts", "alerts_per_week", "quality"}}}

``end`` is when the alert resolved (``resolved: false`` and the range's end when it
was still firing). ``compare`` is there with ``--compare static``; ``policies`` when
several policies were compared (the top level is the first one). Beyond the contract
each alert says what it folded (``related``) and each replay how many spans fired
before the noise pipeline (``spans``).
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from sloscope.alerting.backtest import BacktestResult, Replay
from sloscope.alerting.model import Alert
from sloscope.alerting.quality import Incident, Quality
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time


def alert_json(alert: Alert, range_end: int) -> dict[str, Any]:
    """One alert as the contract writes it."""
    return {
        "service": alert.service,
        "slo": alert.slo,
        "severity": alert.severity,
        "start": format_time(alert.start),
        "end": format_time(range_end if alert.open else alert.resolved_at),
        "resolved": not alert.open,
        "peak_burn_rate": alert.peak_burn_rate,
        "budget_consumed": alert.budget_consumed,
        "related": [
            {
                "relation": link.relation,
                "service": link.service,
                "slo": link.slo,
                "severity": link.severity,
                "start": format_time(link.start),
            }
            for link in alert.related
        ],
    }


def incident_json(incident: Incident) -> dict[str, Any]:
    """A missed incident as the truth file writes it."""
    doc: dict[str, Any] = {"service": incident.service}
    if incident.slo is not None:
        doc["slo"] = incident.slo
    doc.update(start=format_time(incident.start), end=format_time(incident.end))
    return doc


def quality_json(quality: Quality | None, range_end: int) -> dict[str, Any] | None:
    """The ``quality`` object (``None`` without a truth file)."""
    if quality is None:
        return None
    return {
        "precision": quality.precision,
        "recall": quality.recall,
        "detection_seconds_median": quality.detection_seconds_median,
        "reset_seconds_median": quality.reset_seconds_median,
        "missed": [incident_json(i) for i in quality.missed],
        "false_alerts": [alert_json(a, range_end) for a in quality.false_alerts],
        "detected": quality.detected,
        "incidents": quality.incidents,
    }


def _replay_json(replay: Replay, end: int) -> dict[str, Any]:
    return {
        "alerts": [alert_json(a, end) for a in replay.alerts],
        "alerts_per_week": replay.alerts_per_week,
        "spans": replay.spans,
        "quality": quality_json(replay.quality, end),
    }


def backtest_json(result: BacktestResult) -> dict[str, Any]:
    """The whole result as the JSON contract (see the module docstring)."""
    main = result.replays[0]
    doc: dict[str, Any] = {
        "from": format_time(result.start),
        "to": format_time(result.end),
        "evaluation_interval": format_duration(result.interval),
        "policy": main.policy,
        **_replay_json(main, result.end),
    }
    if result.static is not None:
        doc["compare"] = {
            "static": {
                "alerts_per_week": result.static.alerts_per_week,
                "alerts": [alert_json(a, result.end) for a in result.static.alerts],
            }
        }
    if len(result.replays) > 1:
        doc["policies"] = {r.policy: _replay_json(r, result.end) for r in result.replays}
    return doc


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def human_duration(seconds: float) -> str:
    """A span for reading: its two largest units (``1d 16h``, ``13m``, ``-5m``).

    >>> human_duration(144_840)
    '1d 16h'
    """
    sign = "-" if seconds < 0 else ""
    left = int(abs(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return sign + (" ".join(parts[:2]) if parts else "0s")


def _seconds(value: float | None) -> str:
    return "-" if value is None else human_duration(value)


def summary_line(result: BacktestResult) -> str:
    """One line: incidents detected, alerts/week, and the static policy's alerts."""
    main = result.replays[0]
    parts = []
    if main.quality is not None:
        parts.append(f"{main.quality.detected} of {main.quality.incidents} incidents detected")
    parts.append(f"{main.started} alerts ({main.alerts_per_week:.1f}/week)")
    if result.static is not None:
        parts.append(
            f"the static 5-minute policy would have sent {result.static.started} "
            f"({result.static.alerts_per_week:.1f}/week)"
        )
    return "backtest: " + ", ".join(parts)


def _alerts_table(replay: Replay) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"alerts of policy {replay.policy}")
    for name in (
        "service",
        "SLO",
        "severity",
        "start",
        "duration",
        "peak burn",
        "budget",
        "folded",
    ):
        table.add_column(name, justify="right" if name in ("peak burn", "budget") else "left")
    for alert in replay.alerts:
        duration = alert.resolved_at - alert.start
        table.add_row(
            alert.service,
            alert.slo,
            alert.severity,
            format_time(alert.start),
            human_duration(duration) + ("+" if alert.open else ""),
            _num(alert.peak_burn_rate),
            "-" if alert.budget_consumed is None else f"{alert.budget_consumed:.1%}",
            ", ".join(f"{k.relation} {k.service}/{k.slo} {k.severity}" for k in alert.related),
        )
    return table


def _figures_table(result: BacktestResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="figures")
    for name in (
        "policy",
        "alerts",
        "per week",
        "precision",
        "recall",
        "detect (median)",
        "reset (median)",
        "missed",
    ):
        table.add_column(name, justify="left" if name == "policy" else "right")
    rows = list(result.replays) + ([result.static] if result.static is not None else [])
    for replay in rows:
        q = replay.quality
        table.add_row(
            replay.policy,
            str(replay.started),
            _num(replay.alerts_per_week),
            _num(q.precision, 2) if q else "-",
            _num(q.recall, 2) if q else "-",
            _seconds(q.detection_seconds_median) if q else "-",
            _seconds(q.reset_seconds_median) if q else "-",
            str(len(q.missed)) if q else "-",
        )
    return table


def backtest_table(result: BacktestResult) -> Group:
    """The terminal view: each policy's alerts, then the figures side by side."""
    head = Text(
        f"backtest {format_time(result.start)} → {format_time(result.end)} "
        f"every {format_duration(result.interval)}"
    )
    parts: list[Any] = [head]
    parts += [_alerts_table(r) for r in result.replays]
    parts.append(_figures_table(result))
    for replay in result.replays:
        if replay.quality is not None:
            for incident in replay.quality.missed:
                slo = f"/{incident.slo}" if incident.slo else ""
                parts.append(
                    Text(
                        f"{replay.policy}: missed {incident.service}{slo} "
                        f"{format_time(incident.start)} → {format_time(incident.end)}",
                        style="red",
                    )
                )
    parts.append(Text(summary_line(result)))
    return Group(*parts)
