"""Fixtures for the notifier tests: real local servers, and the state store targets.

Alertmanager (Debian's ``prometheus-alertmanager``) must be installed; when it is
missing the test fails with how to install it, never skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notify import servers
from tests.store.conftest import postgres_url, store, target

__all__ = ["postgres_url", "store", "target"]  # the store fixtures, shared

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here talks to real servers: mark it ``integration``."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def recorder() -> Iterator[servers.RecordingServer]:
    """A local HTTP server that records requests and answers 200 unless told otherwise."""
    server = servers.start_recording_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Alertmanager]:
    """A real Alertmanager for the session."""
    try:
        manager = servers.start_alertmanager(tmp_path_factory.mktemp("alertmanager"))
    except servers.HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield manager
    manager.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[str, int, servers.SMTPCapture]]:
    """A local aiosmtpd server: (host, port, capture)."""
    yield from servers.smtp_server()
