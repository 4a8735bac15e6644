"""Schemathesis against the published OpenAPI schema, bounded: a few examples per
operation, with a write token, on a fresh workspace. No answer may be a server error, and
every answer must match its declared status, content type and schema."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from sloscope.server.app import create_app
from tests.server.conftest import Served

pytestmark = pytest.mark.slow

#: Examples per operation, and a time bound for the whole run.
EXAMPLES = 10
BUDGET_SECONDS = 120
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


def test_every_operation_answers_within_its_schema(served: Served) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(served.ctx))
    headers = served.auth("write")
    started = time.monotonic()
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        run()
        tried.append(operation.label)
        assert time.monotonic() - started < BUDGET_SECONDS, f"over budget after {tried}"
    assert len(tried) == 31  # 28 API operations and 3 ops endpoints
