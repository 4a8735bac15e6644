"""Evaluations in a worker process, so they share no interpreter lock with the requests.

Reading a month of telemetry and summing it holds Python's lock for tens of
milliseconds at a time; in the serving process that would stall every request answered
from the cache meanwhile. The worker opens the same workspace and returns the report;
the server still takes its telemetry lock around each call, so an ingest never runs
beside an evaluation.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sloscope.report.history import History
from sloscope.report.model import Report
from sloscope.spec.model import SLO, Service
from sloscope.workspace import Workspace

_workspace: Workspace | None = None


def _open(root: str) -> None:
    global _workspace  # noqa: PLW0603  (the worker's one workspace, opened once)
    _exit_with_parent()
    # A lower CPU priority: on a busy machine the requests come first, evaluations after.
    with contextlib.suppress(OSError):
        os.nice(10)
    _workspace = Workspace.open(root)


def _exit_with_parent() -> None:
    """End this worker as soon as the server process is gone.

    A server that shuts down stops its worker; one killed (``kill -9``, the OOM killer)
    cannot, and the pool's worker would wait for work forever, holding its memory and
    the workspace's files: it holds both ends of its own call queue, so it never reads
    an end of file. The parent's sentinel becomes ready when the parent exits.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()


def _report(at: int, service: Service) -> Report:
    assert _workspace is not None  # set by the pool's initializer
    return _workspace.report(at, only=service)


def _history(service: Service, slo: SLO, at: int, width: int, group: str) -> History:
    assert _workspace is not None
    return _workspace.history(service, slo, at, width, group=group)


def _ready() -> bool:
    return _workspace is not None


class EvaluationWorker:
    """One worker process evaluating reports of one workspace."""

    def __init__(self, root: Path) -> None:
        self._pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_open,
            initargs=(str(root),),
        )

    def start(self) -> None:
        """Start the process now (imports take a second or two) rather than on first use."""
        self._pool.submit(_ready).result()

    def report(self, at: int, service: Service) -> Report:
        """``service``'s report at ``at``, evaluated in the worker."""
        return self._pool.submit(_report, at, service).result()

    def history(self, service: Service, slo: SLO, at: int, width: int, group: str = "") -> History:
        """``slo``'s chart history (of one ``group``, if given), computed in the worker."""
        return self._pool.submit(_history, service, slo, at, width, group).result()

    def close(self) -> None:
        """Stop the worker."""
        self._pool.shutdown(wait=True, cancel_futures=True)
