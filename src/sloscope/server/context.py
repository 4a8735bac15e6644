"""What every request of one server process shares: workspace, state store, caches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sloscope.errors import NotFoundError
from sloscope.report.model import Report
from sloscope.server.audit import AuditHook, LogAudit
from sloscope.server.cache import TTLCache
from sloscope.server.metrics import ServerMetrics
from sloscope.server.settings import ServerSettings
from sloscope.spec.model import SLO, Service
from sloscope.store.database import StateStore
from sloscope.workspace import Workspace


@dataclass
class ServerContext:
    """One server's workspace, state store, settings, caches, metrics and audit hook.

    ``telemetry_lock`` serialises reads and writes of the embedded DuckDB store: one
    process may not hold it open read-only and read-write at once.
    """

    workspace: Workspace
    store: StateStore
    settings: ServerSettings
    metrics: ServerMetrics
    audit: AuditHook = field(default_factory=LogAudit)
    clock: Callable[[], float] = time.time
    telemetry_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        ttl = self.settings.cache_seconds
        self._services: TTLCache[tuple[Service, ...]] = TTLCache(ttl)
        self._reports: TTLCache[Report] = TTLCache(ttl)

    def now(self) -> int:
        """The current time, whole seconds."""
        return int(self.clock())

    def default_at(self) -> int:
        """Where a request without ``at`` is evaluated: the current step's start, so
        requests within one step share one evaluation."""
        step = self.workspace.config.step_seconds
        return self.now() // step * step

    def services(self) -> tuple[Service, ...]:
        """The workspace's services (reloaded from the specs every ``cache_seconds``)."""
        return self._services.get("services", self.workspace.services)

    def service(self, name: str) -> Service:
        """One service by name; :class:`NotFoundError` when there is none."""
        return self.workspace.select(self.services(), name)[0]

    def slo(self, service: str, slo: str) -> tuple[Service, SLO]:
        """One SLO of one service; :class:`NotFoundError` when there is none."""
        found = self.service(service)
        for candidate in found.slos:
            if candidate.name == slo:
                return found, candidate
        names = ", ".join(s.name for s in found.slos) or "none"
        raise NotFoundError(f"service {service!r} has no SLO {slo!r}; its SLOs: {names}")

    def service_report(self, at: int, service: Service) -> Report:
        """``service``'s report at ``at`` (cached per time and service)."""

        def evaluate() -> Report:
            started = time.perf_counter()
            with self.telemetry_lock:
                report = self.workspace.report(at, only=service)
            self.metrics.status_seconds.observe(time.perf_counter() - started)
            return report

        return self._reports.get((at, service.name), evaluate)

    def report(self, at: int, service: str | None = None) -> Report:
        """Every (or one) service's report at ``at``: the same as ``sloscope report``."""
        chosen: Sequence[Service] = self.workspace.select(self.services(), service)
        parts = [self.service_report(at, s) for s in chosen]
        if not parts:
            with self.telemetry_lock:
                return self.workspace.report(at, service=service)
        results = tuple(r for part in parts for r in part.results)
        return Report(at=at, step=parts[0].step, source=parts[0].source, results=results)

    def telemetry_changed(self) -> None:
        """New telemetry was ingested: evaluated statuses are stale."""
        self._reports.clear()
