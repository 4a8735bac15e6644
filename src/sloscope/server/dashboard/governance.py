"""The pages of release governance: recorded gate decisions and the audit log (a page
at a time, newest first), and the org report with its charts.

The org report is :func:`sloscope.records.org.org_report`'s figures, the same as
``sloscope report --org`` prints, laid out by :mod:`sloscope.report.org.render`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from sloscope.errors import RequestError
from sloscope.server.auth import Context
from sloscope.server.dashboard.render import (
    PageQuery,
    login_redirect,
    paged,
    render,
    viewer,
)
from sloscope.timeparse import format_time, parse_time

router = APIRouter(include_in_schema=False)


@router.get("/gates", response_class=HTMLResponse)
def gates_and_audit(
    request: Request, ctx: Context, gates_page: PageQuery = 1, audit_page: PageQuery = 1
) -> Response:
    """Gate decisions (service, version, decision, reasons, exception, who) and the
    audit log of overrides and exceptions, each a page at a time."""
    from sloscope.store.audit import AuditLog
    from sloscope.store.gates import GateRecords

    who = viewer(request)
    if who is None:
        return login_redirect(request)
    with ctx.store.transaction() as session:
        decisions, gates_pager = paged(
            lambda limit, offset: GateRecords(session).newest(limit=limit, offset=offset),
            gates_page,
            "gates_page",
            audit_page=str(audit_page),
        )
        entries, audit_pager = paged(
            lambda limit, offset: AuditLog(session).newest(limit=limit, offset=offset),
            audit_page,
            "audit_page",
            gates_page=str(gates_page),
        )
    return render(
        request,
        "gates.html.j2",
        who,
        decisions=decisions,
        gates_pager=gates_pager,
        entries=entries,
        audit_pager=audit_pager,
    )


@router.get("/org", response_class=HTMLResponse)
def org_page(
    request: Request,
    ctx: Context,
    since: Annotated[str, Query(alias="from", max_length=40)] = "",
    until: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """The org report over ``from``..``to`` (default: the week up to now)."""
    from sloscope.records.org import DEFAULT_RANGE_SECONDS
    from sloscope.report.org.render import org_burn_rows, org_charts, org_rows

    who = viewer(request)
    if who is None:
        return login_redirect(request)
    now = ctx.now()
    try:
        end = parse_time(until, now) if until else now
        begin = parse_time(since, now) if since else end - DEFAULT_RANGE_SECONDS
    except ValueError as exc:
        raise RequestError(f"from/to: {exc}") from None
    figures = ctx.org_report(begin, end)
    return render(
        request,
        "org.html.j2",
        who,
        begin=format_time(begin),
        end=format_time(end),
        rows=org_rows(figures),
        burn=org_burn_rows(figures),
        without=list(figures.without_slos),
        # bar_svg escapes every text it draws, so its SVG is safe to place as markup.
        charts=[(title, Markup(svg)) for title, svg in org_charts(figures)],
    )
