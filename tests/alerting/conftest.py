"""Fixtures of the evaluator tests: the state store on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.conftest import postgres_url, store, target

__all__ = ["postgres_url", "store", "target"]  # the store fixtures, shared

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here needs the real PostgreSQL or real processes: mark it ``integration``."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
