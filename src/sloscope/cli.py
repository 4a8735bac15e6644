"""The ``sloscope`` command: arguments → workspace → output and exit code.

Exit codes (a contract for CI pipelines): 0 ok; 1 the check said no (``validate`` found
errors); 2 bad input or cannot evaluate. No traceback reaches the user for an expected
error; set ``SLOSCOPE_DEBUG=1`` to see one for an unexpected error.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer

from sloscope import __version__
from sloscope.errors import Problem, SloscopeError, SpecError
from sloscope.server.commands import register as register_server_commands
from sloscope.timeparse import parse_time

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from sloscope.alerting.backtest import BacktestResult
    from sloscope.alerting.matchers import Matcher
    from sloscope.alerting.tune import Proposal
    from sloscope.demo.generate import DemoTelemetry
    from sloscope.demo.workspace import DemoFiles
    from sloscope.events.model import IncidentState
    from sloscope.policy.gate import GateDecision
    from sloscope.report.model import Report
    from sloscope.store.events import StoredIncident
    from sloscope.workspace import Workspace

#: Control characters but the line break (C0, DEL, C1).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="sloscope",
    help="SLO-driven observability and error budgets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


class _LazyConsole:
    """A rich ``Console`` made on first use: commands that print JSON never load rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself, made now if not yet (for rich's classes that take one)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


# Piped output (CI logs, files) gets a wide table rather than one folded to 80 columns.
# Names and paths come from users: no markup (only where asked, with the text escaped)
# and no emoji codes, so `[bold]` or `:smile:` in a name prints as written.
out = cast(
    "Console",
    _LazyConsole(
        highlight=False, markup=False, emoji=False, width=None if sys.stdout.isatty() else 200
    ),
)
err = cast(
    "Console",
    _LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False),
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Project folder (slos/, .sloscope/, sloscope.yaml). Default: the current directory.",
        show_default=False,
    ),
]
ServiceOption = Annotated[str | None, typer.Option("--service", "-s", help="Only this service.")]
SinceOption = Annotated[str | None, typer.Option("--from", help="From this time.")]
UntilOption = Annotated[str | None, typer.Option("--to", help="Up to this time.")]
# A string, not a Path: Path("out/") drops the slash that asks for a folder (see _output).
OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="File (or folder, ending in /) to write; default standard output.",
    ),
]
AtOption = Annotated[
    str,
    typer.Option("--at", help="Evaluation time: RFC 3339 or Unix seconds.", show_default=True),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who: default $GITHUB_ACTOR or $USER.", show_default=False),
]


class ReportFormat(StrEnum):
    """Output formats of ``report`` besides the terminal table."""

    table = "table"
    md = "md"
    html = "html"
    json = "json"


class GenerateKind(StrEnum):
    """What ``generate`` writes."""

    prometheus = "prometheus"
    prometheus_tests = "prometheus-tests"
    grafana = "grafana"
    alertmanager = "alertmanager"
    openslo = "openslo"


class ConvertTarget(StrEnum):
    """What ``convert`` writes."""

    sloscope = "sloscope"
    openslo = "openslo"


class RulesFormat(StrEnum):
    """How Prometheus rules are packaged."""

    rules = "rules"
    operator = "operator"


class IngestFormat(StrEnum):
    """Telemetry formats ``ingest`` reads."""

    openmetrics = "openmetrics"  # OpenMetrics text, timestamps in seconds
    prometheus = "prometheus"  # Prometheus text exposition, timestamps in milliseconds


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err.print(f"[bold red]error:[/] {_escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn sloscope's errors into a message and exit code 2, never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except SpecError as exc:
        _print_problems(exc.problems)
        _fail("the specs have errors; run 'sloscope validate' for the full list")
    except SloscopeError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted")
    except Exception as exc:
        if os.environ.get("SLOSCOPE_DEBUG"):
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc} "
            "(this is a bug in sloscope; rerun with SLOSCOPE_DEBUG=1 and report the traceback)"
        )


def _escape(text: str) -> str:
    """``text`` for a styled line: rich markup escaped, control characters made visible.

    A path from a setting may hold an escape sequence or a carriage return that would
    rewrite the terminal; it is shown as ``\\x1b``. Line breaks of a message stay.
    """
    from rich.markup import escape

    return escape(_visible(text))


def _visible(text: str) -> str:
    """``text`` with control characters (but line breaks) shown as escapes (``\\x1b``)."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


def _print_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{style}]{_escape(str(problem))}[/]", markup=True)


def _at(text: str) -> int:
    return _time_option("--at", text)


def _time_option(option: str, text: str) -> int:
    try:
        return parse_time(text, now=time.time())
    except ValueError as exc:
        _fail(f"{option}: {exc}")


def _workspace(path: Path | None) -> Workspace:
    # Imported here: ``sloscope --version`` and ``--help`` need no numpy or DuckDB.
    from sloscope.workspace import Workspace

    return Workspace.open(path)


def _version(value: bool) -> None:
    if value:
        # Plain text: the version needs no rich (the same bytes a console would print).
        sys.stdout.write(f"sloscope {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """SLOs, error budgets and burn-rate alerts from one spec per service."""


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Spec files or folders. Default: the workspace's specs (slos/)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Load and check specs: every problem of every file, as FILE:LINE:COL. Exit 1 on errors."""
    with _errors():
        ws = _workspace(workspace)
        result = ws.validate(paths or (), traffic=True)
    failed = bool(result.errors) or (strict and bool(result.warnings))
    if as_json:
        doc = {
            "ok": not failed,
            "files": list(result.files),
            "services": [s.name for s in result.services],
            "slos": sum(len(s.slos) for s in result.services),
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "column": p.column,
                    "severity": p.severity,
                    "message": p.message,
                    "hint": p.hint,
                }
                for p in result.problems
            ],
        }
        out.print_json(json.dumps(doc))
    else:
        _print_problems(result.problems)
        slo_count = sum(len(s.slos) for s in result.services)
        summary = (
            f"{len(result.files)} file(s), {len(result.services)} service(s), {slo_count} SLO(s): "
            f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
        )
        err.print(f"[{'red' if failed else 'green'}]{summary}[/]", markup=True)
    raise typer.Exit(EXIT_CHECK_FAILED if failed else EXIT_OK)


@app.command()
def ingest(
    file: Annotated[str, typer.Argument(help="Telemetry file, or - for standard input.")],
    fmt: Annotated[
        IngestFormat, typer.Option("--format", "-f", help="Input format.")
    ] = IngestFormat.openmetrics,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Load telemetry into the embedded store. All or nothing: a bad line stores nothing."""
    with _errors():
        ws = _workspace(workspace)
        if file == "-":
            result = ws.ingest(sys.stdin.buffer, fmt.value)
        else:
            path = Path(file)
            if not path.is_file():
                if path.is_dir():
                    _fail(f"{file}: a folder, not a file; pass a telemetry file or - for stdin")
                if path.exists():
                    _fail(
                        f"{file}: {_kind_of(path)}, not a regular file; read it through "
                        f"standard input: sloscope ingest - < {file}"
                    )
                _fail(f"{file}: no such file")
            with _progress() as advance:
                result = ws.ingest(path, fmt.value, progress=advance)
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
    else:
        out.print(_visible(result.summary()))


def _kind_of(path: Path) -> str:
    """What a path that exists but is not a regular file is, for a message."""
    kinds = (
        (path.is_dir, "a folder"),
        (path.is_fifo, "a named pipe"),
        (path.is_socket, "a socket"),
        (path.is_char_device, "a character device"),
        (path.is_block_device, "a block device"),
    )
    return next((name for test, name in kinds if test()), "not a regular file")


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    # Imported here: only ingest and demo show a bar, and rich.progress is slow to load.
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("ingesting"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=cast("_LazyConsole", err).get(),  # the real one: rich enters it (with)
        transient=True,
        disable=not err.is_terminal,
    )
    with bar:
        task = bar.add_task("ingest", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield advance


store_app = typer.Typer(
    help="Look after the embedded telemetry store: what it holds, deleting bad samples.",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")


@store_app.command("info")
def store_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Series, samples, time span and file size of the embedded store."""
    with _errors():
        info = _workspace(workspace).store_info()
    if as_json:
        out.print_json(json.dumps(info.to_dict()))
    else:
        out.print(info.summary(), markup=False, emoji=False)


@store_app.command("delete-series")
def delete_series(
    selector: Annotated[
        str, typer.Argument(help="PromQL selector, e.g. 'http_requests_total{code=\"500\"}'.")
    ],
    start: Annotated[
        str | None, typer.Option("--from", help="First time to delete (RFC 3339 or Unix s).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last time to delete (inclusive).")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Delete; without it, only count what would go.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete samples of matching series (all, or --from to --to); counts stay exact.

    Without --yes, a dry run: it only counts what would be deleted.
    """
    low = _time_option("--from", start) if start is not None else None
    high = _time_option("--to", end) if end is not None else None
    if low is not None and high is not None and low > high:
        _fail("--from is after --to; give the earlier time to --from")
    with _errors():
        done = _workspace(workspace).delete_series(selector, low, high, apply=yes)
    what = f"{done.samples:,} sample(s) of {done.series:,} series" + (
        f" ({done.series_removed:,} series left with none)" if done.series_removed else ""
    )
    if done.applied:
        out.print(f"deleted {what}", markup=False, emoji=False)
    elif done.samples:
        out.print(
            f"would delete {what}; nothing was deleted: add --yes to delete",
            markup=False,
            emoji=False,
        )
    else:
        out.print(f"no sample of {selector} in that span; nothing to delete", markup=False)


@app.command()
def report(
    at: AtOption = "now",
    service: ServiceOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The JSON contract (see README).")
    ] = False,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table (terminal), md, html or json.")
    ] = ReportFormat.table,
    slo: Annotated[
        str | None,
        typer.Option("--slo", help="One SLO in detail: charts, burn windows, alerts, runbook."),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="table: every column, however wide the terminal."),
    ] = False,
    org: Annotated[
        bool, typer.Option("--org", help="The org report: SLO adoption, alerts, MTTR, CFR.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--from", help="--org: from (default a week before --to).")
    ] = None,
    until: Annotated[str, typer.Option("--to", help="--org: up to this time.")] = "now",
    workspace: WorkspaceOption = None,
) -> None:
    """SLO status now or at a past time: SLI, error budget, burn rates, alerts, policy.

    With --org: the organisation's figures over --from/--to (default the last week)."""
    if org:
        _org_report(since, until, ReportFormat.json if as_json else fmt, workspace)
        return
    when = _at(at)
    as_json = as_json or fmt is ReportFormat.json
    with _errors():
        ws = _workspace(workspace)
        result = ws.report(at=when, service=service, slo=slo, trends=not as_json)
    if as_json:
        sys.stdout.write(_report_json(ws, result, service))
    elif fmt is ReportFormat.md:
        from sloscope.report.markdown import render_markdown

        sys.stdout.write(render_markdown(result))
        sys.stdout.write(_audit_section(ws, when, service))
    elif fmt is ReportFormat.html:
        from sloscope.report.html import render_html

        sys.stdout.write(render_html(result))
    else:
        _print_report(result, detail=slo is not None, wide=wide)

        out.print(_audit_section(ws, when, service), markup=False, end="")


def _report_json(ws: Workspace, result: Report, service: str | None) -> str:
    """``report --json``, with a top-level ``audit`` key when there are audit entries."""
    from sloscope.records.gating import report_json

    with _errors():
        return report_json(ws, result, service)


def _audit_section(ws: Workspace, at: int, service: str | None) -> str:
    """The report's sections from the state store: alerts/week and the actionable share,
    and the audit (overrides and exceptions) of the last 28 days."""
    from sloscope.records.gating import recent_audit
    from sloscope.records.org import alert_volume, alert_volume_lines
    from sloscope.records.render import audit_line

    with _errors():
        entries = recent_audit(ws, at, service)
        volume = alert_volume(ws, at, service)
    lines = [] if volume is None else alert_volume_lines(volume)
    if entries:
        lines += ["", "## Audit (overrides and exceptions, last 28 days)", ""]
        lines += [f"- {audit_line(e)}" for e in entries]
    return "\n".join(lines) + "\n" if lines else ""


def _org_report(since: str | None, until: str, fmt: ReportFormat, workspace: Path | None) -> None:
    from sloscope.records.org import DEFAULT_RANGE_SECONDS, org_report
    from sloscope.report.org.render import (
        render_org_html,
        render_org_json,
        render_org_markdown,
    )

    end = _time_option("--to", until)
    begin = _time_option("--from", since) if since is not None else end - DEFAULT_RANGE_SECONDS
    with _errors():
        ws = _workspace(workspace)
        figures = org_report(ws, begin=begin, end=end)
    if fmt is ReportFormat.json:
        sys.stdout.write(render_org_json(figures))
    elif fmt is ReportFormat.html:
        sys.stdout.write(render_org_html(figures))
    else:
        sys.stdout.write(render_org_markdown(figures))


def _print_report(result: Report, *, detail: bool, wide: bool) -> None:
    """The terminal table (or one SLO in detail) at the width it has.

    User text must print as written, so the console parses no markup and no emoji
    codes. In a terminal the table fits its width (all columns with ``--wide``);
    output that is not a terminal gets every column at the width they need, the same
    wherever it runs.
    """
    from rich.console import Console

    from sloscope.report.detail import render_detail
    from sloscope.report.table import UNBOUNDED, render_table

    console = Console(highlight=False, markup=False, emoji=False)
    if detail:
        width = console.width if console.is_terminal else 100
        # A grouped SLO is one result per group: each is shown in detail.
        for one in result.results:
            Console(highlight=False, markup=False, emoji=False, width=width).print(
                render_detail(one, width)
            )
        return
    if console.is_terminal and not wide:
        console.print(render_table(result, console.width))
        return
    wide_console = Console(highlight=False, markup=False, emoji=False, width=UNBOUNDED)
    wide_console.print(render_table(result))


def _labels(pairs: list[str]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--label {pair!r}: write NAME=VALUE, e.g. --label team=payments")
        labels[key.strip()] = value
    return labels


@app.command()
def generate(
    kind: Annotated[GenerateKind, typer.Argument(help="What to generate.")],
    output_text: OutputOption = None,
    fmt: Annotated[
        RulesFormat,
        typer.Option("--format", help="prometheus: a rules file, or a PrometheusRule object."),
    ] = RulesFormat.rules,
    exhausted_alert: Annotated[
        bool, typer.Option("--exhausted-alert", help="Also alert when the budget is spent.")
    ] = False,
    dashboard_url: Annotated[
        str | None,
        typer.Option(
            "--dashboard-url",
            help=(
                "Dashboard link for alerts; {service}, {slo}, {id} and {dashboard_uid} "
                "are filled in."
            ),
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="NAME=VALUE added to every rule (repeatable)."),
    ] = None,
    datasource_uid: Annotated[
        str | None, typer.Option("--datasource-uid", help="grafana: default Prometheus datasource.")
    ] = None,
    pager_receiver: Annotated[
        str, typer.Option("--pager-receiver", help="alertmanager: receiver of pages.")
    ] = "pager",
    ticket_receiver: Annotated[
        str, typer.Option("--ticket-receiver", help="alertmanager: receiver of tickets.")
    ] = "tickets",
    workspace: WorkspaceOption = None,
) -> None:
    """Prometheus rules and their promtool tests, Grafana dashboards, Alertmanager, OpenSLO."""
    output, into_folder = _output(output_text)
    with _errors():
        ws = _workspace(workspace)
        result = ws.generate(
            kind.value,
            fmt=fmt.value,
            exhausted_alert=exhausted_alert,
            dashboard_url=dashboard_url,
            extra_labels=_labels(label or []),
            datasource_uid=datasource_uid,
            rules_file=(
                output.name if output and not (into_folder or output.is_dir()) else "slo-rules.yaml"
            ),
            pager_receiver=pager_receiver,
            ticket_receiver=ticket_receiver,
        )
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {_escape(warning)}", markup=True)
        folder = into_folder or kind in (GenerateKind.grafana, GenerateKind.prometheus_tests)
        _write_generated(result.files, output, folder=folder)


@app.command()
def convert(
    paths: Annotated[list[Path], typer.Argument(help="Spec files or folders, any format.")],
    to: Annotated[
        ConvertTarget, typer.Option("--to", help="sloscope (native) or openslo.")
    ] = ConvertTarget.sloscope,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write one file per service; default stdout."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write Sloth, Pyrra, slo-generator or OpenSLO specs as native (or OpenSLO) specs.

    Warnings about what changed on the way in become comments in the files.
    """
    with _errors():
        ws = _workspace(workspace)
        result = ws.convert(paths, to.value)
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {_escape(warning)}", markup=True)
        if out_dir is None:
            sys.stdout.write("---\n".join(result.files.values()))
            return
        _write_generated(result.files, out_dir, folder=True)


def _output(text: str | None) -> tuple[Path | None, bool]:
    """The ``-o`` path, and whether it names a folder (it ends in ``/``).

    Read from the text: ``Path("out/")`` is ``Path("out")``, the slash that asks for a
    folder is lost once it is a path.
    """
    if not text:
        return None, False
    return Path(text), text.endswith(("/", os.sep))


def _write_generated(files: dict[str, str], output: Path | None, *, folder: bool) -> None:
    if output is None:
        if len(files) > 1:
            _fail(
                f"this writes {len(files)} files ({', '.join(sorted(files))}); "
                "pass -o DIR to write them into a folder"
            )
        sys.stdout.write(next(iter(files.values())))
        return
    if folder or output.is_dir():
        _make_folder(output, output)
        targets = {output / name: text for name, text in files.items()}
    else:
        _make_folder(output.parent, output)
        targets = {output: next(iter(files.values()))}
    for path, text in targets.items():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {path}: {exc.strerror or exc}")
        err.print(f"wrote {_visible(str(path))}")


def _make_folder(folder: Path, output: Path, *, purpose: str = "", hint: str = "") -> None:
    """Create ``folder`` for ``output``; a file in the way is bad input, not a bug."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
        what = f"{purpose} cannot make the folder" if purpose else "cannot write"
        _fail(f"{what} {output}: {reason or exc}" + (f"; {hint}" if hint else ""))


@app.command()
def demo(
    days: Annotated[int, typer.Option("--days", min=4, max=90, help="Days of telemetry.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the generator.")] = 7,
    at: Annotated[
        str, typer.Option("--at", help="Where the data ends (RFC 3339 or Unix seconds).")
    ] = "now",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the dashboard (public read, 127.0.0.1)."),
    ] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="With --serve.")] = 8080,
    workspace: WorkspaceOption = None,
) -> None:
    """Sample specs and 30 days of telemetry with incidents in a workspace, then the report."""
    from sloscope.demo.workspace import prepare_demo

    end = _at(at) // 60 * 60
    root = workspace or Path()
    if root.exists() and not root.is_dir():
        _fail(
            f"--workspace {root} is a file, not a folder; pass a new or existing folder "
            "(the demo writes slos/ and .sloscope/ into it)"
        )
    with _errors():
        _make_folder(
            root,
            root,
            purpose="the demo",
            hint="give a writable place: sloscope demo --workspace DIR",
        )
        ws = _workspace(root)
        err.print(_visible(f"writing sample specs and {days} days of telemetry into {root} ..."))
        files = prepare_demo(root, ws.telemetry_path, end=end, days=days, seed=seed)
        with _progress() as advance:
            result = ws.ingest(files.telemetry, "openmetrics", progress=advance)
        err.print(_visible(result.summary()))
        replay = ws.backtest(
            end - days * 86400, end, truth=files.truth.absolute(), compare_static=True
        )
        _record_demo(ws, files.generated, replay, end)
        report_result = ws.report(at=end)
    if as_json:
        sys.stdout.write(_report_json(ws, report_result, None))
    else:
        _print_demo(ws, report_result, files, replay, end=end, days=days)
    if serve:
        from sloscope.server.commands import run_server
        from sloscope.server.settings import ServerSettings

        with _errors():
            settings = ServerSettings(
                host="127.0.0.1", port=port, public_read=True, evaluation_worker=True
            )
            run_server(ws, settings)


def _print_demo(
    ws: Workspace,
    report_result: Report,
    files: DemoFiles,
    replay: BacktestResult,
    *,
    end: int,
    days: int,
) -> None:
    from sloscope.alerting.render import summary_line

    root = ws.root
    _print_report(report_result, detail=False, wide=False)
    out.print(summary_line(replay))
    out.print(
        f"\nThe demo workspace is {root}. Try:\n"
        f"  sloscope backtest -w {root} --from {_iso(end - days * 86400)} --to {_iso(end)} "
        f"--truth {files.truth} --compare static\n"
        f"  sloscope report -w {root} --service checkout --format md\n"
        f"  sloscope report -w {root} --at {_iso(files.generated.incidents[0].end)}\n"
        f"  sloscope validate -w {root}\n"
        f"  sloscope report -w {root} --org --to {_iso(end)} --format html > org.html\n"
        f"  sloscope incident list -w {root}; sloscope incident postmortem 1 -w {root}\n"
        f"Injected incidents (the truth file for backtests is {files.truth}):"
    )
    for incident in files.generated.incidents:
        out.print(
            f"  {incident.kind:<18} {incident.service}/{incident.slo}: "
            f"{_iso(incident.start)} → {_iso(incident.end)}"
        )


def _check_range(begin: int, finish: int) -> None:
    if begin >= finish:
        _fail(f"--from ({_iso(begin)}) must be before --to ({_iso(finish)})")


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


@app.command()
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
    begin, finish = _time_option("--from", start), _time_option("--to", end)
    _check_range(begin, finish)
    with _errors():
        ws = _workspace(workspace)
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


@app.command()
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

    with _errors():
        ws = _workspace(workspace)
        finish = _time_option("--to", end) if end is not None else ws.history_end(time.time())
        begin = _time_option("--from", start) if start is not None else finish - 30 * 86400
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


def _record_demo(ws: Workspace, generated: DemoTelemetry, replay: BacktestResult, end: int) -> None:
    """The demo's deployments, incidents, the alerts its backtest sent, and a gate
    decision per service, in the store."""
    from sloscope.records.demo import record_demo_alerts, record_demo_history
    from sloscope.records.gating import gate_and_record

    now = int(time.time())
    history = record_demo_history(ws, generated.deployments, generated.incidents, end=end, now=now)
    alerts = record_demo_alerts(ws, replay.replays[0].alerts, end=end)
    for service in sorted({d.service for d in generated.deployments}):
        gate_and_record(
            ws, service, end, asked_by="demo", now=now, request_id=f"demo-{service}-{end}"
        )
    err.print(
        f"recorded {history.deployments} deployment(s), {history.incidents} incident(s) and "
        f"{alerts} alert(s) in the state store"
    )


@app.command()
def gate(
    service: Annotated[str, typer.Argument(help="The service to release.")],
    journey: Annotated[
        str | None, typer.Option("--journey", "-j", help="Judge only this journey's SLOs.")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="The version to release (for the record).")
    ] = None,
    exception: Annotated[
        str | None,
        typer.Option("--exception", help="A kind of change the policy lets through a freeze."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the exception applies (required with it).")
    ] = None,
    at: AtOption = "now",
    as_json: Annotated[bool, typer.Option("--json", help="The gate JSON (see README).")] = False,
    by: ByOption = None,
    record: Annotated[
        bool, typer.Option("--record", help="Record the deployment when the gate allows it.")
    ] = False,
    commit: Annotated[
        str | None, typer.Option("--commit", help="With --record: the deployed commit.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Release gate: exit 0 allow or warn, 1 freeze, 2 cannot decide or bad input.

    Every decision is recorded in the state store (who asked: --by, else $GITHUB_ACTOR
    or $USER); --record also records the deployment it allowed."""
    from sloscope.policy.gate import GateException
    from sloscope.records.gating import gate_and_record

    when = _at(at)
    if reason is not None and exception is None:
        _fail("--reason goes with --exception KIND (e.g. --exception hotfix --reason TEXT)")
    with _errors():
        ws = _workspace(workspace)
        outcome = gate_and_record(
            ws,
            service,
            when,
            asked_by=_who(by),
            now=int(time.time()),
            journey=journey,
            version=version,
            exception=GateException(exception, reason or "") if exception is not None else None,
            record=record,
            commit=commit,
        )
    _print_gate(outcome.decision, as_json)
    if outcome.deployment_id is not None:
        err.print(f"recorded deployment {outcome.deployment_id} ({service} {version})")
    raise typer.Exit(outcome.decision.exit_code)


def _who(by: str | None) -> str:
    """Who is asking: --by, else the CI actor, else the login name."""
    return by or os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "unknown"


def _print_gate(decision: GateDecision, as_json: bool) -> None:
    from sloscope.policy.render import (
        github_annotations,
        github_summary,
        render_gate_json,
        render_gate_text,
    )

    sys.stdout.write(render_gate_json(decision) if as_json else render_gate_text(decision))
    if not os.environ.get("GITHUB_ACTIONS"):
        return
    # The runner reads workflow commands from both streams; stderr keeps --json parseable.
    (sys.stderr if as_json else sys.stdout).write(github_annotations(decision))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as file:
                file.write(github_summary(decision))
        except OSError as exc:
            reason = _escape(exc.strerror or type(exc).__name__)
            warning = f"cannot append to GITHUB_STEP_SUMMARY: {reason}"
            err.print(f"[yellow]warning:[/] {warning}", markup=True)


policy_app = typer.Typer(help="Error budget policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("doc")
def policy_doc(
    output_text: OutputOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The error budget policy as Markdown, from sloscope.yaml: what the gate enforces."""
    with _errors():
        ws = _workspace(workspace)
        text = ws.policy_document()
    output, into_folder = _output(output_text)
    into_folder = into_folder or (output is not None and output.is_dir())
    name = "error-budget-policy.md" if output is None or into_folder else output.name
    _write_generated({name: text}, output, folder=into_folder)


silence_app = typer.Typer(
    help="Silences: alerts whose labels match are not notified for a while.",
    no_args_is_help=True,
)
app.add_typer(silence_app, name="silence")
notify_app = typer.Typer(help="Notifications: check notifiers and routes.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@silence_app.command("add")
def silence_add(
    matcher: Annotated[
        list[str],
        typer.Option(
            "--matcher",
            "-m",
            help="NAME=VALUE (or !=, =~, !~); every one must match. Repeatable.",
        ),
    ],
    duration: Annotated[str, typer.Option("--duration", "-d", help="How long, e.g. 2h.")],
    author: Annotated[str, typer.Option("--author", help="Who silences.")],
    comment: Annotated[str, typer.Option("--comment", help="Why.")],
    start: Annotated[
        str, typer.Option("--start", help="When it starts: RFC 3339 or Unix seconds.")
    ] = "now",
    as_json: Annotated[bool, typer.Option("--json", help="Print the silence as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Silence the alerts matching every --matcher, for --duration, in the state store."""
    from sloscope.store.silences import MAX_AUTHOR_CHARS, MAX_COMMENT_CHARS

    now = int(time.time())
    matchers = _matchers(matcher)
    seconds = _silence_seconds(duration)
    if not author.strip() or len(author) > MAX_AUTHOR_CHARS:
        _fail(f"--author: give a name of 1 to {MAX_AUTHOR_CHARS} characters")
    if not comment.strip() or len(comment) > MAX_COMMENT_CHARS:
        _fail(f"--comment: say why, in 1 to {MAX_COMMENT_CHARS} characters")
    begins = now if start == "now" else _time_option("--start", start)
    with _errors():
        ws = _workspace(workspace)
        silence = ws.add_silence(
            matchers,
            starts_at=begins,
            ends_at=begins + seconds,
            author=author.strip(),
            comment=comment.strip(),
            now=now,
        )
    if as_json:
        out.print_json(json.dumps(silence.to_dict(now)))
    else:
        out.print(
            f"silence {silence.id}: {', '.join(matcher)} from {_iso(silence.starts_at)} "
            f"to {_iso(silence.ends_at)}"
        )


def _matchers(texts: list[str]) -> list[Matcher]:
    from sloscope.alerting.matchers import parse_matcher

    matchers = []
    for text in texts:
        try:
            matchers.append(parse_matcher(text))
        except ValueError as exc:
            _fail(f"--matcher {text!r}: {exc}")
    return matchers


def _silence_seconds(duration: str) -> int:
    from sloscope.spec.durations import parse_duration
    from sloscope.store.silences import MAX_SILENCE_SECONDS

    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        _fail(f"--duration: {exc}")
    if seconds > MAX_SILENCE_SECONDS:
        _fail("--duration: at most 366d; a longer silence is better as a route change")
    return seconds


@silence_app.command("list")
def silence_list(
    show_all: Annotated[
        bool, typer.Option("--all", help="Expired silences too (kept as a record).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print silences as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Active and upcoming silences (with --all, expired ones too)."""
    now = int(time.time())
    with _errors():
        ws = _workspace(workspace)
        silences = ws.silences(now, include_expired=show_all)
    rows = [s.to_dict(now) for s in silences]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        err.print("no silences" + ("" if show_all else " active or upcoming (--all: expired too)"))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("id", "state", "matchers", "starts", "ends", "author", "comment"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["state"]),
            ", ".join(row["matchers"]),
            str(row["starts_at"]),
            str(row["ends_at"]),
            str(row["author"]),
            str(row["comment"]),
        )
    out.print(table)


@silence_app.command("expire")
def silence_expire(
    silence_id: Annotated[int, typer.Argument(help="The silence's id (see silence list).")],
    workspace: WorkspaceOption = None,
) -> None:
    """End a silence now; the record is kept."""
    now = int(time.time())
    with _errors():
        ws = _workspace(workspace)
        silence = ws.expire_silence(silence_id, now)
    out.print(f"silence {silence.id} expired at {_iso(silence.ends_at)}")


@notify_app.command("test")
def notify_test(
    target: Annotated[str, typer.Argument(help="A notifier's name, or a named route.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Send a test message to a notifier (or each notifier of a route). Exit 1 on failure."""
    with _errors():
        ws = _workspace(workspace)
        results = ws.notify_test(target, at=int(time.time()))
    failed = False
    for name, result in results.items():
        if result.ok:
            out.print(_visible(f"{name}: delivered ({result.detail})"))
        else:
            failed = True
            again = "a retry may help" if result.retryable else "a retry will not help"
            err.print(f"[red]{name}: failed: {_escape(result.detail)} ({again})[/]", markup=True)
    raise typer.Exit(EXIT_CHECK_FAILED if failed else EXIT_OK)


# --- alerts: list, show, acknowledge ----------------------------------------------------

alert_app = typer.Typer(
    help="Alerts the evaluator recorded: list, show, acknowledge.", no_args_is_help=True
)
app.add_typer(alert_app, name="alert")


class AlertFilter(StrEnum):
    """The states ``alert list --state`` takes (``silenced``: an active silence covers it)."""

    firing = "firing"
    pending = "pending"
    resolved = "resolved"
    inactive = "inactive"
    silenced = "silenced"


@alert_app.command("list")
def alert_list(
    state: Annotated[
        AlertFilter | None,
        typer.Option(
            "--state",
            help="Only alerts in this state; firing and pending leave out the silenced ones.",
        ),
    ] = None,
    service: ServiceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print alerts as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Recorded alerts, the most recent change first (GET /api/v1/alerts's items)."""
    from sloscope.records.alerts import recorded_alerts

    now = int(time.time())
    with _errors():
        ws = _workspace(workspace)
        found = recorded_alerts(
            ws, now, state=None if state is None else state.value, service=service
        )
    rows = [a.to_dict() for a in found]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        err.print("no alerts on record" + ("" if state is None else f" in state {state.value}"))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("key", "state", "service", "slo", "severity", "since", "acked by"):
        table.add_column(column)
    for row in rows:
        shown = "silenced" if row["silenced"] else row["state"]
        table.add_row(
            *(
                _visible(str(v))
                for v in (
                    row["key"][:12],
                    shown,
                    row["service"],
                    row["slo"],
                    row["severity"],
                    row["since"],
                    row["acked_by"] or "",
                )
            )
        )
    out.print(table)


def _alert_key(ws: Workspace, key: str, now: int) -> str:
    """The full key of the alert whose key is or starts with ``key`` (12 hex digits, as
    ``alert list`` shows them, are enough); ``key`` as given when none or several do."""
    from sloscope.records.alerts import recorded_alerts

    if len(key) >= 64:
        return key
    found = {a.state.key for a in recorded_alerts(ws, now) if a.state.key.startswith(key)}
    return found.pop() if len(found) == 1 else key


def _print_alert(doc: dict[str, Any]) -> None:
    state = "silenced" if doc["silenced"] else doc["state"]
    lines = [
        f"alert {doc['key']} [{state}] {doc['service']}/{doc['slo']} {doc['severity']}",
        f"  since {doc['since']}; fired {doc['fired_at'] or '-'}; "
        f"resolved {doc['resolved_at'] or '-'}; peak burn {doc['peak_burn_rate']:.2f}",
        "  acknowledged "
        + (f"by {doc['acked_by']} at {doc['acked_at']}" if doc["acked_at"] else "by nobody"),
    ]
    lines += [f"  {t['at']}  {t['from'] or '-'} -> {t['to']}" for t in doc.get("transitions", [])]
    for line in lines:
        out.print(_escape(line), markup=False)


@alert_app.command("show")
def alert_show(
    key: Annotated[str, typer.Argument(help="The alert's key (or its first 12 digits).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the alert as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """One alert and its transitions (GET /api/v1/alerts/{key})."""
    from sloscope.records.alerts import alert_document

    now = int(time.time())
    with _errors():
        ws = _workspace(workspace)
        doc = alert_document(ws, _alert_key(ws, key, now), now)
    if as_json:
        out.print_json(json.dumps(doc))
    else:
        _print_alert(doc)


@alert_app.command("ack")
def alert_ack(
    key: Annotated[str, typer.Argument(help="The alert's key (or its first 12 digits).")],
    by: Annotated[str, typer.Option("--by", help="Who acknowledges.")],
    comment: Annotated[str | None, typer.Option("--comment", help="Why, or what next.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the alert as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Acknowledge a firing or pending alert (recorded in the audit log). Acknowledging
    again keeps the first acknowledgement and says so."""
    from sloscope.records.alerts import acknowledge_alert

    now = int(time.time())
    with _errors():
        ws = _workspace(workspace)
        alert, first = acknowledge_alert(
            ws, _alert_key(ws, key, now), by=by, comment=comment, now=now
        )
    doc = alert.to_dict()
    if as_json:
        out.print_json(json.dumps(doc | {"acknowledged": first}))
        return
    name = f"{doc['service']}/{doc['slo']} {doc['severity']} alert {doc['key'][:12]}"
    if first:
        out.print(_escape(f"{name} acknowledged by {doc['acked_by']}"), markup=False)
    else:
        out.print(
            _escape(
                f"{name} was already acknowledged by {doc['acked_by']} at {doc['acked_at']}; "
                "the first acknowledgement is kept"
            ),
            markup=False,
        )


# --- overrides and the audit log --------------------------------------------------------


@app.command()
def override(
    service: Annotated[str, typer.Argument(help="The service whose freeze to lift.")],
    by: Annotated[str | None, typer.Option("--by", help="Who lifts the freeze.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="When it expires: RFC 3339, Unix seconds, or a duration (4h)."
        ),
    ] = None,
    journey: Annotated[
        str | None, typer.Option("--journey", "-j", help="Only this journey's freezes.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the override as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Lift a service's freeze until --until (at most 30 days); recorded in the audit log."""
    from sloscope.records.gating import grant_override
    from sloscope.records.render import override_to_dict

    if until is None:
        _fail("--until T is required: an override must expire (at most 30 days from now)")
    if by is None or reason is None:
        _fail("an override needs --by NAME and --reason TEXT: who lifts the freeze, and why")
    now = int(time.time())
    expires = _until(until, now)
    with _errors():
        ws = _workspace(workspace)
        kept = grant_override(
            ws, service, by=by, reason=reason, until=expires, since=now, now=now, journey=journey
        )
    if as_json:
        out.print_json(json.dumps(override_to_dict(kept)))
    else:
        out.print(f"override {kept.id}: {service} freezes lifted until {_iso(kept.until)}")


@app.command()
def audit(
    service: ServiceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print entries as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """The append-only audit log: every override granted and exception used."""
    from sloscope.records.gating import audit_entries
    from sloscope.records.render import audit_line, audit_to_dict

    begin, end = _range(since, until)
    with _errors():
        ws = _workspace(workspace)
        entries = audit_entries(ws, service=service, begin=begin, end=end)
    _print_rows(
        [audit_to_dict(e) for e in entries],
        as_json,
        [_escape(audit_line(e)) for e in entries],
        empty="the audit log is empty" + (f" for {service}" if service else ""),
    )


def _until(text: str, now: int) -> int:
    """An expiry: a time, or a duration from now (``2h``, ``3d``)."""
    from sloscope.timeparse import parse_expiry

    try:
        return parse_expiry(text, now)
    except ValueError as exc:
        _fail(f"--until: {exc}")


def _print_rows(
    rows: Sequence[dict[str, Any]], as_json: bool, lines: Sequence[str], *, empty: str
) -> None:
    """A listing: ``rows`` as JSON, or ``lines`` as they are (``empty`` when none)."""
    if as_json:
        out.print_json(json.dumps(rows))
        return
    for line in lines:
        out.print(line, markup=False)
    if not rows:
        err.print(empty)


def _range(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    begin = _time_option("--from", since) if since is not None else None
    end = _time_option("--to", until) if until is not None else None
    if begin is not None and end is not None and end <= begin:
        _fail("--to must be after --from")
    return begin, end


# --- deployments ------------------------------------------------------------------------

deploy_app = typer.Typer(help="Deployments and the change failure rate.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")


@deploy_app.command("record")
def deploy_record(
    service: Annotated[str, typer.Argument(help="The deployed service.")],
    version: Annotated[str, typer.Option("--version", help="The deployed version.")],
    commit: Annotated[str | None, typer.Option("--commit", help="The deployed commit.")] = None,
    at: Annotated[str, typer.Option("--at", help="When: RFC 3339 or Unix seconds.")] = "now",
    by: ByOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a deployment of SERVICE (the same service, version and time again: once)."""
    from sloscope.records.incidents import record_deployment
    from sloscope.records.render import deployment_to_dict

    when = _at(at)
    with _errors():
        ws = _workspace(workspace)
        kept = record_deployment(
            ws, service, version=version, at=when, by=_who(by), now=int(time.time()), commit=commit
        )
    if as_json:
        out.print_json(json.dumps(deployment_to_dict(kept)))
    else:
        out.print(f"deployment {kept.id}: {service} {version} at {_iso(when)}")


@deploy_app.command("list")
def deploy_list(
    service: ServiceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Recorded deployments, oldest first."""
    from sloscope.records.incidents import deployments
    from sloscope.records.render import deployment_to_dict

    begin, end = _range(since, until)
    with _errors():
        ws = _workspace(workspace)
        rows = [
            deployment_to_dict(d) for d in deployments(ws, service=service, begin=begin, end=end)
        ]
    lines = [
        f"{row['id']:>5}  {row['at']}  {row['service']} {row['version']}"
        + (f" ({row['commit']})" if row["commit"] else "")
        for row in rows
    ]
    _print_rows(rows, as_json, lines, empty="no deployments recorded")


@deploy_app.command("failure-rate")
def deploy_failure_rate(
    since: Annotated[str, typer.Option("--from", help="From this time.")] = "1970-01-01T00:00:00Z",
    until: Annotated[str, typer.Option("--to", help="Up to this time.")] = "now",
    service: ServiceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Change failure rate: deployments followed by an incident or page, per service."""
    from sloscope.records.incidents import change_failures
    from sloscope.records.render import change_failures_to_dict

    begin, end = _time_option("--from", since), _time_option("--to", until)
    with _errors():
        ws = _workspace(workspace)
        doc = change_failures_to_dict(
            change_failures(ws, begin=begin, end=end, service=service), begin, end
        )
    if as_json:
        out.print_json(json.dumps(doc))
        return
    for name, rate in [("overall", doc["overall"]), *doc["services"].items()]:
        shown = "n/a" if rate["rate"] is None else f"{rate['rate'] * 100:.1f}%"
        out.print(f"{name:<20} {shown:>7}  ({rate['failed']} of {rate['deployments']} failed)")


# --- incidents and action items -----------------------------------------------------------

incident_app = typer.Typer(
    help="Incidents: open, acknowledge, mitigate, resolve, postmortem.", no_args_is_help=True
)
app.add_typer(incident_app, name="incident")
action_app = typer.Typer(help="Postmortem action items.", no_args_is_help=True)
app.add_typer(action_app, name="action")
NoteOption = Annotated[str, typer.Option("--note", help="A note for the timeline.")]


@incident_app.command("open")
def incident_open(
    service: Annotated[str, typer.Argument(help="The affected service.")],
    title: Annotated[str, typer.Option("--title", help="What is happening.")],
    slo: Annotated[
        list[str] | None, typer.Option("--slo", help="An affected SLO (repeatable).")
    ] = None,
    severity: Annotated[
        str, typer.Option("--severity", help="critical, major or minor.")
    ] = "major",
    cause: Annotated[
        list[str] | None, typer.Option("--cause", help="A cause tag (repeatable).")
    ] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="A URL (repeatable).")] = None,
    at: Annotated[str, typer.Option("--at", help="When it started.")] = "now",
    by: ByOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Open an incident of SERVICE."""
    from sloscope.records.incidents import open_incident

    when = _at(at)
    with _errors():
        ws = _workspace(workspace)
        kept, _ = open_incident(
            ws,
            service,
            at=when,
            title=title,
            by=_who(by),
            now=int(time.time()),
            slos=slo or (),
            severity=severity,
            cause_tags=cause or (),
            links=link or (),
        )
    _print_incident(ws, kept, as_json)


def _advance(
    state: IncidentState,
    incident_id: int,
    at: str,
    by: str | None,
    note: str,
    workspace: Path | None,
) -> None:
    from sloscope.records.incidents import advance_incident

    when = _at(at)
    with _errors():
        ws = _workspace(workspace)
        kept = advance_incident(ws, incident_id, state, at=when, by=_who(by), note=note)
    out.print(f"incident {kept.id} {state} at {_iso(when)}")


IncidentArg = Annotated[int, typer.Argument(help="The incident's number.")]
WhenOption = Annotated[str, typer.Option("--at", help="When: RFC 3339 or Unix seconds.")]


def _step_command(state: IncidentState, doc: str) -> Callable[..., None]:
    """The command that moves an incident to ``state`` (ack, mitigate, resolve)."""

    def command(
        incident_id: IncidentArg,
        at: WhenOption = "now",
        by: ByOption = None,
        note: NoteOption = "",
        workspace: WorkspaceOption = None,
    ) -> None:
        _advance(state, incident_id, at, by, note, workspace)

    command.__doc__ = doc
    return command


for _verb, _state, _doc in (
    ("ack", "acknowledged", "Acknowledge an incident."),
    ("mitigate", "mitigated", "Mark an incident mitigated: users are served again."),
    ("resolve", "resolved", "Resolve an incident: its cause is dealt with."),
):
    incident_app.command(_verb)(_step_command(_state, _doc))  # type: ignore[arg-type]


@incident_app.command("list")
def incident_list(
    service: ServiceOption = None,
    state: Annotated[str | None, typer.Option("--state", help="Only in this state.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Recorded incidents, oldest first; repeats (same SLO and cause tag) are flagged."""
    from sloscope.records.incidents import incidents
    from sloscope.records.render import incidents_to_dicts

    with _errors():
        ws = _workspace(workspace)
        rows = incidents_to_dicts(
            incidents(ws, service=service, state=state), ws.config.events.repeat_window_seconds
        )
    lines = [
        f"{row['id']:>5}  {row['opened_at']}  {row['state']:<12} {row['service']}: "
        f"{row['title']}" + (f"  (repeats {row['repeat_of']})" if row["repeat_of"] else "")
        for row in rows
    ]
    _print_rows(rows, as_json, lines, empty="no incidents recorded")


@incident_app.command("show")
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="The incident's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """An incident: timeline, and its impact (budget each linked SLO lost) and priority."""
    from sloscope.records.incidents import incident

    with _errors():
        ws = _workspace(workspace)
        kept = incident(ws, incident_id)
    _print_incident(ws, kept, as_json)


def _print_incident(ws: Workspace, kept: StoredIncident, as_json: bool) -> None:
    from sloscope.records.impact import assess
    from sloscope.records.render import incident_lines, incident_to_dict

    with _errors():
        assessed = assess(ws, kept, now=int(time.time()))
    doc = incident_to_dict(kept) | assessed.to_dict()
    if as_json:
        out.print_json(json.dumps(doc))
        return
    for line in incident_lines(doc):
        out.print(line, markup=False)
    out.print(f"  priority {doc['priority']}: {doc['priority_reason']}", markup=False)
    for impact in doc["impact"]:
        out.print(f"  impact {_escape(assessed.describe(impact))}", markup=False)


@incident_app.command("postmortem")
def incident_postmortem(
    incident_id: Annotated[int, typer.Argument(help="The incident's number.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the Markdown and the chart.")
    ] = Path("postmortems"),
    workspace: WorkspaceOption = None,
) -> None:
    """Write the postmortem: SLO impact, timeline, budget burn-down chart, action items."""
    from sloscope.records.postmortem import write_postmortem

    with _errors():
        ws = _workspace(workspace)
        folder = (
            ws.resolve(output) if workspace is not None and not output.is_absolute() else output
        )
        _make_folder(folder, folder)
        written = write_postmortem(ws, incident_id, folder, now=int(time.time()))
    for path in written:
        err.print(f"wrote {path}")


@action_app.command("add")
def action_add(
    incident_id: Annotated[int, typer.Argument(help="The incident it follows from.")],
    text: Annotated[str, typer.Argument(help="What to do.")],
    owner: Annotated[str, typer.Option("--owner", help="Who does it.")] = "",
    workspace: WorkspaceOption = None,
) -> None:
    """Add an action item to an incident's postmortem."""
    from sloscope.records.incidents import add_action

    with _errors():
        ws = _workspace(workspace)
        item = add_action(ws, incident_id, text, owner, int(time.time()))
    out.print(f"action {item.id} added to incident {incident_id}")


@action_app.command("list")
def action_list(
    incident_id: Annotated[
        int | None, typer.Option("--incident", help="Only this incident's.")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only those not done.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Action items, with their status."""
    from sloscope.records.incidents import actions
    from sloscope.records.render import action_to_dict

    with _errors():
        ws = _workspace(workspace)
        rows = [
            action_to_dict(a)
            for a in actions(ws, incident_id=incident_id, status="open" if open_only else None)
        ]
    lines = [
        f"{row['id']:>5}  [{row['status']}] incident {row['incident']}: {row['text']}"
        + (f" ({row['owner']})" if row["owner"] else "")
        for row in rows
    ]
    _print_rows(rows, as_json, lines, empty="no action items")


@action_app.command("done")
def action_done(
    item_id: Annotated[int, typer.Argument(help="The action item's number.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Mark an action item done."""
    from sloscope.records.incidents import finish_action

    with _errors():
        ws = _workspace(workspace)
        item = finish_action(ws, item_id, int(time.time()))
    out.print(f"action {item.id} done")


def _iso(seconds: int) -> str:
    from sloscope.timeparse import format_time

    return format_time(seconds)


register_server_commands(app, _errors, _workspace)


def main() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins in every installed package's entry points when it builds
    # its first model (a scan of site-packages on every start); the CLI uses none. Set
    # PYDANTIC_DISABLE_PLUGINS yourself to choose otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


if __name__ == "__main__":
    main()
