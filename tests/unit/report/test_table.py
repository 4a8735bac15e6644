"""The terminal table at 80, 100, 120 and 200 columns, in full, and without colour."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType
from tests.unit.golden import check_golden
from tests.unit.report.report_sample import sample_report

from sloscope.report.model import Report
from sloscope.report.table import UNBOUNDED, render_table

GOLDEN = Path(__file__).parents[2] / "golden" / "report"
WIDTHS = (80, 100, 120, 200)
#: An SGR escape that sets a colour (30-37, 38;..., 90-97 and their backgrounds).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return sample_report(tmp_path_factory.mktemp("workspace"))


def render(renderable: RenderableType, width: int, **options: bool) -> str:
    """What a console of ``width`` columns prints (plain text unless ``options`` say)."""
    console = Console(
        width=width,
        file=io.StringIO(),
        highlight=False,
        markup=False,
        emoji=False,
        color_system="standard" if options.get("force_terminal") else None,
        **options,
    )
    console.print(renderable)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


def names(report: Report) -> list[str]:
    return [r.slo.name for r in report.results] + [r.service.name for r in report.results]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_table_matches_its_golden_file_at_each_width(report: Report, width: int) -> None:
    check_golden(GOLDEN / f"table-{width}.txt", render(render_table(report, width), width))


@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_is_wider_than_the_terminal(report: Report, width: int) -> None:
    lines = render(render_table(report, width), width).splitlines()
    assert max(cell_len(line) for line in lines) <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_every_name_is_printed_whole_on_one_line(report: Report, width: int) -> None:
    lines = render(render_table(report, width), width).splitlines()
    for name in names(report):
        assert any(name in line for line in lines), name
    assert "…" not in "".join(lines)


def test_eighty_columns_show_the_essentials_and_group_rows_by_service(report: Report) -> None:
    text = render(render_table(report, 80), 80)
    header = " ".join(text.splitlines()[1:3])
    for word in ("SLO", "SLI", "objective", "Budget", "Fastest", "Alerts", "Policy"):
        assert word in header
    for wider in ("5m", "last 1d", "Exhausted", "Window"):
        assert wider not in header
    # Each service is a heading once, its SLOs indented under it.
    assert [line for line in text.splitlines() if line.startswith("checkout")] == [
        "checkout" + " " * (len(text.splitlines()[4]) - len("checkout"))
    ]
    assert "\n  place-order-availability " in text
    assert "100x! 30m" in text  # the fastest burn with its window, above its threshold


def test_wider_terminals_add_the_trend_then_the_other_burn_windows(report: Report) -> None:
    at_100 = render(render_table(report, 100), 100)
    at_200 = render(render_table(report, 200), 200)
    assert "over window" in at_100
    assert "███████▅▄▄▄▄" in at_100  # place-order: the cliff ten days ago
    assert "Exhausted" in at_200
    assert "66.67x!" in at_200  # login's 1h burn column


def test_the_full_layout_has_every_column_and_spells_out_the_alerts(report: Report) -> None:
    text = render(render_table(report), UNBOUNDED)
    for head in ("Window", "5m", "1h", "6h", "1d", "3d", "last 1d", "Exhausted"):
        assert head in text
    assert "page 1h/5m, page 6h/30m" in text
    assert "ticket 1d/2h, ticket 3d/6h" in text
    check_golden(GOLDEN / "table-full.txt", text)


def test_without_colour_every_state_still_reads_in_words(report: Report) -> None:
    text = render(render_table(report, 80), 80, force_terminal=True, no_color=True)
    assert not COLOUR.search(text)
    plain = ANSI.sub("", text)
    for words in ("✓ ok", "▲ notify", "✖ freeze", "? unknown", "page", "ticket", "none"):
        assert words in plain
    assert "99.487% < 99.9%" in plain  # a missed objective says so
    assert "99.944% ≥ 99.9%" in plain
    assert "no data / 99%" in plain
    assert "3.50x! 1d" in plain  # above the ticket's threshold: ! as well as red


def test_colour_only_repeats_what_the_words_say(report: Report) -> None:
    coloured = render(render_table(report, 120), 120, force_terminal=True)
    assert COLOUR.search(coloured)
    assert ANSI.sub("", coloured) == render(render_table(report, 120), 120)


def test_a_name_too_long_for_the_terminal_wraps_and_is_never_cut(report: Report) -> None:
    long_name = "checkout-latency-of-the-order-confirmation-page-for-customers-signed-in"
    first = report.results[0]
    longer = report._replace(results=(first._replace(slo=replace(first.slo, name=long_name)),))
    text = render(render_table(longer, 80), 80)
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    # The name's pieces are the first word of its row and of the lines under it.
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("  checkout-latency"))
    rebuilt = ""
    for line in lines[row:]:
        rebuilt += line.split()[0]
        if len(rebuilt) >= len(long_name):
            break
    assert rebuilt == long_name
