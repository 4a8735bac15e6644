"""Alerts and their delivery: ``alert``, ``silence`` and ``notify`` commands."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sloscope.cli.console import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    err,
    errors,
    escape,
    fail,
    iso,
    out,
    visible,
)
from sloscope.cli.options import ServiceOption, WorkspaceOption, open_workspace, time_option

if TYPE_CHECKING:
    from sloscope.alerting.matchers import Matcher
    from sloscope.workspace import Workspace


commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


silence_app = typer.Typer(
    help="Silences: alerts whose labels match are not notified for a while.",
    no_args_is_help=True,
)
commands.add_typer(silence_app, name="silence")
notify_app = typer.Typer(help="Notifications: check notifiers and routes.", no_args_is_help=True)
commands.add_typer(notify_app, name="notify")


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
        fail(f"--author: give a name of 1 to {MAX_AUTHOR_CHARS} characters")
    if not comment.strip() or len(comment) > MAX_COMMENT_CHARS:
        fail(f"--comment: say why, in 1 to {MAX_COMMENT_CHARS} characters")
    begins = now if start == "now" else time_option("--start", start)
    with errors():
        ws = open_workspace(workspace)
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
            f"silence {silence.id}: {', '.join(matcher)} from {iso(silence.starts_at)} "
            f"to {iso(silence.ends_at)}"
        )


def _matchers(texts: list[str]) -> list[Matcher]:
    from sloscope.alerting.matchers import parse_matcher

    matchers = []
    for text in texts:
        try:
            matchers.append(parse_matcher(text))
        except ValueError as exc:
            fail(f"--matcher {text!r}: {exc}")
    return matchers


def _silence_seconds(duration: str) -> int:
    from sloscope.spec.durations import parse_duration
    from sloscope.store.silences import MAX_SILENCE_SECONDS

    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        fail(f"--duration: {exc}")
    if seconds > MAX_SILENCE_SECONDS:
        fail("--duration: at most 366d; a longer silence is better as a route change")
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
    with errors():
        ws = open_workspace(workspace)
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
    with errors():
        ws = open_workspace(workspace)
        silence = ws.expire_silence(silence_id, now)
    out.print(f"silence {silence.id} expired at {iso(silence.ends_at)}")


@notify_app.command("test")
def notify_test(
    target: Annotated[str, typer.Argument(help="A notifier's name, or a named route.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Send a test message to a notifier (or each notifier of a route). Exit 1 on failure."""
    with errors():
        ws = open_workspace(workspace)
        results = ws.notify_test(target, at=int(time.time()))
    failed = False
    for name, result in results.items():
        if result.ok:
            out.print(visible(f"{name}: delivered ({result.detail})"))
        else:
            failed = True
            again = "a retry may help" if result.retryable else "a retry will not help"
            err.print(f"[red]{name}: failed: {escape(result.detail)} ({again})[/]", markup=True)
    raise typer.Exit(EXIT_CHECK_FAILED if failed else EXIT_OK)


# --- alerts: list, show, acknowledge ----------------------------------------------------

alert_app = typer.Typer(
    help="Alerts the evaluator recorded: list, show, acknowledge.", no_args_is_help=True
)
commands.add_typer(alert_app, name="alert")


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
    with errors():
        ws = open_workspace(workspace)
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
                visible(str(v))
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
        out.print(escape(line), markup=False)


@alert_app.command("show")
def alert_show(
    key: Annotated[str, typer.Argument(help="The alert's key (or its first 12 digits).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the alert as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """One alert and its transitions (GET /api/v1/alerts/{key})."""
    from sloscope.records.alerts import alert_document

    now = int(time.time())
    with errors():
        ws = open_workspace(workspace)
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
    with errors():
        ws = open_workspace(workspace)
        alert, first = acknowledge_alert(
            ws, _alert_key(ws, key, now), by=by, comment=comment, now=now
        )
    doc = alert.to_dict()
    if as_json:
        out.print_json(json.dumps(doc | {"acknowledged": first}))
        return
    name = f"{doc['service']}/{doc['slo']} {doc['severity']} alert {doc['key'][:12]}"
    if first:
        out.print(escape(f"{name} acknowledged by {doc['acked_by']}"), markup=False)
    else:
        out.print(
            escape(
                f"{name} was already acknowledged by {doc['acked_by']} at {doc['acked_at']}; "
                "the first acknowledgement is kept"
            ),
            markup=False,
        )
