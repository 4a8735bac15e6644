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
from starlette.concurrency import run_in_threadpool

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


async def _context(request: Request) -> ServerContext:
    return context(request)


def bearer_token(request: Request) -> ApiToken | None:
    """The active token named by the Authorization header; 401 for a bad or unknown one."""
    secret = _bearer_secret(request)
    if secret is None:
        return None
    return _known(context(request).authenticate(secret))


def session_token(request: Request) -> ApiToken | None:
    """The active token of the request's dashboard session, if any."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return context(request).session_token(session_id)


def _bearer_secret(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    if not header.lower().startswith(_BEARER):
        raise HTTPException(401, "use the header 'Authorization: Bearer TOKEN'")
    return header[len(_BEARER) :].strip()


def _known(token: ApiToken | None) -> ApiToken:
    if token is None:
        raise HTTPException(401, "unknown or revoked token; create one: sloscope token create")
    return token


# The dependencies are coroutines: FastAPI runs a plain function dependency in a worker
# thread, a hop there and back per dependency and request. A token checked lately is
# answered from the cache here, on the event loop; the store is read in a worker thread.


async def _bearer_token(request: Request) -> ApiToken | None:
    secret = _bearer_secret(request)
    if secret is None:
        return None
    ctx = context(request)
    found, token = ctx.cached_token(secret)
    if not found:
        token = await run_in_threadpool(ctx.authenticate, secret)
    return _known(token)


async def _session_token(request: Request) -> ApiToken | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    ctx = context(request)
    found, token = ctx.cached_session_token(session_id)
    if not found:
        token = await run_in_threadpool(ctx.session_token, session_id)
    return token


def _principal(token: ApiToken | None) -> Principal:
    return ANONYMOUS if token is None else Principal(token.name, token.scope)


async def reader(request: Request) -> Principal:
    """Dependency of GET endpoints: a ``read`` token or session (or public read)."""
    who = _principal(await _bearer_token(request) or await _session_token(request))
    if who.may("read") or context(request).settings.public_read:
        return who
    raise HTTPException(401, "this needs a token with read scope: Authorization: Bearer TOKEN")


async def writer(request: Request) -> Principal:
    """Dependency of API writes: a bearer token with ``write`` or ``admin`` scope."""
    who = _principal(await _bearer_token(request))
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
Context = Annotated[ServerContext, Depends(_context)]
