"""Run the real Prometheus (Debian's 2.42 at ``/usr/bin/prometheus``) and promtool.

Plain functions, no pytest: ``conftest.py`` wraps them in fixtures and
``bench/bench_prometheus.py`` uses them too. Every server listens on a 127.0.0.1 port
the kernel picks (see :func:`listening_port`), over its own data folder, and is stopped
by :meth:`PrometheusServer.stop`.

Historical data goes in as TSDB blocks made by promtool *before* the server starts:

- ``promtool tsdb create-blocks-from openmetrics FILE DIR`` writes blocks; it reads the
  whole file once per block, so the hidden ``--max-block-duration`` flag (2h by default;
  not in ``--help`` of 2.42 but accepted) sets 24h blocks: 30 days is 30 passes, not
  360. The server then opens them as persisted blocks. Its head stays empty (nothing is
  scraped), so no block is ever "newer than the head".
- Time-based retention counts from the newest block, not from the wall clock, but the
  servers here run with ``--storage.tsdb.retention.time=3650d`` so a 30-day backfill is
  never cut short.
- ``promtool tsdb create-blocks-from rules`` evaluates recording rules over a past range
  by querying a running server, and writes blocks (one per rule and block duration, so
  the same hidden flag matters); they overlap the raw blocks in time,
  which 2.42 accepts (vertical compaction is on by default since 2.39). The server reads
  new blocks only on restart: stop it, move the blocks in, start again.
- Queries use the default ``--query.lookback-delta`` of 5m.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

#: Long enough that backfilled months are never deleted while a test runs.
RETENTION = "3650d"


class HarnessError(RuntimeError):
    """Prometheus or promtool is missing, does not start, or fails."""


def binary(name: str) -> str:
    """The path of ``prometheus`` or ``promtool``; :class:`HarnessError` when missing."""
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if found is None:
        raise HarnessError(
            f"{name} is not installed: run 'make services' (installs the Debian package "
            "'prometheus', which has both prometheus and promtool), or "
            "'sudo apt-get install prometheus'"
        )
    return found


def listening_port(process: subprocess.Popen[bytes], deadline: float) -> int | None:
    """The TCP port ``process`` listens on, once it does (read from ``/proc``); ``None``
    if it exits first or ``deadline`` (``time.monotonic()``) passes.

    The servers here are started on port 0 so the kernel picks a free port as they bind.
    A port picked beforehand and handed over is free only at that moment: with tests in
    parallel another worker's server can take it first, ours then fails to bind, and
    until it has exited the readiness check is answered by the other server (a query
    then reads someone else's data and finds nothing).
    """
    while time.monotonic() < deadline and process.poll() is None:
        sockets = {
            link[len("socket:[") : -1]
            for link in _fd_links(process.pid)
            if link.startswith("socket:[")
        }
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in sockets:  # 0A: TCP_LISTEN
                return int(fields[1].rsplit(":", 1)[1], 16)
        time.sleep(0.05)
    return None


def _fd_links(pid: int) -> list[str]:
    """What each open file descriptor of ``pid`` points at (``socket:[inode]`` for a
    socket); those closed while we look are left out, and all when the process is gone."""
    links = []
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(FileNotFoundError):
                links.append(os.readlink(fd))
    except FileNotFoundError:
        return []
    return links


@dataclass
class PrometheusServer:
    """A running Prometheus: its ``url``, data folder, log file and process."""

    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (``/proc/<pid>/stat``)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log, for failure messages."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start_prometheus(
    data_dir: Path,
    *,
    rule_files: Sequence[Path] = (),
    evaluation_interval: str = "1m",
    ready_timeout: float = 90.0,
) -> PrometheusServer:
    """Start Prometheus over ``data_dir`` and wait until ``/-/ready`` answers 200.

    The config (written next to the data folder) has no scrape targets; ``rule_files``
    are loaded, so a rule file Prometheus rejects fails here with its log.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir.parent / f"{data_dir.name}-prometheus.yml"
    lines = ["global:", f"  evaluation_interval: {evaluation_interval}"]
    if rule_files:
        lines.append("rule_files:")
        lines.extend(f"  - {str(path)!r}" for path in rule_files)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = data_dir.parent / f"{data_dir.name}-prometheus.log"
    args = [
        binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        f"--storage.tsdb.retention.time={RETENTION}",
        "--web.listen-address=127.0.0.1:0",
        "--log.level=info",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + ready_timeout
    port = listening_port(process, deadline)
    server = PrometheusServer(f"http://127.0.0.1:{port or 0}", data_dir, log, process)
    if port is None and process.poll() is None:
        server.stop()
        raise HarnessError(
            f"prometheus did not listen within {ready_timeout:g}s; its log ({log}):\n"
            f"{server.log_tail()}"
        )
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(
                f"prometheus exited with code {process.returncode} before it was ready; its "
                f"log ({log}):\n{server.log_tail()}"
            )
        try:
            if httpx.get(f"{server.url}/-/ready", timeout=2.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.1)
    server.stop()
    raise HarnessError(
        f"prometheus was not ready within {ready_timeout:g}s; its log ({log}):\n{server.log_tail()}"
    )


def _promtool(args: Sequence[str], timeout: float) -> None:
    command = [binary("promtool"), *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"promtool {' '.join(args[:3])} took more than {timeout:g}s") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout).decode(errors="replace").strip()
        raise HarnessError(f"{' '.join(command)} failed ({done.returncode}):\n{output[-3000:]}")


def create_blocks_from_openmetrics(
    source: Path, data_dir: Path, *, block_duration: str = "24h", timeout: float = 3600
) -> None:
    """Write ``source`` (OpenMetrics text ending in ``# EOF``) as TSDB blocks in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    args = ["tsdb", "create-blocks-from", "openmetrics", "-q"]
    args += [f"--max-block-duration={block_duration}", str(source), str(data_dir)]
    _promtool(args, timeout)


def backfill_rules(
    url: str,
    rule_file: Path,
    start: int,
    end: int,
    data_dir: Path,
    *,
    eval_interval: str = "60s",
    block_duration: str = "24h",
    timeout: float = 3600,
) -> int:
    """Evaluate ``rule_file``'s recording rules over ``[start, end]`` against the server at
    ``url`` and move the blocks into ``data_dir``; return how many blocks were added.

    Rules that read other recorded series see nothing in this pass (promtool evaluates
    each rule against the server's data as it was), so backfill those in a second pass.
    promtool writes one block per rule per ``block_duration`` (the hidden
    ``--max-block-duration`` flag, 2h by default: 200 rules over 30 days would be 72,000
    blocks); each block is one range query, so keep it at most 11,000 evaluations long
    (7 days at 60s).
    """
    output = data_dir.parent / f"{data_dir.name}-rules-{time.monotonic_ns()}"
    _promtool(
        [
            "tsdb",
            "create-blocks-from",
            "rules",
            "-q",
            f"--url={url}",
            f"--start={start}",
            f"--end={end}",
            f"--eval-interval={eval_interval}",
            f"--max-block-duration={block_duration}",
            f"--output-dir={output}",
            str(rule_file),
        ],
        timeout,
    )
    moved = 0
    for block in sorted(output.iterdir()) if output.exists() else []:
        if block.is_dir():
            shutil.move(str(block), str(data_dir / block.name))
            moved += 1
    shutil.rmtree(output, ignore_errors=True)
    return moved
