"""The incidents pages: the list, and one incident with its timeline, impact (budget
share and minutes of full outage per linked SLO) and postmortem.

The postmortem is the Markdown ``sloscope incident postmortem`` writes, shown as text
(autoescaped inside ``<pre>``), so nothing in a title or note becomes markup.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from sloscope.errors import NotFoundError
from sloscope.server.auth import Context
from sloscope.server.dashboard.render import login_redirect, render, viewer
from sloscope.server.dashboard.rows import slo_href

router = APIRouter(include_in_schema=False)

IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: Incidents listed, newest first.
MAX_LISTED = 500


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, ctx: Context, state: str = "") -> Response:
    """Recorded incidents, newest first, optionally in one state."""
    from sloscope.records.render import incidents_to_dicts
    from sloscope.store.events import Incidents

    who = viewer(request)
    if who is None:
        return login_redirect(request)
    with ctx.store.transaction() as session:
        found = Incidents(session).find(state=state or None)
    window = ctx.workspace.config.events.repeat_window_seconds
    rows = incidents_to_dicts(found, window)[::-1][:MAX_LISTED]
    for row in rows:
        row["slo_links"] = [(s, slo_href(row["service"], s)) for s in row["slos"]]
    return render(
        request,
        "incidents.html.j2",
        who,
        incidents=rows,
        total=len(found),
        states=("open", "acknowledged", "mitigated", "resolved"),
        chosen=state,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, ctx: Context, incident_id: IncidentId) -> Response:
    """One incident: its record, timeline, impact, and postmortem as text."""
    from sloscope.records.postmortem import gather
    from sloscope.records.render import incident_to_dict
    from sloscope.report.postmortem import render_postmortem
    from sloscope.store.events import Incidents

    who = viewer(request)
    if who is None:
        return login_redirect(request)
    with ctx.store.transaction() as session:
        record = incident_to_dict(Incidents(session).get(incident_id))
    try:
        # The records are read now; the impact, measured on the telemetry, is the
        # server's (cached within the step, see ServerContext.impact).
        facts = gather(ctx.workspace, incident_id, now=ctx.now(), chart=None, measure=ctx.impact)
    except NotFoundError as exc:  # its service left the specs: the record is still shown
        return render(request, "incident.html.j2", who, incident=record, missing=str(exc))
    return render(
        request,
        "incident.html.j2",
        who,
        incident=record,
        facts=facts,
        timeline=sorted(facts.timeline, key=lambda i: (i.at, i.kind)),
        slo_links=[(s, slo_href(record["service"], s)) for s in record["slos"]],
        postmortem=render_postmortem(facts),
    )
