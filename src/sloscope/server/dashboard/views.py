"""The dashboard's first pages: overview, an SLO's page, silences, login.

Pages read like GET endpoints (a ``read`` session, or ``--public-read``); the silence
forms need a session whose token has ``write`` scope. A token is typed once into the
login form; the browser then holds only a random session id (HttpOnly, SameSite=Strict).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sloscope.report.groups import find_group
from sloscope.server.auth import SESSION_COOKIE, Context, FormWriter
from sloscope.server.dashboard.render import login_redirect, render, viewer
from sloscope.server.dashboard.rows import (
    HEALTH_WORDS,
    alert_change_row,
    burn_table,
    chart_marks,
    matches,
    slo_href,
    slo_row,
)
from sloscope.server.routes.silences import SilenceBody, create_silence, expire_silence
from sloscope.store.tokens import Tokens

router = APIRouter(include_in_schema=False)
#: Alert state changes shown on an SLO's page.
SLO_HISTORY_ROWS = 50


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, ctx: Context, service: str = "", owner: str = "", status: str = ""
) -> Response:
    """Every SLO with its state, SLI, budget left, fastest burn, alerts and gate state."""
    who = viewer(request)
    if who is None:
        return login_redirect(request)
    report = ctx.report(None)
    rows = [slo_row(r) for r in report.results]
    shown = [r for r in rows if matches(r, service, owner, status)]
    return render(
        request,
        "overview.html.j2",
        who,
        at=report.at,
        rows=shown,
        total=len(rows),
        services=sorted({r.service for r in rows}),
        owners=sorted({r.owner for r in rows if r.owner}),
        states=HEALTH_WORDS,
        chosen={"service": service, "owner": owner, "status": status},
    )


@router.get("/services/{service}/slos/{slo}", response_class=HTMLResponse)
def slo_page(request: Request, ctx: Context, service: str, slo: str, group: str = "") -> Response:
    """One SLO: figures, charts with deployments and incidents marked, burn rates against
    thresholds, gate state and reasons, alert history; one group of a grouped SLO."""
    from sloscope.engine.calendar import window_start
    from sloscope.store.events import Deployments, Incidents
    from sloscope.store.history import alert_changes

    who = viewer(request)
    if who is None:
        return login_redirect(request)
    chosen, found = ctx.slo(service, slo)
    report = ctx.service_report(None, chosen)
    at = report.at
    results = [r for r in report.results if r.slo.name == slo]
    result = results[find_group([r.group for r in results], group, service, slo) if group else 0]
    begin = window_start(found.window, at)
    with ctx.store.transaction() as session:
        deployed = Deployments(session).find(service=service, begin=begin, end=at + 1)
        incidents = [
            i
            for i in Incidents(session).find(service=service, end=at + 1)
            if i.incident.resolved is None or i.incident.resolved >= begin
        ]
        changes = alert_changes(session, service=service, slo=slo, limit=SLO_HISTORY_ROWS)
    return render(
        request,
        "slo.html.j2",
        who,
        at=at,
        row=slo_row(result),
        burns=burn_table(result),
        history_url=f"/api/v1{slo_href(service, slo)}/history",
        silence_matchers=f"service={service}\nslo={slo}",
        groups=[r.group_text for r in results if r.group_text],
        # The group whose figures the page shows; its charts show the same group.
        group=result.group_text,
        marks=chart_marks(deployed, incidents, begin, at),
        changes=[alert_change_row(c) for c in changes],
    )


@router.get("/silences", response_class=HTMLResponse)
def silences_page(request: Request, ctx: Context, matchers: str = "") -> Response:
    """Active and upcoming silences, with forms to create and expire them."""
    who = viewer(request)
    if who is None:
        return login_redirect(request)
    now = ctx.now()
    found = [s.to_dict(now) for s in ctx.workspace.silences(now)]
    return render(
        request,
        "silences.html.j2",
        who,
        silences=found,
        matchers=matchers[:2000],
        may_write=who.may("write"),
    )


@router.post("/silences")
def silences_create(
    ctx: Context,
    who: FormWriter,
    matchers: Annotated[str, Form(max_length=4000)],
    duration: Annotated[str, Form(max_length=20)],
    comment: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Create a silence from the form (one matcher per line), then show the list."""
    lines = [line.strip() for line in matchers.splitlines() if line.strip()]
    body = SilenceBody(matchers=lines[:20], duration=duration, comment=comment)
    create_silence(ctx, body, who.name)
    return RedirectResponse("/silences", status_code=303)


@router.post("/silences/{silence_id}/expire")
def silences_expire(ctx: Context, who: FormWriter, silence_id: int) -> Response:
    """Expire a silence from the list."""
    expire_silence(ctx, silence_id, who.name)
    return RedirectResponse("/silences", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", failed: bool = False) -> Response:
    """The login form: paste a token once."""
    return render(request, "login.html.j2", None, next=_safe_next(next), failed=failed)


@router.post("/login")
def login(
    request: Request,
    ctx: Context,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token; on success set the session cookie and go on to ``next``."""
    with ctx.store.transaction() as session:
        tokens = Tokens(session)
        found = tokens.authenticate(token.strip())
        session_id = (
            tokens.open_session(found, ctx.now(), ctx.settings.session_seconds)
            if found is not None
            else None
        )
    target = _safe_next(next)
    if session_id is None:
        failed = f"/login?failed=true&next={quote(target, safe='')}"
        return RedirectResponse(failed, status_code=303)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=ctx.settings.session_seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, ctx: Context) -> Response:
    """End the session."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        with ctx.store.transaction() as session:
            Tokens(session).close_session(session_id)
        ctx.forget_session(session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _safe_next(target: str) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
