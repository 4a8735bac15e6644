"""API tokens and dashboard sessions of ``sloscope serve``.

A token is ``slo_`` followed by 43 URL-safe characters (32 random bytes). Only its
SHA-256 hash is stored: a token is high-entropy, so a fast hash is as safe as a slow
password hash against guessing, and costs microseconds instead of tens of milliseconds on
every request. Lookups go by the hash (an index), and the hash found is compared again in
constant time. A dashboard session id is another random value, stored hashed the same
way, so a copy of the database lets no one act as a user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sloscope.errors import NotFoundError, RequestError
from sloscope.store.rows import ApiTokenRow, DashboardSessionRow
from sloscope.store.tables import TOKEN_SCOPES

#: What every token starts with, so secret scanners and people recognise one.
TOKEN_PREFIX = "slo_"
#: What a scope may do: ``admin`` includes ``write``, which includes ``read``.
SCOPE_RANK = {scope: rank for rank, scope in enumerate(TOKEN_SCOPES)}
MAX_NAME_CHARS = 200


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def grants(scope: str, needed: str) -> bool:
    """Whether a token of ``scope`` may do what needs ``needed``."""
    return SCOPE_RANK.get(scope, -1) >= SCOPE_RANK[needed]


@dataclass(frozen=True)
class ApiToken:
    """A stored token (never its secret)."""

    id: int
    name: str
    scope: str
    created_at: int
    revoked_at: int | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


class Tokens:
    """Repository of API tokens and dashboard sessions, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, scope: str, name: str, now: int) -> tuple[ApiToken, str]:
        """A new token of ``scope`` named ``name``: the record and the secret (shown once)."""
        if scope not in SCOPE_RANK:
            raise RequestError(f"scope {scope!r}: choose read, write or admin")
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise RequestError(f"token name: give 1 to {MAX_NAME_CHARS} characters")
        if self.session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == name)):
            raise RequestError(f"a token named {name!r} exists; choose another --name")
        secret = new_token()
        row = ApiTokenRow(name=name, scope=scope, token_hash=hash_secret(secret), created_at=now)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            raise RequestError(f"a token named {name!r} exists; choose another --name") from None
        return _token(row), secret

    def find(self, *, include_revoked: bool = False) -> list[ApiToken]:
        """Tokens by creation order (revoked ones too when asked)."""
        query = select(ApiTokenRow).order_by(ApiTokenRow.id)
        if not include_revoked:
            query = query.where(ApiTokenRow.revoked_at.is_(None))
        return [_token(row) for row in self.session.scalars(query)]

    def revoke(self, name: str, now: int) -> ApiToken:
        """Revoke the token named ``name`` (its sessions end with it)."""
        row = self.session.scalar(
            select(ApiTokenRow).where(ApiTokenRow.name == name).with_for_update()
        )
        if row is None:
            raise NotFoundError(f"no token named {name!r}; see 'sloscope token list'")
        if row.revoked_at is None:
            row.revoked_at = now
        self.session.execute(
            delete(DashboardSessionRow).where(DashboardSessionRow.token_id == row.id)
        )
        self.session.flush()
        return _token(row)

    def authenticate(self, secret: str) -> ApiToken | None:
        """The active token whose secret this is, or None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        digest = hash_secret(secret)
        row = self.session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        return _token(row) if row.revoked_at is None else None

    def open_session(self, token: ApiToken, now: int, lifetime: int) -> str:
        """A new dashboard session for ``token``; returns its id (the cookie's value)."""
        session_id = secrets.token_urlsafe(32)
        self.session.execute(
            delete(DashboardSessionRow).where(DashboardSessionRow.expires_at <= now)
        )
        self.session.add(
            DashboardSessionRow(
                id_hash=hash_secret(session_id),
                token_id=token.id,
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        self.session.flush()
        return session_id

    def session_token(self, session_id: str, now: int) -> ApiToken | None:
        """The active token of an unexpired session, or None."""
        digest = hash_secret(session_id)
        row = self.session.get(DashboardSessionRow, digest)
        if row is None or row.expires_at <= now or not hmac.compare_digest(row.id_hash, digest):
            return None
        token = self.session.get(ApiTokenRow, row.token_id)
        return _token(token) if token is not None and token.revoked_at is None else None

    def close_session(self, session_id: str) -> None:
        """End a dashboard session (log out)."""
        self.session.execute(
            delete(DashboardSessionRow).where(
                DashboardSessionRow.id_hash == hash_secret(session_id)
            )
        )


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        scope=row.scope,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
