"""The report as a standalone HTML page (Jinja2, autoescaped: names come from user specs)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from sloscope.report.model import Report
from sloscope.report.text import TABLE_LOOKBACKS, alerts_text, burn, duration_words, percent
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

_ENV = Environment(
    loader=PackageLoader("sloscope.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: Report) -> str:
    """A self-contained HTML page with one table of every SLO and the policy reasons."""
    template = _ENV.get_template("report.html.j2")
    return template.render(
        report=report,
        at=format_time(report.at),
        step=format_duration(report.step),
        lookbacks=[(lb, format_duration(lb)) for lb in TABLE_LOOKBACKS],
        percent=percent,
        burn=burn,
        duration_words=duration_words,
        alerts_text=alerts_text,
    )
