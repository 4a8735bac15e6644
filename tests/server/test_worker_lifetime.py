"""The evaluation worker process ends with the server, even a server killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SERVER = """
import sys
from pathlib import Path
from sloscope.server.worker import EvaluationWorker

worker = EvaluationWorker(Path(sys.argv[1]))
worker.start()
print(*worker._pool._processes, flush=True)  # the worker's pid
sys.stdin.read()  # until killed
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone but for its exit status (its parent, init here, reaps it).
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def test_a_killed_servers_worker_exits_instead_of_waiting_forever(served_root: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SERVER, str(served_root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            worker = int(server.stdout.readline())
            assert _alive(worker)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            deadline = time.monotonic() + 30
            while _alive(worker) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _alive(worker), "the worker outlived its killed server"
        finally:
            server.kill()
