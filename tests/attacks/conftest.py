"""Fixtures of the attack tests: the CLI runners and workspace of ``tests/cli``.

Each test here is one attack made on the CLI as a hostile or careless user would (issue
7): it reproduces the attack and asserts the clear answer, exit code and message.
"""

from __future__ import annotations

from tests.cli.conftest import (  # noqa: F401  (fixtures, found by name)
    AT,
    SPEC,
    CliRunner,
    Run,
    ingested,
    sloscope,
    sloscope_process,
    workspace,
)
