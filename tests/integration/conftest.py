"""Fixtures for the integration tests: the real Prometheus and promtool, and demo data.

Prometheus 2.42 (Debian's package, ``/usr/bin/prometheus``) must be installed: ``make
test`` installs it (``make services``). When it is missing the fixtures *fail* with a
message saying so; they never skip, so a green run always means the real server ran.

- ``prometheus_factory``: start servers over data folders (stopped at session end);
- ``load_openmetrics`` / ``backfill_rules``: promtool, as blocks, before a server starts;
- ``demo``: the demo's 3 days of telemetry in a workspace's embedded store *and* in a
  running Prometheus (same OpenMetrics file), with the pristine blocks to copy from.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import prometheus_server as harness
import pytest
from prometheus_server import HarnessError, PrometheusServer

from sloscope.demo.generate import DemoTelemetry, generate_openmetrics
from sloscope.demo.spec_files import write_demo_specs
from sloscope.workspace import Workspace

#: The demo data ends here (2025-11-20T12:00:00Z) and spans DEMO_DAYS days of 60s samples.
DEMO_END = 1_763_640_000
DEMO_DAYS = 3

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder needs real services: mark it ``integration``."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


StartPrometheus = Callable[..., PrometheusServer]


@pytest.fixture(scope="session")
def prometheus_factory() -> Iterator[StartPrometheus]:
    """``start(data_dir, rule_files=(...))``: a ready server; all are stopped at the end."""
    started: list[PrometheusServer] = []

    def start(data_dir: Path, rule_files: Sequence[Path] = ()) -> PrometheusServer:
        try:
            server = harness.start_prometheus(data_dir, rule_files=rule_files)
        except HarnessError as exc:
            pytest.fail(str(exc), pytrace=False)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def load_openmetrics() -> Callable[[Path, Path], None]:
    """``load(file, data_dir)``: promtool writes the file's samples as blocks."""

    def load(source: Path, data_dir: Path) -> None:
        try:
            harness.create_blocks_from_openmetrics(source, data_dir)
        except HarnessError as exc:
            pytest.fail(str(exc), pytrace=False)

    return load


@pytest.fixture(scope="session")
def backfill_rules() -> Callable[[str, Path, int, int, Path], int]:
    """``backfill(url, rule_file, start, end, data_dir)``: recorded series as blocks."""

    def backfill(url: str, rule_file: Path, start: int, end: int, data_dir: Path) -> int:
        try:
            return harness.backfill_rules(url, rule_file, start, end, data_dir)
        except HarnessError as exc:
            pytest.fail(str(exc), pytrace=False)

    return backfill


@dataclass(frozen=True)
class Demo:
    """The demo data in both stores."""

    workspace: Workspace
    telemetry: DemoTelemetry
    openmetrics: Path
    blocks: Path  # pristine promtool output; copy it before starting another server
    prometheus: PrometheusServer


@pytest.fixture(scope="session")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    load_openmetrics: Callable[[Path, Path], None],
) -> Demo:
    """3 days of the demo services in a workspace's embedded store and in Prometheus."""
    root = tmp_path_factory.mktemp("demo")
    openmetrics = root / "demo.om"
    telemetry = generate_openmetrics(openmetrics, end=DEMO_END, days=DEMO_DAYS)
    workspace_dir = root / "workspace"
    write_demo_specs(workspace_dir / "slos")
    workspace = Workspace.open(workspace_dir, env={})
    workspace.ingest(openmetrics)
    blocks = root / "blocks"
    load_openmetrics(openmetrics, blocks)
    data = root / "prometheus-data"
    shutil.copytree(blocks, data)
    return Demo(workspace, telemetry, openmetrics, blocks, prometheus_factory(data))
