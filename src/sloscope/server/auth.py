"""Who is asking: a bearer token, or a dashboard session cookie, and its scope.

Reads (pages and GET endpoints) need ``read`` unless the server runs with
``--public-read``; writes always need ``write`` (or ``admin``). API writes take the
``Authorization: Bearer`` header only; dashboard forms take the session cookie, whose
``SameSite=Strict`` keeps other sites from sending it, and are refused when the browser
says the form came from another origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sloscope.server.context import ServerContext
from sloscope.store.tokens import ApiToken, grants

SESSION_COOKIE = "sloscope_session"
_BEARER = "bearer "


@dataclass(frozen=True)
class Principal:
    """Who made a request: a token's name and scope, or ``anonymous`` (public read)."""

    name: str
    scope: str | None

    def may(self, needed: str) -> bool:
        """Whether this principal's scope covers ``needed``."""
        return self.scope is not None and grants(self.scope, needed)


ANONYMOUS = Principal("anonymous", None)


def context(request: Request) -> ServerContext:
    """The server's shared context."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


def bearer_token(request: Request) -> ApiToken | None:
    """The active token named by the Authorization header; 401 for a bad or unknown one."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    if not header.lower().startswith(_BEARER):
        raise HTTPException(401, "use the header 'Authorization: Bearer TOKEN'")
    token = context(request).authenticate(header[len(_BEARER) :].strip())
    if token is None:
        raise HTTPException(401, "unknown or revoked token; create one: sloscope token create")
    return token


def session_token(request: Request) -> ApiToken | None:
    """The active token of the request's dashboard session, if any."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return context(request).session_token(session_id)


def _principal(token: ApiToken | None) -> Principal:
    return ANONYMOUS if token is None else Principal(token.name, token.scope)


def reader(request: Request) -> Principal:
    """Dependency of GET endpoints: a ``read`` token or session (or public read)."""
    who = _principal(bearer_token(request) or session_token(request))
    if who.may("read") or context(request).settings.public_read:
        return who
    raise HTTPException(401, "this needs a token with read scope: Authorization: Bearer TOKEN")


def writer(request: Request) -> Principal:
    """Dependency of API writes: a bearer token with ``write`` or ``admin`` scope."""
    who = _principal(bearer_token(request))
    if who.scope is None:
        raise HTTPException(401, "writes need a token with write scope: Authorization: Bearer")
    if not who.may("write"):
        raise HTTPException(403, f"token {who.name!r} has {who.scope} scope; writes need write")
    return who


def form_writer(request: Request) -> Principal:
    """Dependency of dashboard form posts: a session whose token has ``write`` scope."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "a form from another site was refused")
    who = _principal(session_token(request))
    if who.scope is None:
        raise HTTPException(401, "log in with a write token first (/login)")
    if not who.may("write"):
        raise HTTPException(403, f"token {who.name!r} has {who.scope} scope; this needs write")
    return who


Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
FormWriter = Annotated[Principal, Depends(form_writer)]
Context = Annotated[ServerContext, Depends(context)]
