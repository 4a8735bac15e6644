"""The release gate and what surrounds it: ``gate``, ``policy doc``, ``override``, ``audit``."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from sloscope.cli.console import err, errors, escape, fail, iso, out, print_rows
from sloscope.cli.files import write_files
from sloscope.cli.options import (
    AtOption,
    ByOption,
    OutputOption,
    ServiceOption,
    SinceOption,
    UntilOption,
    WorkspaceOption,
    open_workspace,
    output_path,
    parse_at,
    time_range,
    who,
)

if TYPE_CHECKING:
    from sloscope.records.gating import GateOutcome


commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


@commands.command()
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

    when = parse_at(at)
    if reason is not None and exception is None:
        fail("--reason goes with --exception KIND (e.g. --exception hotfix --reason TEXT)")
    with errors():
        ws = open_workspace(workspace)
        outcome = gate_and_record(
            ws,
            service,
            when,
            asked_by=who(by),
            now=int(time.time()),
            journey=journey,
            version=version,
            exception=GateException(exception, reason or "") if exception is not None else None,
            record=record,
            commit=commit,
            direct=True,
        )
    _print_gate(outcome, as_json)
    if outcome.deployment_id is not None:
        err.print(f"recorded deployment {outcome.deployment_id} ({service} {version})")
    raise typer.Exit(outcome.decision.exit_code)


def _print_gate(outcome: GateOutcome, as_json: bool) -> None:
    from sloscope.policy.render import (
        gate_json_text,
        github_annotations,
        github_summary,
        render_gate_text,
    )

    decision = outcome.decision
    sys.stdout.write(gate_json_text(outcome.document) if as_json else render_gate_text(decision))
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
            reason = escape(exc.strerror or type(exc).__name__)
            warning = f"cannot append to GITHUB_STEP_SUMMARY: {reason}"
            err.print(f"[yellow]warning:[/] {warning}", markup=True)


policy_app = typer.Typer(help="Error budget policies.", no_args_is_help=True)
commands.add_typer(policy_app, name="policy")


@policy_app.command("doc")
def policy_doc(
    output_text: OutputOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The error budget policy as Markdown, from sloscope.yaml: what the gate enforces."""
    with errors():
        ws = open_workspace(workspace)
        text = ws.policy_document()
    output, into_folder = output_path(output_text)
    into_folder = into_folder or (output is not None and output.is_dir())
    name = "error-budget-policy.md" if output is None or into_folder else output.name
    write_files({name: text}, output, folder=into_folder)


# --- overrides and the audit log --------------------------------------------------------


@commands.command()
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
        fail("--until T is required: an override must expire (at most 30 days from now)")
    if by is None or reason is None:
        fail("an override needs --by NAME and --reason TEXT: who lifts the freeze, and why")
    now = int(time.time())
    expires = _until(until, now)
    with errors():
        ws = open_workspace(workspace)
        kept = grant_override(
            ws, service, by=by, reason=reason, until=expires, since=now, now=now, journey=journey
        )
    if as_json:
        out.print_json(json.dumps(override_to_dict(kept)))
    else:
        out.print(f"override {kept.id}: {service} freezes lifted until {iso(kept.until)}")


@commands.command()
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

    begin, end = time_range(since, until)
    with errors():
        ws = open_workspace(workspace)
        entries = audit_entries(ws, service=service, begin=begin, end=end)
    print_rows(
        [audit_to_dict(e) for e in entries],
        as_json,
        [escape(audit_line(e)) for e in entries],
        empty="the audit log is empty" + (f" for {service}" if service else ""),
    )


def _until(text: str, now: int) -> int:
    """An expiry: a time, or a duration from now (``2h``, ``3d``)."""
    from sloscope.timeparse import parse_expiry

    try:
        return parse_expiry(text, now)
    except ValueError as exc:
        fail(f"--until: {exc}")
