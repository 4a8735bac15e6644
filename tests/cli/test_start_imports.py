"""What each command loads: heavy modules only in the commands that use them.

Each command runs in a fresh interpreter that writes down, once the command is done,
every module it loaded. The times are the benchmarks' business (``bench/bench_start.py``,
``bench/bench_gate.py``, ``bench/bench_report.py``); these tests keep the laziness that
makes them, so a top-level import of numpy or SQLAlchemy cannot creep back unnoticed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sloscope.cli import COMMANDS
from tests.cli.conftest import AT, CliRunner, run_probe

_PROBE = """\
import json, sys
out, args = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["sloscope", *args]
from sloscope.cli import main
code = None
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w", encoding="utf-8") as file:
    json.dump({"code": code, "modules": sorted(sys.modules)}, file)
"""

#: Loaded by no command below unless it says so.
_NEVER = ("httpx", "jinja2", "alembic", "matplotlib", "fastapi", "uvicorn")


def _loaded(tmp_path: Path, *args: str) -> tuple[object, set[str]]:
    """(exit code, names of the loaded modules) of ``sloscope ARGS`` in a fresh process."""
    doc = run_probe(_PROBE, tmp_path / "modules.json", *args)
    modules = doc["modules"]
    assert isinstance(modules, list)
    return doc["code"], set(modules)


def _packages(modules: set[str], *names: str) -> list[str]:
    """Which of the packages ``names`` (or any of their submodules) were loaded."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def _command_modules(modules: set[str]) -> set[str]:
    """The modules of ``sloscope.cli`` that define commands (``COMMANDS``) and were loaded."""
    return set(COMMANDS.values()) & modules


def test_version_loads_neither_the_workspace_nor_rich_nor_pydantic(tmp_path: Path) -> None:
    code, modules = _loaded(tmp_path, "--version")
    assert code in (0, None)
    heavy = ("numpy", "_duckdb", "duckdb", "sqlalchemy", "rich", "pydantic", "yaml", *_NEVER)
    assert _packages(modules, *heavy) == []
    assert "sloscope.workspace" not in modules
    assert _command_modules(modules) == set()  # no command is built for --version


def test_validate_without_stored_telemetry_loads_no_numpy_duckdb_or_store(
    workspace: Path,
) -> None:
    code, modules = _loaded(workspace, "validate", "-w", str(workspace))
    assert code == 0
    assert "sloscope.spec.native.loader" in modules  # the probe sees the command's imports
    assert (
        _packages(modules, "numpy", "_duckdb", "duckdb", "sqlalchemy", "rich.table", *_NEVER) == []
    )
    # Only OpenSLO specs need the OpenSLO converters; native specs need no other format.
    assert "sloscope.spec.openslo.services" not in modules
    others = ("sloscope.spec.openslo", "sloscope.spec.sloth", "sloscope.spec.pyrra")
    assert _packages(modules, *others, "sloscope.spec.slogen") == []
    # Only the module of validate: no other command's module, nor the server's commands.
    assert _command_modules(modules) == {"sloscope.cli.specs"}
    assert "sloscope.server.commands" not in modules


def test_report_json_with_no_audit_entries_loads_no_sqlalchemy_or_rich(
    ingested: Path, sloscope: CliRunner
) -> None:
    # A gate decision creates the state store (no audit entry: no exception, no override).
    assert sloscope("gate", "checkout", "-w", str(ingested), "--at", str(AT)).code in (0, 1)
    assert (ingested / ".sloscope" / "state.db").exists()
    code, modules = _loaded(ingested, "report", "--json", "-w", str(ingested), "--at", str(AT))
    assert code in (0, None)
    # The store talks to DuckDB's compiled module; the package's Python layer stays out.
    assert _packages(modules, "numpy", "_duckdb", "duckdb") == ["numpy", "_duckdb"]
    assert _packages(modules, "sqlalchemy", "rich", *_NEVER) == []
    # No alert fired: the org report's rules, which count alerts, stay unloaded.
    assert _packages(modules, "sloscope.report.org", "sloscope.records.org") == []
    # No audit entry: neither the records' renderers nor the events' models, nor the gate.
    records = ("sloscope.records.render", "sloscope.records.gating", "sloscope.policy.gate")
    assert _packages(modules, *records, "sloscope.events.model") == []
    assert _command_modules(modules) == {"sloscope.cli.report"}


def test_report_json_without_a_state_store_loads_no_sqlite(ingested: Path) -> None:
    assert not (ingested / ".sloscope" / "state.db").exists()
    code, modules = _loaded(ingested, "report", "--json", "-w", str(ingested), "--at", str(AT))
    assert code in (0, None)
    assert "sloscope.store.peek" in modules  # it asked, and found no store to open
    assert _packages(modules, "sqlite3", "_sqlite3", "sqlalchemy") == []


def test_gate_on_a_sqlite_store_at_head_loads_no_sqlalchemy(
    ingested: Path, sloscope: CliRunner
) -> None:
    # The first gate creates the store (SQLAlchemy and alembic); every later one finds it
    # at the newest schema and writes its rows with the stdlib sqlite3.
    assert sloscope("gate", "checkout", "-w", str(ingested), "--at", str(AT)).code in (0, 1)
    args = ("gate", "checkout", "-w", str(ingested), "--at", str(AT), "--json")
    code, modules = _loaded(ingested, *args)
    assert code in (0, 1)
    assert "sloscope.store.plain_gates" in modules  # the decision was recorded, directly
    # numpy.ma: what a plain np.unique loads; the gate needs no masked array.
    heavy = ("sqlalchemy", "psycopg", "rich", "numpy.ma", *_NEVER)
    assert _packages(modules, *heavy) == []
    assert _packages(modules, "sloscope.store.database", "sloscope.store.migrate") == []
    assert "sloscope.alerting.backtest" not in modules
    # Reading the settings loads no figures of deployments and incidents (their defaults
    # live apart), and reading the telemetry store loads none of its writing side.
    assert _packages(modules, "sloscope.events") == ["sloscope.events"]
    assert {m for m in modules if m.startswith("sloscope.events.")} == {
        "sloscope.events.defaults",
        "sloscope.events.settings",
    }
    writing = ("sloscope.telemetry.samples", "sloscope.telemetry.catalog")
    assert _packages(modules, *writing, "sloscope.telemetry.openmetrics") == []
    assert _command_modules(modules) == {"sloscope.cli.gate"}
    with sqlite3.connect(ingested / ".sloscope" / "state.db") as connection:
        (count,) = connection.execute("SELECT count(*) FROM gate_decisions").fetchone()
    assert count == 2


def test_gate_with_an_exception_records_it_through_sqlalchemy_without_the_orm(
    ingested: Path, sloscope: CliRunner
) -> None:
    assert sloscope("gate", "checkout", "-w", str(ingested), "--at", str(AT)).code in (0, 1)
    args = ("gate", "checkout", "-w", str(ingested), "--at", str(AT))
    code, modules = _loaded(ingested, *args, "--exception", "rollback", "--reason", "fix")
    assert code in (0, 1)
    assert "sloscope.store.audit" in modules  # the exception went to the audit log
    heavy = ("sqlalchemy.dialects.postgresql", "psycopg", "rich", *_NEVER)
    assert _packages(modules, *heavy) == []
    assert "sloscope.store.migrate" not in modules
    # The gate's repositories run Core statements on a connection: no ORM, no mappers.
    assert _packages(modules, "sqlalchemy.orm", "sloscope.store.rows") == []
