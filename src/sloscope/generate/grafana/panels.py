"""Grafana panel builders: stat, timeseries, table, text and row panels, and their layout.

Each builder returns one panel of the classic dashboard JSON model; :class:`Layout`
places them on the 24-column grid with ids. Every query goes through the dashboard's
``datasource`` variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sloscope import conventions as conv

#: Share of the budget left below which panels turn red.
BUDGET_LOW = 0.1
#: Share of the budget left below which panels turn yellow.
BUDGET_WARN = 0.5

#: Every panel and target queries through the dashboard's datasource variable.
DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
#: Grafana's grid is 24 columns wide.
GRID_WIDTH = 24
#: Colour of each alert tier, in threshold lines and the alerts table.
SEVERITY_COLOR = {"page": "red", "ticket": "orange"}


def query_target(expr: str, legend: str, ref: str, *, instant: bool = False) -> dict[str, Any]:
    """A Prometheus query of a panel; ``instant`` ones read as a table."""
    target: dict[str, Any] = {
        "datasource": dict(DATASOURCE),
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


def threshold_steps(base: str, *steps: tuple[str, float]) -> dict[str, Any]:
    """Absolute thresholds: ``base`` below the first step, then each step's colour."""
    return {
        "mode": "absolute",
        "steps": [{"color": base, "value": None}]
        + [{"color": color, "value": value} for color, value in steps],
    }


def budget_thresholds() -> dict[str, Any]:
    """Budget bands: red below ``BUDGET_LOW``, yellow below ``BUDGET_WARN``."""
    return threshold_steps("red", ("yellow", BUDGET_LOW), ("green", BUDGET_WARN))


def stat_panel(
    title: str,
    description: str,
    expr: str,
    *,
    unit: str,
    decimals: int,
    thresholds: dict[str, Any],
) -> dict[str, Any]:
    """A stat panel of one query's last value, coloured by ``thresholds``."""
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
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
        "targets": [query_target(expr, title, "A")],
    }


def timeseries_panel(
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
    """A timeseries panel of ``targets``; ``thresholds_style`` draws the thresholds."""
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
        "datasource": dict(DATASOURCE),
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


def alerts_table_panel(
    title: str, description: str, expr: str, hidden: Sequence[str]
) -> dict[str, Any]:
    """Pending and firing alerts as a table; ``hidden`` label columns say nothing here."""
    tier_colours = {
        severity: {"color": color, "index": index}
        for index, (severity, color) in enumerate(sorted(SEVERITY_COLOR.items()))
    }
    return {
        "type": "table",
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "custom": {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False},
                "mappings": [],
                "noValue": "no SLO alert pending or firing",
                "thresholds": threshold_steps("green"),
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
        "targets": [query_target(expr, "", "A", instant=True)],
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


def text_panel(title: str, content: str) -> dict[str, Any]:
    """A Markdown text panel; ``content`` must be escaped already."""
    return {
        "type": "text",
        "title": title,
        "options": {
            "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False},
            "content": content,
            "mode": "markdown",
        },
    }


def row_panel(title: str) -> dict[str, Any]:
    """An expanded row header that starts a section of the dashboard."""
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


class Layout:
    """Places panels on Grafana's 24-column grid, left to right, in lines, with ids."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self._y = 0

    def line(self, height: int, *cells: tuple[int, dict[str, Any]]) -> None:
        """One line of panels of ``height``; each cell is (width, panel)."""
        if sum(width for width, _ in cells) > GRID_WIDTH:
            raise ValueError("a dashboard line is wider than the 24-column grid")
        x = 0
        for width, panel in cells:
            panel["id"] = len(self.panels) + 1
            panel["gridPos"] = {"h": height, "w": width, "x": x, "y": self._y}
            self.panels.append(panel)
            x += width
        self._y += height
