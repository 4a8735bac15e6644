"""The harness's servers are the ones it started: each URL reaches its own Prometheus.

Servers are started on port 0 and their port read back from ``/proc``; a port chosen
before the start could be taken by a server of another worker, whose readiness answer
would then be mistaken for ours (queries would read the other server's data).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import prometheus_server as harness
import pytest


def test_servers_started_together_each_answer_for_their_own_data_folder(tmp_path: Path) -> None:
    folders = [tmp_path / f"data-{i}" for i in range(3)]
    with ThreadPoolExecutor(len(folders)) as pool:
        servers = list(pool.map(harness.start_prometheus, folders))
    try:
        assert len({s.url for s in servers}) == len(servers)
        for folder, server in zip(folders, servers, strict=True):
            flags = httpx.get(f"{server.url}/api/v1/status/flags", timeout=10).json()["data"]
            assert flags["storage.tsdb.path"] == str(folder)
    finally:
        for server in servers:
            server.stop()


def test_a_server_that_cannot_start_fails_with_its_log(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yml"
    bad.write_text("groups: [{name: g, rules: [{record: 'not a name', expr: '1'}]}]\n")
    with pytest.raises(harness.HarnessError, match="exited with code 1") as error:
        harness.start_prometheus(tmp_path / "data", rule_files=[bad])
    assert "not a name" in str(error.value)
