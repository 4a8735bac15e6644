"""The alerts page: what fires now, what an active silence covers, who acknowledged
what, the history of changes; and the forms that silence or acknowledge one firing
alert (a session with ``write`` scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sloscope.errors import NotFoundError
from sloscope.server.auth import Context, FormWriter
from sloscope.server.dashboard.render import (
    PageQuery,
    login_redirect,
    paged,
    render,
    viewer,
)
from sloscope.server.dashboard.rows import active_alert_row, alert_change_row
from sloscope.server.routes.alerts import ack_alert
from sloscope.server.routes.silences import SilenceBody, create_silence

router = APIRouter(include_in_schema=False)

AlertKey = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="The alert's dedup key.")]


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, ctx: Context, page: PageQuery = 1) -> Response:
    """Firing alerts (with a silence form each), silenced ones, and the history."""
    from sloscope.records.alerts import active_alerts
    from sloscope.store.history import alert_changes

    who = viewer(request)
    if who is None:
        return login_redirect(request)
    now = ctx.now()
    with ctx.store.transaction() as session:
        active = [active_alert_row(a) for a in active_alerts(session, now)]
        changes, pager = paged(
            lambda limit, offset: alert_changes(session, limit=limit, offset=offset), page, "page"
        )
    return render(
        request,
        "alerts.html.j2",
        who,
        now=now,
        firing=[a for a in active if a["state"] != "silenced"],
        silenced=[a for a in active if a["state"] == "silenced"],
        history=[alert_change_row(c) for c in changes],
        pager=pager,
        may_write=who.may("write"),
    )


@router.post("/alerts/{key}/silence")
def alert_silence(
    ctx: Context,
    who: FormWriter,
    key: AlertKey,
    duration: Annotated[str, Form(min_length=1, max_length=20)],
    comment: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Silence one firing alert: a silence matching exactly its labels, by the session's
    token, for ``duration``; then back to the alerts page, where it shows as silenced."""
    from sloscope.records.alerts import find_active, silence_matchers

    with ctx.store.transaction() as session:
        alert = find_active(session, ctx.now(), key)
    if alert is None:
        raise NotFoundError("no firing or pending alert has that key; see /alerts")
    body = SilenceBody(matchers=silence_matchers(alert), duration=duration, comment=comment)
    create_silence(ctx, body, who.name)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{key}/ack")
def alert_ack(
    ctx: Context,
    who: FormWriter,
    key: AlertKey,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Acknowledge one firing or pending alert as the session's token (the API's rule,
    audit entry included); then back to the alerts page, where it shows acknowledged."""
    ack_alert(ctx, key, actor=who.name, by=None, comment=comment)
    return RedirectResponse("/alerts", status_code=303)
