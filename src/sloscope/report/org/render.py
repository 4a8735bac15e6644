"""The org report as JSON, Markdown and a standalone HTML page.

Charts are inline SVG (:func:`sloscope.report.charts.bar_svg`): in the HTML page as
elements, in Markdown as ``data:`` images, so neither needs a CDN or a file beside it.
The HTML is autoescaped (service names come from user specs and the catalog).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from sloscope.report.charts import bar_svg
from sloscope.report.org.figures import OrgFigures
from sloscope.timeparse import format_time


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def org_to_dict(figures: OrgFigures) -> dict[str, Any]:
    """The ``report --org --format json`` document (fractions 0-1, null without data)."""
    f = figures
    response = f.response
    return {
        "from": format_time(f.begin),
        "to": format_time(f.end),
        "services": {
            "total": f.services,
            "catalog": f.catalog_given,
            "with_slos": f.services_with_slos,
            "with_slos_share": f.share(f.services_with_slos, f.services),
            "tracking_budgets": f.services_tracking,
            "tracking_budgets_share": f.share(f.services_tracking, f.services),
            "without_slos": list(f.without_slos),
            "not_tracking": list(f.untracked),
        },
        "alerts": {
            "count": f.alerts,
            "per_week": f.alerts_per_week,
            "actionable": f.alerts_actionable,
            "actionable_share": f.share(f.alerts_actionable, f.alerts),
            "weekly": [{"week_of": format_time(t), "alerts": n} for t, n in f.weekly_alerts],
        },
        "burn": [
            {"service": b.service, "burn_rate": b.burn_rate, "budget_consumed": b.consumed}
            for b in f.burn
        ],
        "incidents": {
            "count": response.incidents,
            "mtta_seconds": response.mtta_seconds,
            "mttr_seconds": response.mttr_seconds,
            "repeat_rate": f.repeat_rate,
        },
        "change_failure_rate": {
            "overall": _rate(f.change_failure_overall),
            "services": {name: _rate(rate) for name, rate in f.change_failures.items()},
        },
        "gate": {"freezes": dict(f.freezes), "overrides": f.overrides, "exceptions": f.exceptions},
    }


def _rate(rate: Any) -> dict[str, Any]:
    return {"deployments": rate.deployments, "failed": rate.failed, "rate": rate.rate}


def render_org_json(figures: OrgFigures) -> str:
    """The JSON document, indented, with a final newline."""
    return json.dumps(org_to_dict(figures), indent=2) + "\n"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _num(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.1f}{unit}"


def org_charts(f: OrgFigures) -> list[tuple[str, str]]:
    """(title, svg) of each chart (every text in the SVG escaped)."""
    weekly = [(format_time(t)[:10], float(n)) for t, n in f.weekly_alerts]
    burn = [(b.service, b.burn_rate) for b in f.burn]
    changes = [
        (name, None if rate.rate is None else rate.rate * 100)
        for name, rate in f.change_failures.items()
    ]
    return [
        ("Alerts per week", bar_svg("Alerts per week", weekly)),
        ("Burn rate per service", bar_svg("Burn rate over the range", burn, "x")),
        ("Change failure rate", bar_svg("Change failure rate", changes, "%")),
    ]


def org_burn_rows(f: OrgFigures) -> list[tuple[str, str, str]]:
    """(service, burn rate, budget consumed) of each service, as text."""
    return [(b.service, _num(b.burn_rate), _pct(b.consumed)) for b in f.burn]


def org_rows(f: OrgFigures) -> list[tuple[str, str]]:
    """(figure, value) of the report's summary table, as text."""
    d = org_to_dict(f)
    services, alerts, incidents = d["services"], d["alerts"], d["incidents"]
    freezes = sum(f.freezes.values())
    return [
        (
            "services with SLOs",
            f"{_pct(services['with_slos_share'])} ({f.services_with_slos} of {f.services})",
        ),
        (
            "tracking budgets (alert at 50%, freeze at 90%)",
            f"{_pct(services['tracking_budgets_share'])} ({f.services_tracking} of {f.services})",
        ),
        ("alerts per week", f"{f.alerts_per_week:.1f} ({f.alerts} in the range)"),
        (
            "actionable alerts",
            f"{_pct(alerts['actionable_share'])} ({f.alerts_actionable} of {f.alerts})",
        ),
        ("MTTA", _num(_minutes(incidents["mtta_seconds"]), " min")),
        ("MTTR", _num(_minutes(incidents["mttr_seconds"]), " min")),
        (
            "change failure rate",
            f"{_pct(f.change_failure_overall.rate)} ({f.change_failure_overall.failed} of "
            f"{f.change_failure_overall.deployments} deployments)",
        ),
        ("repeat incidents", f"{_pct(f.repeat_rate)} of {f.response.incidents} incidents"),
        ("freezes / overrides / exceptions", f"{freezes} / {f.overrides} / {f.exceptions}"),
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_org_markdown(figures: OrgFigures) -> str:
    """The weekly Markdown report, charts as SVG data URIs."""
    f = figures
    lines = [
        f"# SLO org report: {format_time(f.begin)} to {format_time(f.end)}",
        "",
        "| figure | value |",
        "| --- | --- |",
    ]
    lines += [f"| {_cell(name)} | {_cell(value)} |" for name, value in org_rows(f)]
    lines += ["", "## Burn rate per service", "", "| service | burn rate | budget consumed |"]
    lines.append("| --- | ---: | ---: |")
    for b in f.burn:
        lines.append(f"| {_cell(b.service)} | {_num(b.burn_rate)} | {_pct(b.consumed)} |")
    if not f.catalog_given:
        lines += [
            "",
            "_No service catalog (`catalog:` in sloscope.yaml): every service counted has specs._",
        ]
    if f.without_slos:
        lines += ["", "Services without SLOs: " + ", ".join(_cell(s) for s in f.without_slos)]
    lines.append("")
    for title, svg in org_charts(f):
        data = base64.b64encode(svg.encode()).decode()
        lines += [f"![{title}](data:image/svg+xml;base64,{data})", ""]
    return "\n".join(lines)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>SLO org report {{ begin }} to {{ end }}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
figure{margin:1em 0}</style></head>
<body>
<h1>SLO org report</h1>
<p>{{ begin }} to {{ end }}</p>
<table><tr><th>figure</th><th>value</th></tr>
{% for name, value in rows %}<tr><td>{{ name }}</td><td>{{ value }}</td></tr>
{% endfor %}</table>
<h2>Burn rate per service</h2>
<table><tr><th>service</th><th>burn rate</th><th>budget consumed</th></tr>
{% for service, burn, consumed in burn %}
<tr><td>{{ service }}</td><td>{{ burn }}</td><td>{{ consumed }}</td></tr>
{% endfor %}</table>
{% if without %}<p>Services without SLOs: {{ without | join(", ") }}</p>{% endif %}
{% for title, svg in charts %}<figure>{{ svg }}<figcaption>{{ title }}</figcaption></figure>
{% endfor %}
</body></html>
"""
_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_org_html(figures: OrgFigures) -> str:
    """The weekly report as one standalone HTML page (inline SVG charts, no scripts)."""
    f = figures
    return _ENV.from_string(_PAGE).render(
        begin=format_time(f.begin),
        end=format_time(f.end),
        rows=org_rows(f),
        burn=org_burn_rows(f),
        without=list(f.without_slos),
        # bar_svg escapes every text it draws, so its SVG is safe to place as markup.
        charts=[(title, Markup(svg)) for title, svg in org_charts(f)],
    )
