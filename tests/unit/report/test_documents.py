"""The Markdown and HTML reports: sparklines beside the figures, an SVG chart per SLO."""

from __future__ import annotations

import re
import xml.dom.minidom
from pathlib import Path

import pytest
from tests.unit.golden import check_golden
from tests.unit.report.report_sample import sample_report

from sloscope.report.html import render_html
from sloscope.report.markdown import render_markdown
from sloscope.report.model import Report

GOLDEN = Path(__file__).parents[2] / "golden" / "report"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return sample_report(tmp_path_factory.mktemp("workspace"))


def test_the_markdown_report_matches_its_golden_file(report: Report) -> None:
    check_golden(GOLDEN / "report.md", render_markdown(report))


def test_markdown_rows_carry_both_sparklines_and_the_state_in_words(report: Report) -> None:
    rows = [line for line in render_markdown(report).splitlines() if line.startswith("| ")]
    place_order = next(r for r in rows if "place-order-availability" in r)
    assert "| ███████▅▄▄▄▄ |" in place_order
    assert "| ▂▂▂▂▂▂▂▂▂▂▂▂ |" in place_order
    assert place_order.endswith("| ▲ notify |")
    nodata = next(r for r in rows if "search-nodata" in r)
    assert nodata.endswith("| none | ? unknown |")
    login = next(r for r in rows if "login-availability" in r)
    assert "| 66.67x! |" in login  # the 1h burn above the page threshold


def test_the_html_report_matches_its_golden_file(report: Report) -> None:
    check_golden(GOLDEN / "report.html", render_html(report))


def test_every_slo_with_data_gets_two_inline_svg_charts(report: Report) -> None:
    page = render_html(report)
    charts = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(charts) == 2 * 5  # search-nodata has no data to draw
    for chart in charts:
        # Well-formed SVG, once the namespace an HTML parser implies is spelled out.
        xml.dom.minidom.parseString(
            chart.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
        )
    assert "No trend: no events matched the SLI." in page


def test_the_html_report_loads_nothing_from_elsewhere(report: Report) -> None:
    page = render_html(report)
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page


def test_the_html_report_escapes_user_text(report: Report) -> None:
    page = render_html(report)
    assert "[bold]with a server error[/bold] :smile:" in page
    assert "<bold>" not in page
    # The burn bar of login-availability's last hour is above its 1h page threshold.
    assert re.search(
        r'class="bar above"[^>]*><title>1h to 2026-11-20T12:00:00Z: 66.67x</title>', page
    )
