"""``backtest`` (replay stored history through the alert policies) and ``tune``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sloscope.cli.console import errors, fail, iso, out
from sloscope.cli.options import ServiceOption, WorkspaceOption, open_workspace, time_option

if TYPE_CHECKING:
    from rich.table import Table

    from sloscope.alerting.tune import Proposal


commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


def _check_range(begin: int, finish: int) -> None:
    if begin >= finish:
        fail(f"--from ({iso(begin)}) must be before --to ({iso(finish)})")


FromOption = Annotated[
    str, typer.Option("--from", help="Start of the replay: RFC 3339 or Unix seconds.")
]
ToOption = Annotated[str, typer.Option("--to", help="End of the replay (default: now).")]
TruthOption = Annotated[
    Path | None,
    typer.Option("--truth", help='Known incidents: {"incidents": [{service, slo, start, end}]}.'),
]


class CompareWith(StrEnum):
    """Naive policies a backtest can compare with."""

    static = "static"


@commands.command()
def backtest(
    start: FromOption,
    end: ToOption = "now",
    service: ServiceOption = None,
    truth: TruthOption = None,
    compare: Annotated[
        CompareWith | None,
        typer.Option("--compare", help="Also replay the static policy (5m error ratio > budget)."),
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", help="Alert policy to replay instead (repeat to compare)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The JSON contract (see README).")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Replay stored history: the alerts that would have fired, and how good they were."""
    begin, finish = time_option("--from", start), time_option("--to", end)
    _check_range(begin, finish)
    with errors():
        ws = open_workspace(workspace)
        result = ws.backtest(
            begin,
            finish,
            service=service,
            truth=truth.absolute() if truth is not None else None,
            policies=list(dict.fromkeys(policy or ())),
            compare_static=compare is CompareWith.static,
        )
    if as_json:
        from sloscope.alerting.render import backtest_json

        sys.stdout.write(json.dumps(backtest_json(result), indent=2) + "\n")
        return
    from sloscope.alerting.render import backtest_table

    out.print(backtest_table(result))


@commands.command()
def tune(
    truth: TruthOption = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="Start of the history to tune on (default: --to minus 30d)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="End of that history (default: the last stored sample)."),
    ] = None,
    service: ServiceOption = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the proposals into sloscope.yaml.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Propose per SLO the alert policy that detects every incident with the fewest alerts."""
    from sloscope.alerting.tuned_config import tuned_snippet

    with errors():
        ws = open_workspace(workspace)
        finish = time_option("--to", end) if end is not None else ws.history_end(time.time())
        begin = time_option("--from", start) if start is not None else finish - 30 * 86400
        _check_range(begin, finish)
        proposals = ws.tune(
            begin, finish, service=service, truth=truth.absolute() if truth else None
        )
        out.print(_tune_table(proposals))
        changed = [p for p in proposals if p.changed]
        if not changed:
            out.print("every SLO's current policy is already the best candidate; nothing to write")
            return
        if write:
            path = ws.write_tuned(changed)
            out.print(
                f"wrote {len(changed)} tuned policies into {path} (previous file: {path}.bak; "
                "comments are not kept)"
            )
        else:
            out.print("\nadd these settings to sloscope.yaml (or rerun with --write):")
            sys.stdout.write(tuned_snippet(changed))


def _tune_table(proposals: Sequence[Proposal]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, title="tuned alert policies (before → after)")
    for name in ("service", "SLO", "alerts", "detected", "policy after"):
        table.add_column(name)
    for p in proposals:
        rows = ", ".join(
            f"{w.severity} {w.budget_percent:g}%/{w.long_label}/{w.short_label}"
            for w in p.proposed.windows
        )
        guard = p.proposed.guard
        if guard is not None:
            rows += f"; guard {guard.min_total:g}/{guard.min_bad:g}"
        table.add_row(
            p.service,
            p.slo,
            f"{p.before.alerts} → {p.after.alerts}",
            f"{p.before.detected}/{p.before.incidents} → {p.after.detected}/{p.after.incidents}",
            rows if p.changed else "(unchanged)",
        )
    return table
