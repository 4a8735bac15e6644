"""The report as a standalone HTML page (Jinja2, autoescaped: names come from user specs).

Each SLO gets its charts as inline SVG (:mod:`sloscope.report.svg`); the page loads
nothing from elsewhere, so it works offline and as a CI artefact.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from sloscope.report import svg
from sloscope.report.model import Report
from sloscope.report.rows import HEADS, cells
from sloscope.report.sparkline import legend
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

_ENV = Environment(
    loader=PackageLoader("sloscope.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: Report) -> str:
    """A self-contained HTML page: a table of every SLO, the policy reasons, and the
    charts of each SLO (inline SVG, nothing fetched from elsewhere)."""
    template = _ENV.get_template("report.html.j2")
    anchors = {id(r): f"slo-{i}" for i, r in enumerate(report.results, 1)}
    return template.render(
        report=report,
        at=format_time(report.at),
        step=format_duration(report.step),
        legend=legend(report),
        size={"width": svg.WIDTH, "height": svg.HEIGHT, "left": svg.LEFT},
        anchor=lambda r: anchors[id(r)],
        charts=svg.charts,
        heads=HEADS,
        cells=cells,
    )
