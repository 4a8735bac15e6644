"""Grafana dashboards from SLO specs: one dashboard per service.

The dashboards read the series that the generated Prometheus recording rules write
(:mod:`sloscope.conventions`), never the raw SLI metrics, so a panel shows exactly what the
alerts evaluate. Every threshold comes from the spec and the alert policy: the objective,
the budget bands, and each alert row's burn factor for the SLO's own window (a 28d SLO
pages at 13.44, a 30d one at 14.4)::

    from sloscope.engine.windows import bundled_policies
    from sloscope.generate.grafana import generate_dashboard, render_dashboard

    doc = generate_dashboard(service, bundled_policies())
    Path(f"{service.name}.json").write_text(render_dashboard(doc), encoding="utf-8")

The document is the classic dashboard JSON model (``schemaVersion`` 39, Grafana 10.4 and
later), importable through the UI or file provisioning. Queries go through a
``datasource`` variable, so the same file works against any Prometheus-compatible
datasource. Layout, per service: an overview row (about the service, its firing SLO
alerts), then one row per SLO:

====================  =========================================================
panel                 shows
====================  =========================================================
stat: SLI             1 - error ratio over the SLO window, red below the objective
stat: budget left     share of the budget left; red < 10%, yellow < 50%
stat: burn rate       current burn rate; yellow >= 1, red at the highest page factor
text: about           journey, description, owner, runbook, the alert rows
timeseries: SLI       SLO window and the shortest alert window; objective line
timeseries: budget    budget left over time with the same bands as the stat
timeseries: burn      burn rate of every alert window; a dashed line per factor
                      (page red, ticket orange); legends say which line is whose
table: alerts         the SLO's pending and firing burn-rate alerts (``ALERTS``)
====================  =========================================================

Spec text is user input: everything that reaches a Markdown panel is escaped for
Markdown and HTML, ``$`` cannot reach Grafana's variable interpolation, and only
``http``/``https`` URLs become links (percent-encoded so they cannot break out).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sloscope import conventions as conv
from sloscope.engine.burn import AlertThreshold, alert_thresholds
from sloscope.engine.windows import AlertPolicy, bundled_policies
from sloscope.errors import ConfigError
from sloscope.spec.durations import format_duration
from sloscope.spec.model import (
    SLO,
    CalendarWindow,
    LatencySLI,
    RatioSLI,
    Service,
    SliceIndicator,
    TimeslicesSLI,
)

__all__ = [
    "BUDGET_LOW",
    "BUDGET_WARN",
    "PROMETHEUS_ALERTS_METRIC",
    "SCHEMA_VERSION",
    "dashboard_uid",
    "generate_dashboard",
    "render_dashboard",
    "safe_url",
]

#: The classic dashboard JSON model version written (Grafana 10.4+ reads it unchanged).
SCHEMA_VERSION = 39
#: Share of the budget left below which panels turn red.
BUDGET_LOW = 0.1
#: Share of the budget left below which panels turn yellow.
BUDGET_WARN = 0.5
#: The series Prometheus keeps of every pending and firing alert (a Prometheus built-in,
#: not a sloscope name, hence not in :mod:`sloscope.conventions`).
PROMETHEUS_ALERTS_METRIC = "ALERTS"

#: Every panel and target queries through the dashboard's datasource variable.
_DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
_GRID_WIDTH = 24
_UID_MAX = 40
_UID_PREFIX = "sloscope-"
_SEVERITY_COLOR = {"page": "red", "ticket": "orange"}
_ALERT_NAMES = (conv.ALERT_PAGE, conv.ALERT_TICKET, conv.ALERT_EXHAUSTED)

# --- escaping ------------------------------------------------------------------------------

# Characters Markdown gives a meaning to; a backslash makes each one literal (CommonMark
# allows escaping any ASCII punctuation).
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~:")
# Characters that must not reach the HTML (or, for "$", Grafana's variable interpolation,
# which runs on panel text before Markdown and would expand ${__user.email} and the like).
_HTML_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "$": "&#36;",
}
# Kept as they are in a URL; everything else is percent-encoded. Excludes what could end a
# Markdown link or an HTML attribute ( ) [ ] < > " ' ` and space), start a variable ($),
# or start Markdown emphasis (*).
_URL_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#@!&+,;=%"
)
_URL_SCHEME = re.compile(r"^https?://[^/]", re.IGNORECASE)
_UID_CHARS = re.compile(r"[^A-Za-z0-9_-]")
#: What a Markdown panel shows for a field the spec leaves empty.
_NONE = "\\-"


def _md(text: str) -> str:
    """Spec text as literal Markdown: no markup, no HTML, no variables, one line."""
    out: list[str] = []
    for ch in " ".join(text.split()):
        if ch in _HTML_ENTITIES:
            out.append(_HTML_ENTITIES[ch])
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def safe_url(url: str) -> str | None:
    """``url`` percent-encoded for a link, or None when it is not an http(s) URL.

    Characters that could close a Markdown link or an HTML attribute, or start a Grafana
    variable, are percent-encoded; existing ``%XX`` escapes are kept.
    """
    url = url.strip()
    if not _URL_SCHEME.match(url):
        return None
    return "".join(
        ch if ch in _URL_SAFE else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in url
    )


def _md_link(url: str | None) -> str:
    """A Markdown link to ``url``, the escaped text when it is no http(s) URL, or "-"."""
    if not url:
        return _NONE
    target = safe_url(url)
    if target is None:
        return _md(url)
    # "&" is the one URL character HTML needs written as an entity inside the link.
    return f"[{_md(url)}]({target.replace('&', '&amp;')})"


def _label_value(value: str) -> str:
    """A PromQL string literal's body: backslashes, quotes and newlines escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _selector(metric: str, *matchers: tuple[str, str, str], **labels: str) -> str:
    """``metric{label="value", ...}``: ``matchers`` as (label, op, value), then ``labels``."""
    every = [*matchers, *((name, "=", value) for name, value in labels.items())]
    inner = ", ".join(f'{name}{op}"{_label_value(value)}"' for name, op, value in every)
    return f"{metric}{{{inner}}}"


def _alerts(*matchers: tuple[str, str, str], **labels: str) -> str:
    """The ``ALERTS`` series of sloscope's alerts, narrowed by more matchers."""
    names = ("alertname", "=~", "|".join(_ALERT_NAMES))
    return _selector(PROMETHEUS_ALERTS_METRIC, names, *matchers, **labels)


# --- figures as people read them -------------------------------------------------------------


def _number(value: float) -> str:
    """A figure to 4 significant digits, never in exponent form (13.44, 0.9333, 12340)."""
    return str(np.format_float_positional(float(f"{value:.4g}"), trim="-"))


def _percent(fraction: float) -> str:
    """A fraction as a percent without float noise (0.999 → ``99.9``)."""
    return f"{fraction * 100:.10g}"


def _seconds(value: float) -> str:
    """A latency threshold as written in specs (0.3 → ``300ms``, 2.5 → ``2.5s``)."""
    return f"{value * 1000:.6g}ms" if value < 1 else f"{value:.6g}s"


def _window_text(slo: SLO) -> str:
    """The SLO window as people say it (``28d``, ``calendar month (Europe/Berlin)``)."""
    window = slo.window
    if isinstance(window, CalendarWindow):
        zone = "" if window.timezone == "UTC" else f" ({window.timezone})"
        return f"calendar {window.unit}{zone}"
    return window.label


def _indicator_text(sli: SliceIndicator) -> str:
    """How an event-based SLI is computed, in words."""
    if isinstance(sli, LatencySLI):
        return f"{sli.metric.metric} requests faster than {_seconds(sli.threshold)} ÷ all"
    if isinstance(sli, RatioSLI):
        return "good events ÷ all events" if sli.good else "1 - bad events ÷ all events"
    return "PromQL expressions"


def _sli_text(slo: SLO) -> str:
    """How the SLO's SLI is computed, in words (time slices included)."""
    sli = slo.sli
    if isinstance(sli, TimeslicesSLI):
        return (
            f"good {format_duration(sli.slice_seconds)} slices ÷ slices with events; a slice "
            f"is good at {_percent(sli.target)}% or more of {_indicator_text(sli.indicator)}"
        )
    return _indicator_text(sli)


# --- identity ----------------------------------------------------------------------------------


def dashboard_uid(service_name: str) -> str:
    """The dashboard uid of a service: ``sloscope-<name>``, stable and Grafana-valid.

    Grafana uids are at most 40 characters of ``[a-zA-Z0-9-_]``. When the name has other
    characters or is too long, a hash of the full name keeps names that shorten alike
    apart.

    >>> dashboard_uid("checkout")
    'sloscope-checkout'
    """
    plain = _UID_CHARS.sub("-", service_name)
    uid = _UID_PREFIX + plain
    if plain == service_name and len(uid) <= _UID_MAX:
        return uid
    digest = hashlib.sha256(service_name.encode("utf-8")).hexdigest()[:8]
    return f"{uid[: _UID_MAX - len(digest) - 1]}-{digest}"


# --- panels -------------------------------------------------------------------------------------


def _target(expr: str, legend: str, ref: str, *, instant: bool = False) -> dict[str, Any]:
    target: dict[str, Any] = {
        "datasource": dict(_DATASOURCE),
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend,
        "refId": ref,
        "instant": instant,
        "range": not instant,
    }
    if instant:
        target["format"] = "table"
    return target


def _thresholds(base: str, *steps: tuple[str, float]) -> dict[str, Any]:
    """Absolute thresholds: ``base`` below the first step, then each step's colour."""
    return {
        "mode": "absolute",
        "steps": [{"color": base, "value": None}]
        + [{"color": color, "value": value} for color, value in steps],
    }


def _budget_thresholds() -> dict[str, Any]:
    return _thresholds("red", ("yellow", BUDGET_LOW), ("green", BUDGET_WARN))


def _stat(
    title: str,
    description: str,
    expr: str,
    *,
    unit: str,
    decimals: int,
    thresholds: dict[str, Any],
) -> dict[str, Any]:
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": dict(_DATASOURCE),
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "decimals": decimals,
                "mappings": [],
                "noValue": "no data",
                "thresholds": thresholds,
                "unit": unit,
            },
            "overrides": [],
        },
        "options": {
            "colorMode": "background",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "showPercentChange": False,
            "textMode": "value",
            "wideLayout": True,
        },
        "targets": [_target(expr, title, "A")],
    }


def _timeseries(
    title: str,
    description: str,
    targets: list[dict[str, Any]],
    *,
    unit: str,
    decimals: int | None,
    thresholds: dict[str, Any],
    thresholds_style: str,
    color: dict[str, str],
    minimum: float | None = None,
    maximum: float | None = None,
) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "color": color,
        "custom": {
            "axisBorderShow": False,
            "axisPlacement": "auto",
            "drawStyle": "line",
            "fillOpacity": 0,
            "lineInterpolation": "linear",
            "lineWidth": 2,
            "showPoints": "never",
            "spanNulls": False,
            "thresholdsStyle": {"mode": thresholds_style},
        },
        "mappings": [],
        "thresholds": thresholds,
        "unit": unit,
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    if minimum is not None:
        defaults["min"] = minimum
    if maximum is not None:
        defaults["max"] = maximum
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": dict(_DATASOURCE),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {
                "calcs": ["lastNotNull", "max"],
                "displayMode": "table",
                "placement": "bottom",
                "showLegend": True,
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": targets,
    }


def _alerts_table(title: str, description: str, expr: str, hidden: Sequence[str]) -> dict[str, Any]:
    """Pending and firing alerts as a table; ``hidden`` label columns say nothing here."""
    tier_colours = {
        severity: {"color": color, "index": index}
        for index, (severity, color) in enumerate(sorted(_SEVERITY_COLOR.items()))
    }
    return {
        "type": "table",
        "title": title,
        "description": description,
        "datasource": dict(_DATASOURCE),
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "custom": {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False},
                "mappings": [],
                "noValue": "no SLO alert pending or firing",
                "thresholds": _thresholds("green"),
            },
            "overrides": [
                {
                    "matcher": {"id": "byName", "options": conv.LABEL_TIER},
                    "properties": [
                        {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                        {"id": "mappings", "value": [{"type": "value", "options": tier_colours}]},
                    ],
                }
            ],
        },
        "options": {
            "cellHeight": "sm",
            "footer": {"countRows": False, "fields": "", "reducer": ["sum"], "show": False},
            "showHeader": True,
        },
        "targets": [_target(expr, "", "A", instant=True)],
        "transformations": [
            {
                "id": "organize",
                "options": {
                    "excludeByName": dict.fromkeys(("Time", "Value", "__name__", *hidden), True),
                    "indexByName": {},
                    "renameByName": {},
                },
            }
        ],
    }


def _text(title: str, content: str) -> dict[str, Any]:
    return {
        "type": "text",
        "title": title,
        "options": {
            "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False},
            "content": content,
            "mode": "markdown",
        },
    }


def _row(title: str) -> dict[str, Any]:
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


class _Layout:
    """Places panels on Grafana's 24-column grid, left to right, in lines, with ids."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self._y = 0

    def line(self, height: int, *cells: tuple[int, dict[str, Any]]) -> None:
        """One line of panels of ``height``; each cell is (width, panel)."""
        if sum(width for width, _ in cells) > _GRID_WIDTH:
            raise ValueError("a dashboard line is wider than the 24-column grid")
        x = 0
        for width, panel in cells:
            panel["id"] = len(self.panels) + 1
            panel["gridPos"] = {"h": height, "w": width, "x": x, "y": self._y}
            self.panels.append(panel)
            x += width
        self._y += height


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Alerting:
    """What the generated rules alert on for one SLO, as the dashboard draws it.

    Mirrors the rules generator: rows that can never fire (the factor is at or above the
    SLO's highest burn rate) and, for time-slice SLIs, rows whose short window holds no
    whole slice get no alert, so they get no line either; the about panel says why.
    ``table``: every row of the policy in order, with why it is left out ("" when used).
    ``lookbacks``: the alert windows recorded for this SLO.
    """

    table: tuple[tuple[AlertThreshold, str], ...]
    lookbacks: tuple[int, ...]

    @property
    def rows(self) -> tuple[AlertThreshold, ...]:
        """The rows the SLO alerts on."""
        return tuple(row for row, left_out in self.table if not left_out)


def _alerting(slo: SLO, policy: AlertPolicy) -> _Alerting:
    """The SLO's alert rows with their factors for its own window, and its alert windows."""
    slice_seconds = slo.sli.slice_seconds if isinstance(slo.sli, TimeslicesSLI) else 0
    lookbacks = tuple(w for w in policy.lookbacks if w >= slice_seconds)
    if not slo.alerting.enabled:
        return _Alerting((), lookbacks)
    table: list[tuple[AlertThreshold, str]] = []
    for row in alert_thresholds(policy, slo.window.nominal_seconds):
        left_out = ""
        if not row.can_fire(slo.objective):
            left_out = (
                f"never fires: a {_percent(slo.objective)}% SLO burns at most "
                f"{_number(1 / slo.error_budget)}"
            )
        elif row.short_seconds < slice_seconds:
            left_out = "no alert: its short window holds no whole time slice"
        table.append((row, left_out))
    return _Alerting(tuple(table), lookbacks)


def _burn_legend(window: int, rows: Sequence[AlertThreshold]) -> str:
    """``1h (page > 13.44 with 5m)``: which line this window's burn is held against."""
    uses = []
    for row in rows:
        if window in (row.long_seconds, row.short_seconds):
            other = row.short_seconds if window == row.long_seconds else row.long_seconds
            uses.append(f"{row.severity} > {_number(row.factor)} with {format_duration(other)}")
    label = format_duration(window)
    return f"{label} ({'; '.join(uses)})" if uses else label


def _burn_thresholds(rows: Sequence[AlertThreshold]) -> dict[str, Any]:
    """A dashed line per factor: red for page rows, orange for ticket rows (page wins a tie)."""
    colour: dict[float, str] = {}
    for row in rows:
        if colour.get(row.factor) != _SEVERITY_COLOR["page"]:
            colour[row.factor] = _SEVERITY_COLOR[row.severity]
    return _thresholds("transparent", *((colour[f], f) for f in sorted(colour)))


def _slo_panels(layout: _Layout, service: Service, slo: SLO, policy: AlertPolicy) -> None:
    """The row of one SLO: stats and about, SLI and budget over time, burn and alerts."""
    sid = conv.slo_id(service.name, slo.name)
    by_id = {conv.LABEL_ID: sid}
    nominal = slo.window.nominal_seconds
    window_label = format_duration(nominal)
    alerting = _alerting(slo, policy)
    rows, lookbacks = alerting.rows, alerting.lookbacks
    objective = slo.objective
    budget = _selector(conv.ERROR_BUDGET, **by_id)
    page_factors = [row.factor for row in rows if row.severity == "page"]

    layout.line(
        1, (_GRID_WIDTH, _row(f"{slo.name}: {_percent(objective)}% over {_window_text(slo)}"))
    )

    # Prometheus has no calendar ranges: the rules record a calendar window as its nominal
    # rolling length, and the panels say so rather than pretend to follow the calendar.
    recorded = ""
    if isinstance(slo.window, CalendarWindow):
        recorded = f" Recorded as a rolling {window_label}: Prometheus has no calendar ranges."
    sli_stat = _stat(
        f"SLI over {window_label}",
        f"1 - error ratio over the SLO window; red below the objective {_percent(objective)}%."
        + recorded,
        f"1 - {_selector(conv.error_ratio(nominal), **by_id)}",
        unit="percentunit",
        decimals=3,
        thresholds=_thresholds("red", ("green", objective)),
    )
    budget_stat = _stat(
        "Error budget remaining",
        f"Share of the {window_label} error budget left (negative when overspent); "
        f"red below {_percent(BUDGET_LOW)}%, yellow below {_percent(BUDGET_WARN)}%." + recorded,
        _selector(conv.BUDGET_REMAINING, **by_id),
        unit="percentunit",
        decimals=1,
        thresholds=_budget_thresholds(),
    )
    burn_steps: list[tuple[str, float]] = [("yellow", 1.0)]
    if page_factors and max(page_factors) > 1:
        burn_steps.append(("red", max(page_factors)))
    burn_stat = _stat(
        "Current burn rate",
        f"Burn rate over the shortest recorded window: 1 spends the budget in exactly "
        f"{window_label}; yellow from 1, red from the highest page factor.",
        _selector(conv.CURRENT_BURN_RATE, **by_id),
        unit="none",
        decimals=2,
        thresholds=_thresholds("green", *burn_steps),
    )
    layout.line(
        8,
        (4, sli_stat),
        (4, budget_stat),
        (4, burn_stat),
        (12, _text(f"About {slo.name}", _slo_about(service, slo, alerting))),
    )

    fast = min((row.long_seconds for row in rows), default=min(lookbacks))
    sli_windows = sorted({nominal, fast}, reverse=True)
    sli_series = _timeseries(
        "SLI",
        f"1 - error ratio over {' and '.join(format_duration(w) for w in sli_windows)}; "
        f"the dashed line is the objective {_percent(objective)}%.",
        [
            _target(
                f"1 - {_selector(conv.error_ratio(w), **by_id)}",
                f"SLI over {format_duration(w)}",
                chr(ord("A") + index),
            )
            for index, w in enumerate(sli_windows)
        ],
        unit="percentunit",
        decimals=3,
        thresholds=_thresholds("transparent", ("red", objective)),
        thresholds_style="dashed",
        color={"mode": "palette-classic"},
        maximum=1.0,
    )
    budget_series = _timeseries(
        "Error budget remaining",
        f"Share of the {window_label} error budget left at each moment; "
        f"red below {_percent(BUDGET_LOW)}%, yellow below {_percent(BUDGET_WARN)}%." + recorded,
        [_target(_selector(conv.BUDGET_REMAINING, **by_id), "budget remaining", "A")],
        unit="percentunit",
        decimals=1,
        thresholds=_budget_thresholds(),
        thresholds_style="dashed+area",
        color={"fixedColor": "blue", "mode": "fixed"},
        maximum=1.0,
    )
    layout.line(8, (12, sli_series), (12, budget_series))

    burn_series = _timeseries(
        "Burn rate by window",
        "Error ratio over each alert window ÷ the error budget. An alert fires while both its "
        "long and its short window are above its factor: dashed red lines are page factors, "
        "orange ones ticket factors; each legend says which line its window is held against.",
        [
            _target(
                f"{_selector(conv.error_ratio(w), **by_id)} / on({conv.LABEL_ID}) "
                f"group_left() {budget}",
                _burn_legend(w, rows),
                chr(ord("A") + index),
            )
            for index, w in enumerate(lookbacks)
        ],
        unit="none",
        decimals=2,
        thresholds=_burn_thresholds(rows),
        thresholds_style="dashed",
        # Shades of one colour keep red and orange for the alert lines.
        color={"fixedColor": "blue", "mode": "shades"},
        minimum=0.0,
    )
    alerts = _alerts_table(
        "Alerts",
        "This SLO's pending and firing sloscope alerts, as Prometheus evaluates them.",
        _alerts(**by_id),
        hidden=(conv.LABEL_ID, conv.LABEL_SERVICE, conv.LABEL_SLO),
    )
    runbook = safe_url(slo.alerting.runbook or "")
    if runbook is not None:
        link = {"targetBlank": True, "title": "Runbook", "url": runbook}
        burn_series["links"] = [dict(link)]
        alerts["links"] = [dict(link)]
    layout.line(8, (16, burn_series), (8, alerts))


def _slo_about(service: Service, slo: SLO, alerting: _Alerting) -> str:
    """Markdown for the SLO's text panel; every spec string escaped."""
    journey = next((j for j in service.journeys if j.name == slo.journey), None)
    journey_text = _NONE
    if slo.journey:
        journey_text = _md(slo.journey)
        if journey is not None and journey.description:
            journey_text += f": {_md(journey.description)}"
    lines = [
        f"**Journey** {journey_text}  ",
        f"**Description** {_md(slo.description) or _NONE}  ",
        f"**Objective** {_md(_percent(slo.objective))}% over {_md(_window_text(slo))}, "
        f"error budget {_md(_percent(slo.error_budget))}%  ",
        f"**SLI** {_md(_sli_text(slo))}  ",
        f"**Owner** {_md(service.owner) or _NONE}  ",
        f"**Runbook** {_md_link(slo.alerting.runbook)}",
    ]
    if slo.alerting.dashboard:
        lines[-1] += "  "
        lines.append(f"**Dashboard** {_md_link(slo.alerting.dashboard)}")
    lines.append("")
    if not slo.alerting.enabled:
        lines.append("_Alerting is disabled for this SLO._")
    else:
        lines += [
            "| alert | long | short | budget spent | burn factor |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row, left_out in alerting.table:
            w = row.window
            factor = _number(row.factor) + (f" ({left_out})" if left_out else "")
            lines.append(
                f"| {w.severity} | {w.long_label} | {w.short_label} | "
                f"{_md(_number(w.budget_percent))}% | {_md(factor)} |"
            )
    return "\n".join(lines) + "\n"


def _service_about(service: Service) -> str:
    """Markdown for the overview text panel: the service, its journeys and their SLOs."""
    lines = [f"### {_md(service.name)}", ""]
    if service.description:
        lines += [_md(service.description), ""]
    lines += [f"**Owner** {_md(service.owner) or _NONE}", ""]
    lines += ["| journey | what the customer does | SLOs |", "| --- | --- | --- |"]
    known = {j.name for j in service.journeys}
    groups: list[tuple[str, str, list[str]]] = [
        (_md(j.name), _md(j.description), [s.name for s in service.slos if s.journey == j.name])
        for j in service.journeys
    ]
    loose = [s.name for s in service.slos if s.journey not in known]
    if loose:
        groups.append(("_no journey_", "", loose))
    for name, description, slos in groups:
        listed = ", ".join(_md(s) for s in slos) or _NONE
        lines.append(f"| {name} | {description or _NONE} | {listed} |")
    lines += [
        "",
        "_Generated by `sloscope generate grafana` from the service's spec: change the spec, "
        "not this dashboard._",
    ]
    return "\n".join(lines) + "\n"


# --- the dashboard ----------------------------------------------------------------------------


def _policy_of(slo: SLO, service: Service, policies: Mapping[str, AlertPolicy]) -> AlertPolicy:
    """The SLO's alert policy, from ``policies`` or the bundled tables, as the rules find it."""
    known = {**bundled_policies(), **policies}
    policy = known.get(slo.alerting.policy)
    if policy is None:
        where = f" ({slo.origin})" if slo.origin else ""
        raise ConfigError(
            f"SLO {service.name}/{slo.name}{where} uses alert policy {slo.alerting.policy!r}, "
            f"which is not defined; known policies: {', '.join(sorted(known))}. Define it "
            "under alert_policies in sloscope.yaml or set alerting.policy to a known one"
        )
    return policy


def generate_dashboard(
    service: Service,
    policies: Mapping[str, AlertPolicy],
    *,
    datasource_uid: str | None = None,
    title_prefix: str = "SLOs / ",
) -> dict[str, Any]:
    """The Grafana dashboard of one service, as a JSON-ready dict.

    ``policies``: the project's alert policies by name (the bundled ``google`` table is
    always known); each SLO's ``alerting.policy`` picks its alert rows and burn factors.
    ``datasource_uid``: the Prometheus datasource the ``datasource`` variable selects by
    default (Grafana's default datasource when None). Raises :class:`ConfigError` when an
    SLO names an alert policy that is not defined.
    """
    resolved = [(slo, _policy_of(slo, service, policies)) for slo in service.slos]
    layout = _Layout()
    # "$slo" is the one variable in a query: Grafana expands it to a regex of the chosen SLOs.
    chosen = (conv.LABEL_SLO, "=~", "$slo")
    service_alerts = _alerts(chosen, **{conv.LABEL_SERVICE: service.name})
    layout.line(1, (_GRID_WIDTH, _row(f"{service.name}: overview")))
    layout.line(
        8,
        (10, _text(f"About {service.name}", _service_about(service))),
        (
            14,
            _alerts_table(
                "Pending and firing SLO alerts",
                "Burn-rate and budget alerts of the SLOs chosen in the slo variable.",
                service_alerts,
                hidden=(conv.LABEL_ID, conv.LABEL_SERVICE),
            ),
        ),
    )
    for slo, policy in resolved:
        _slo_panels(layout, service, slo, policy)

    datasource_current: dict[str, Any] = {}
    if datasource_uid is not None:
        datasource_current = {"selected": True, "text": datasource_uid, "value": datasource_uid}
    names = [slo.name for slo in service.slos]
    return {
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                },
                {
                    "datasource": dict(_DATASOURCE),
                    "enable": True,
                    "expr": _alerts(
                        ("alertstate", "=", "firing"), chosen, **{conv.LABEL_SERVICE: service.name}
                    ),
                    "hide": False,
                    "iconColor": "red",
                    "name": "SLO alerts firing",
                    "step": "1m",
                    "tagKeys": f"{conv.LABEL_SLO},{conv.LABEL_SEVERITY}",
                    "textFormat": "",
                    "titleFormat": "{{alertname}}",
                    "useValueForTime": False,
                },
            ]
        },
        "description": service.description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [
            {
                "asDropdown": True,
                "icon": "external link",
                "includeVars": False,
                "keepTime": True,
                "tags": ["sloscope"],
                "targetBlank": False,
                "title": "SLO dashboards",
                "tooltip": "",
                "type": "dashboards",
                "url": "",
            }
        ],
        "liveNow": False,
        "panels": layout.panels,
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["sloscope", service.name],
        "templating": {
            "list": [
                {
                    "current": datasource_current,
                    "hide": 0,
                    "includeAll": False,
                    "label": "Data source",
                    "multi": False,
                    "name": "datasource",
                    "options": [],
                    "query": "prometheus",
                    "refresh": 1,
                    "regex": "",
                    "skipUrlSync": False,
                    "type": "datasource",
                },
                {
                    "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
                    "description": "SLOs whose alerts the overview shows",
                    "hide": 0,
                    "includeAll": True,
                    "label": "SLO",
                    "multi": True,
                    "name": "slo",
                    "options": [
                        {"selected": True, "text": "All", "value": "$__all"},
                        *({"selected": False, "text": n, "value": n} for n in names),
                    ],
                    "query": ",".join(names),
                    "skipUrlSync": False,
                    "type": "custom",
                },
            ]
        },
        "time": {"from": "now-7d", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": f"{title_prefix}{service.name}",
        "uid": dashboard_uid(service.name),
        "version": 1,
        "weekStart": "",
    }


def render_dashboard(doc: Mapping[str, Any]) -> str:
    """The dashboard as stable JSON: keys sorted, 2-space indent, a trailing newline.

    Lists keep their order (panels are in grid order); the same spec always renders the
    same bytes, so generated files diff cleanly and golden tests compare them exactly.
    """
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
