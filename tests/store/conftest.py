"""Every store test runs twice: on a SQLite file and on the real PostgreSQL.

Each PostgreSQL test gets its own schema (created here, dropped after), so parallel runs
and pytest-xdist workers never see each other's rows. When PostgreSQL is not reachable
the tests fail with a message saying how to start it; they never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sloscope.store.database import StateStore
from tests.store import postgres

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here needs the real PostgreSQL: mark it ``integration``."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class Target:
    """Where a test's state store lives: a URL, and the PostgreSQL schema if any."""

    url: str
    schema: str | None

    def open(self, migrate: bool = True) -> StateStore:
        """A store on this target (migrated to head unless ``migrate`` is False)."""
        return StateStore(self.url, schema=self.schema, migrate=migrate)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The real PostgreSQL's URL; the test fails (never skips) when it is not reachable."""
    try:
        return postgres.server_url()
    except postgres.PostgresUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """An empty database: a SQLite file, or a fresh schema in the real PostgreSQL."""
    if request.param == "sqlite":
        yield Target(f"sqlite:///{tmp_path / 'state.db'}", None)
        return
    url = request.getfixturevalue("postgres_url")
    schema = postgres.create_schema(url)
    try:
        yield Target(url, schema)
    finally:
        postgres.drop_schema(url, schema)


@pytest.fixture
def store(target: Target) -> Iterator[StateStore]:
    """A migrated state store on the target, closed after the test."""
    with target.open() as opened:
        yield opened
