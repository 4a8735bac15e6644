"""What every dashboard page shares: the template environment, who is looking, the
login redirect, rendering, and the page-at-a-time links of long lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sloscope.server.auth import Principal, context, session_token
from sloscope.timeparse import format_time

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["time"] = format_time

T = TypeVar("T")

#: Rows on one page of a long list (alert history, gate decisions, audit log).
PAGE_ROWS = 50
#: The last page number a list link may ask for (a bound on the offset).
MAX_PAGE = 10_000
#: A page number of a long list.
PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def viewer(request: Request) -> Principal | None:
    """Who looks at a page; None when a login is needed first."""
    token = session_token(request)
    if token is not None:
        return Principal(token.name, token.scope)
    if context(request).settings.public_read:
        return Principal("anonymous", None)
    return None


def login_redirect(request: Request) -> RedirectResponse:
    """Send the visitor to the login form, and back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def render(request: Request, name: str, who: Principal | None, **values: Any) -> HTMLResponse:
    """The template ``name`` filled in, never cached (it shows live state)."""
    html = _env.get_template(name).render(who=who, path=request.url.path, **values)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True)
class Pager:
    """One page of a list shown newest first: its number, and links to its neighbours."""

    number: int
    has_older: bool
    param: str
    others: tuple[tuple[str, str], ...] = ()

    def link(self, number: int) -> str:
        """The query string of page ``number`` (the other parameters kept)."""
        return "?" + urlencode([*self.others, (self.param, str(number))])

    @property
    def newer(self) -> str | None:
        """The link to the newer page, if any."""
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def older(self) -> str | None:
        """The link to the older page, if any."""
        return self.link(self.number + 1) if self.has_older else None


def paged(
    fetch: Callable[[int, int], list[T]], number: int, param: str, **others: str
) -> tuple[list[T], Pager]:
    """Page ``number`` of a list: ``fetch(limit, offset)`` reads its rows and one more
    (to know whether an older page exists). The page's rows and its pager; ``others``:
    the other query parameters its links keep."""
    rows = fetch(PAGE_ROWS + 1, (number - 1) * PAGE_ROWS)
    kept = tuple((k, v) for k, v in others.items() if v)
    return rows[:PAGE_ROWS], Pager(number, len(rows) > PAGE_ROWS, param, kept)
