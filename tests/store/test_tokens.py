"""API tokens and dashboard sessions on SQLite and PostgreSQL: hashes only, revocable."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from sloscope.errors import NotFoundError, RequestError
from sloscope.store.database import StateStore
from sloscope.store.rows import ApiTokenRow, DashboardSessionRow
from sloscope.store.tokens import Tokens, grants


def test_a_token_is_found_by_its_secret_and_only_its_hash_is_stored(store: StateStore) -> None:
    with store.transaction() as session:
        token, secret = Tokens(session).create("write", "deploy-bot", 100)
    with store.transaction() as session:
        found = Tokens(session).authenticate(secret)
        rows = list(session.scalars(select(ApiTokenRow)))
    assert found == token
    assert (token.name, token.scope, token.created_at, token.active) == (
        "deploy-bot",
        "write",
        100,
        True,
    )
    assert [r.token_hash for r in rows] == [hashlib.sha256(secret.encode()).hexdigest()]
    assert all(secret not in str(value) for r in rows for value in vars(r).values())


def test_unknown_altered_and_revoked_tokens_are_not_found(store: StateStore) -> None:
    with store.transaction() as session:
        _, secret = Tokens(session).create("read", "viewer", 100)
    with store.transaction() as session:
        tokens = Tokens(session)
        assert tokens.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
        assert tokens.authenticate(secret.removeprefix("slo_")) is None
        assert tokens.revoke("viewer", 200).revoked_at == 200
    with store.transaction() as session:
        assert Tokens(session).authenticate(secret) is None
        assert Tokens(session).find() == []
        assert [t.name for t in Tokens(session).find(include_revoked=True)] == ["viewer"]


def test_names_are_unique_and_scopes_known(store: StateStore) -> None:
    with store.transaction() as session:
        Tokens(session).create("admin", "root", 100)
    with pytest.raises(RequestError, match="exists"), store.transaction() as session:
        Tokens(session).create("read", "root", 100)
    with pytest.raises(RequestError, match="read, write or admin"), store.transaction() as session:
        Tokens(session).create("owner", "other", 100)
    with pytest.raises(NotFoundError, match="no token named 'ghost'"), store.transaction() as s:
        Tokens(s).revoke("ghost", 100)


def test_scopes_nest_admin_over_write_over_read() -> None:
    assert [grants("read", n) for n in ("read", "write", "admin")] == [True, False, False]
    assert [grants("write", n) for n in ("read", "write", "admin")] == [True, True, False]
    assert [grants("admin", n) for n in ("read", "write", "admin")] == [True, True, True]


def test_a_session_holds_until_it_expires_or_its_token_is_revoked(store: StateStore) -> None:
    with store.transaction() as session:
        tokens = Tokens(session)
        token, _ = tokens.create("write", "ana", 100)
        first = tokens.open_session(token, now=100, lifetime=60)
        second = tokens.open_session(token, now=100, lifetime=600)
    with store.transaction() as session:
        tokens = Tokens(session)
        assert tokens.session_token(first, now=159) == token
        assert tokens.session_token(first, now=160) is None
        assert tokens.session_token("made-up", now=100) is None
        stored = [r.id_hash for r in session.scalars(select(DashboardSessionRow))]
        assert first not in stored
        assert hashlib.sha256(first.encode()).hexdigest() in stored
        tokens.revoke("ana", 200)
    with store.transaction() as session:
        assert Tokens(session).session_token(second, now=201) is None
