"""``incident`` (open to postmortem) and ``action`` (postmortem action items)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sloscope.cli.console import err, errors, escape, iso, out, print_rows
from sloscope.cli.files import make_folder
from sloscope.cli.options import (
    ByOption,
    ServiceOption,
    WorkspaceOption,
    open_workspace,
    parse_at,
    who,
)

if TYPE_CHECKING:
    from sloscope.events.model import IncidentState
    from sloscope.store.events import StoredIncident
    from sloscope.workspace import Workspace


commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


# --- incidents and action items -----------------------------------------------------------

incident_app = typer.Typer(
    help="Incidents: open, acknowledge, mitigate, resolve, postmortem.", no_args_is_help=True
)
commands.add_typer(incident_app, name="incident")
action_app = typer.Typer(help="Postmortem action items.", no_args_is_help=True)
commands.add_typer(action_app, name="action")
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

    when = parse_at(at)
    with errors():
        ws = open_workspace(workspace)
        kept, _ = open_incident(
            ws,
            service,
            at=when,
            title=title,
            by=who(by),
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

    when = parse_at(at)
    with errors():
        ws = open_workspace(workspace)
        kept = advance_incident(ws, incident_id, state, at=when, by=who(by), note=note)
    out.print(f"incident {kept.id} {state} at {iso(when)}")


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

    with errors():
        ws = open_workspace(workspace)
        rows = incidents_to_dicts(
            incidents(ws, service=service, state=state), ws.config.events.repeat_window_seconds
        )
    lines = [
        f"{row['id']:>5}  {row['opened_at']}  {row['state']:<12} {row['service']}: "
        f"{row['title']}" + (f"  (repeats {row['repeat_of']})" if row["repeat_of"] else "")
        for row in rows
    ]
    print_rows(rows, as_json, lines, empty="no incidents recorded")


@incident_app.command("show")
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="The incident's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """An incident: timeline, and its impact (budget each linked SLO lost) and priority."""
    from sloscope.records.incidents import incident

    with errors():
        ws = open_workspace(workspace)
        kept = incident(ws, incident_id)
    _print_incident(ws, kept, as_json)


def _print_incident(ws: Workspace, kept: StoredIncident, as_json: bool) -> None:
    from sloscope.records.impact import assess
    from sloscope.records.render import incident_lines, incident_to_dict

    with errors():
        assessed = assess(ws, kept, now=int(time.time()))
    doc = incident_to_dict(kept) | assessed.to_dict()
    if as_json:
        out.print_json(json.dumps(doc))
        return
    for line in incident_lines(doc):
        out.print(line, markup=False)
    out.print(f"  priority {doc['priority']}: {doc['priority_reason']}", markup=False)
    for impact in doc["impact"]:
        out.print(f"  impact {escape(assessed.describe(impact))}", markup=False)


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

    with errors():
        ws = open_workspace(workspace)
        folder = (
            ws.resolve(output) if workspace is not None and not output.is_absolute() else output
        )
        make_folder(folder, folder)
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

    with errors():
        ws = open_workspace(workspace)
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

    with errors():
        ws = open_workspace(workspace)
        rows = [
            action_to_dict(a)
            for a in actions(ws, incident_id=incident_id, status="open" if open_only else None)
        ]
    lines = [
        f"{row['id']:>5}  [{row['status']}] incident {row['incident']}: {row['text']}"
        + (f" ({row['owner']})" if row["owner"] else "")
        for row in rows
    ]
    print_rows(rows, as_json, lines, empty="no action items")


@action_app.command("done")
def action_done(
    item_id: Annotated[int, typer.Argument(help="The action item's number.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Mark an action item done."""
    from sloscope.records.incidents import finish_action

    with errors():
        ws = open_workspace(workspace)
        item = finish_action(ws, item_id, int(time.time()))
    out.print(f"action {item.id} done")
