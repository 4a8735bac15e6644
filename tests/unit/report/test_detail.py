"""One SLO in detail (``report --service S --slo NAME``) for the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from tests.unit.golden import check_golden
from tests.unit.report.report_sample import sample_report
from tests.unit.report.test_table import ANSI, COLOUR, render

from sloscope.report.detail import render_detail
from sloscope.report.model import Report

GOLDEN = Path(__file__).parents[2] / "golden" / "report"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return sample_report(tmp_path_factory.mktemp("workspace"))


@pytest.mark.parametrize(("index", "width"), [(0, 80), (2, 120), (5, 100)])
def test_the_detail_view_matches_its_golden_file(report: Report, index: int, width: int) -> None:
    result = report.results[index]
    text = render(render_detail(result, width), width)
    check_golden(GOLDEN / f"detail-{result.slo.name}-{width}.txt", text)
    assert max(cell_len(line) for line in text.splitlines()) <= width


def test_the_detail_names_objective_window_budget_policy_and_runbook(report: Report) -> None:
    text = render(render_detail(report.results[0], 100), 100)
    assert "checkout / place-order-availability" in text
    assert "99.9% of events over 28d" in text
    assert "2026-10-23T12:00:00Z to 2026-11-20T12:00:00Z" in text
    assert "44.3% left, 55.7% consumed" in text
    assert "▲ notify  55.7% of the error budget consumed (notify at 50%)" in text
    assert "https://runbooks.example.com/checkout/[orders]" in text


def test_user_text_prints_as_written_never_as_markup_or_emoji(report: Report) -> None:
    text = render(render_detail(report.results[0], 120), 120, force_terminal=True)
    assert "[bold]with a server error[/bold] :smile:" in ANSI.sub("", text)
    assert "😄" not in text


def test_every_burn_window_is_set_against_its_alert_thresholds(report: Report) -> None:
    text = render(render_detail(report.results[2], 120), 120)
    # login-availability: 5% errors for 40 minutes against a 0.05% budget.
    assert " 1h       66.67x!   page 13.44x (long)  " in text
    assert (
        " 6h       11.11x!   page 5.6x (long), ticket 0.9333x (short)   above page, ticket" in text
    )
    assert " 3d         0.93x   ticket 0.9333x (long)                      below" in text
    assert " page     1h/5m     13.44x    firing" in text
    assert " ticket   1d/2h     2.8x      quiet" in text


def test_a_slo_without_data_says_so_in_words(report: Report) -> None:
    text = render(render_detail(report.results[5], 100), 100, force_terminal=True, no_color=True)
    assert not COLOUR.search(text)
    plain = ANSI.sub("", text)
    assert "no data / 99%" in plain
    assert "? unknown" in plain
    assert "No trend: no events matched the SLI." in plain
