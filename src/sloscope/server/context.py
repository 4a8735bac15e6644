"""What every request of one server process shares: workspace, state store, caches."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from sloscope.config import ProjectConfig
from sloscope.errors import NotFoundError
from sloscope.records.gating import StepMemo
from sloscope.report.history import History
from sloscope.report.model import Report
from sloscope.server.audit import AuditHook, LogAudit
from sloscope.server.cache import TTLCache
from sloscope.server.metrics import ServerMetrics
from sloscope.server.settings import ServerSettings
from sloscope.server.worker import EvaluationWorker
from sloscope.sources.base import Source
from sloscope.sources.embedded import EmbeddedSource
from sloscope.spec.model import SLO, Service
from sloscope.store.database import StateStore
from sloscope.store.tokens import ApiToken, Tokens, hash_secret
from sloscope.workspace import Workspace

log = structlog.get_logger("sloscope.server")

if TYPE_CHECKING:
    from sloscope.records.impact import Assessment
    from sloscope.records.org import BurnSpan
    from sloscope.report.org.figures import OrgFigures, ServiceBurn
    from sloscope.store.events import StoredIncident

#: Seconds a token or session check is reused, and how old a check may be while a new
#: one runs in the background: a revocation takes effect within the second figure.
AUTH_CACHE_SECONDS = 5.0
AUTH_STALE_SECONDS = 10.0

#: The spec files and folders as found on disk: (path, size, mtime, ctime ^ inode) each.
SpecSignature = tuple[tuple[str, int, int, int], ...]


class ServedWorkspace(Workspace):
    """A workspace whose specs are reloaded at most every ``ttl`` seconds: a server
    answers many requests a second, and a spec change may take that long to show."""

    def __init__(
        self, root: Path, config: ProjectConfig, env: Mapping[str, str], ttl: float
    ) -> None:
        super().__init__(root, config, env)
        self._specs: TTLCache[tuple[Service, ...]] = TTLCache(ttl)
        self._loaded: tuple[SpecSignature, tuple[Service, ...]] | None = None
        self.shared_state: StateStore | None = None

    @classmethod
    def serving(cls, workspace: Workspace, ttl: float) -> ServedWorkspace:
        """``workspace``, served."""
        return cls(workspace.root, workspace.config, workspace.env, ttl)

    def services(self) -> tuple[Service, ...]:
        """The services of the specs (cached; see the class docstring)."""
        return self._specs.get("services", self._load)

    def _load(self) -> tuple[Service, ...]:
        # Parsing and checking a hundred SLOs holds the interpreter lock for 30-90 ms,
        # stalling every request meanwhile: reparse only when a spec file changed.
        signature = self._spec_signature()
        if self._loaded is not None and self._loaded[0] == signature:
            return self._loaded[1]
        started = time.perf_counter()
        loaded = super().services()
        self._loaded = (signature, loaded)
        log.info("specs loaded", ms=round((time.perf_counter() - started) * 1000, 2))
        return loaded

    def _spec_signature(self) -> SpecSignature:
        """Every file and folder under the spec paths with its size, times and inode:
        what changes when a spec is edited, added, removed or replaced."""
        found: list[tuple[str, int, int, int]] = []

        def note(path: str) -> None:
            with contextlib.suppress(OSError):  # gone meanwhile: the load reports it
                info = os.stat(path)
                changed = info.st_ctime_ns ^ info.st_ino
                found.append((path, info.st_size, info.st_mtime_ns, changed))

        for given in self._spec_paths():
            note(str(given))
            for top, dirs, names in os.walk(given, followlinks=True):
                dirs.sort()
                for name in dirs + sorted(names):
                    note(os.path.join(top, name))
        return tuple(found)

    def open_state(self) -> StateStore:
        """The server's state store when it has one (its connection pool is reused by
        every request, and closed only when the server stops), else a new one."""
        if self.shared_state is None:
            return super().open_state()
        return _BorrowedStore(self.shared_state)

    def source(self) -> Source:
        """The telemetry source; the embedded store reads on one thread, so an evaluation
        leaves the machine's other cores to the requests it serves meanwhile."""
        opened = super().source()
        if isinstance(opened, EmbeddedSource):
            opened.store.con.execute("SET threads TO 1")
        return opened


class _BorrowedStore(StateStore):
    """A server's state store lent to one ``with`` block, which must not close it."""

    def __init__(self, owner: StateStore) -> None:
        # No StateStore.__init__: that would open a second engine; this one shares
        # the owner's engine and sessions.
        self.__dict__.update(owner.__dict__)

    def close(self) -> None:
        """Leave the connection pool to the server, which closes it when it stops."""


@dataclass
class ServerContext:
    """One server's workspace, state store, settings, caches, metrics and audit hook.

    ``telemetry_lock`` serialises reads and writes of the embedded DuckDB store: one
    process may not hold it open read-only and read-write at once. ``step_memo``: the
    budget-policy steps the gate stored lately, so repeated gate calls skip that write.
    """

    workspace: Workspace
    store: StateStore
    settings: ServerSettings
    metrics: ServerMetrics
    audit: AuditHook = field(default_factory=LogAudit)
    clock: Callable[[], float] = time.time
    telemetry_lock: threading.Lock = field(default_factory=threading.Lock)
    step_memo: StepMemo = field(default_factory=StepMemo)

    def __post_init__(self) -> None:
        ttl = self.settings.cache_seconds
        self.worker: EvaluationWorker | None = None
        if self.settings.evaluation_worker:
            self.worker = EvaluationWorker(self.workspace.root)
        if not isinstance(self.workspace, ServedWorkspace):
            self.workspace = ServedWorkspace.serving(self.workspace, ttl)
        self.workspace.shared_state = self.store
        self._reports: TTLCache[Report] = TTLCache(ttl)
        # The telemetry's figures of the org report and of incidents' impact, per minute
        # (their keys hold it); the records around them are read on every request.
        self._org_burn: TTLCache[tuple[ServiceBurn, ...]] = TTLCache(ttl)
        self._impacts: TTLCache[Assessment] = TTLCache(ttl)
        self._auth: TTLCache[ApiToken | None] = TTLCache(
            AUTH_CACHE_SECONDS, max_stale=AUTH_STALE_SECONDS
        )
        #: Set once the server is warm (at once without ``settings.warm_up``).
        self.warm = threading.Event()
        if not self.settings.warm_up:
            self.warm.set()

    def warm_up(self) -> None:
        """Evaluate every service's status now, and decide (not record) a gate call
        once, so the first requests find the statuses cached and the gate's modules
        loaded; then :attr:`warm` is set. Run in a thread by the server's start: it
        answers meanwhile, ``/readyz`` says not yet."""
        import gc

        from sloscope.policy.render import render_gate_json

        try:
            for service in self.services():
                report = self.service_report(None, service)
                # Decided only to load and run the gate's code; nothing is recorded.
                render_gate_json(self.workspace.gate(service.name, report.at, evaluated=report))
        except Exception as exc:  # the requests evaluate (and report) it themselves
            log.warning("warm-up incomplete", error=type(exc).__name__)
        finally:
            # What the warm-up loaded lives as long as the server: out of the
            # collector's sight, as the start-up heap is (see create_app).
            gc.collect()
            gc.freeze()
            self.warm.set()

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
        return self.workspace.services()

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

    def service_report(self, at: int | None, service: Service) -> Report:
        """``service``'s report at ``at`` (cached per time and service). ``None``: now,
        that is the current step, or the previous step's report while the current one is
        evaluated in the background."""

        def evaluate(when: int) -> Callable[[], Report]:
            def run() -> Report:
                started = time.perf_counter()
                with self.telemetry_lock:
                    if self.worker is not None:
                        report = self.worker.report(when, service)
                    else:
                        report = self.workspace.report(when, only=service)
                took = time.perf_counter() - started
                self.metrics.status_seconds.observe(took)
                log.info("evaluated", service=service.name, at=when, ms=round(took * 1000, 2))
                return report

            return run

        if at is not None:
            return self._reports.get((at, service.name), evaluate(at))
        current = self.default_at()
        previous = current - self.workspace.config.step_seconds
        return self._reports.get(
            (current, service.name),
            evaluate(current),
            fallback=(previous, service.name),
            ahead=self._ahead(service.name),
        )

    def _ahead(self, service: str) -> float:
        """How early (seconds before it expires) a service's status is refreshed: spread
        over the first half of the ttl by its name, so the services' evaluations (in the
        worker, on the cores the requests need) come one at a time, not all together
        every ttl and at each new minute."""
        return self.settings.cache_seconds / 2 * (zlib.crc32(service.encode()) / 2**32)

    def report(self, at: int | None, service: str | None = None) -> Report:
        """Every (or one) service's report at ``at`` (None: now, as in
        :meth:`service_report`): the same as ``sloscope report``."""
        chosen: Sequence[Service] = self.workspace.select(self.services(), service)
        parts = [self.service_report(at, s) for s in chosen]
        if not parts:
            with self.telemetry_lock:
                return self.workspace.report(self.default_at() if at is None else at)
        # Parts answered from the previous step while the current one is evaluated are
        # joined at the earliest time they share, so the document has one ``at``.
        when = min(p.at for p in parts)
        if any(p.at != when for p in parts):
            # The earlier step's answers are still cached (younger than max_stale): taken
            # as they are, not evaluated again for a step already past.
            parts = [
                self._reports.peek((when, s.name)) or self.service_report(when, s) for s in chosen
            ]
        results = tuple(r for part in parts for r in part.results)
        return Report(at=when, step=parts[0].step, source=parts[0].source, results=results)

    def history(self, service: Service, slo: SLO, at: int, width: int, group: str = "") -> History:
        """``slo``'s chart history at ``at``, of one ``group`` if given (in the worker
        process when there is one)."""
        with self.telemetry_lock:
            if self.worker is not None:
                return self.worker.history(service, slo, at, width, group)
            return self.workspace.history(service, slo, at, width, group=group)

    def org_report(self, begin: int, end: int) -> OrgFigures:
        """The org report over ``[begin, end)``, as ``report --org`` makes it: the records
        read now, the telemetry's burn column reused for requests measured at the same
        step over the same lookback (cached like statuses)."""
        from sloscope.records.org import org_burn, org_report

        def burn(span: BurnSpan) -> tuple[ServiceBurn, ...]:
            def run() -> tuple[ServiceBurn, ...]:
                # Every SLO is evaluated on the telemetry, which is read one at a time.
                with self.telemetry_lock:
                    return org_burn(self.workspace, span)

            return self._org_burn.get(span, run)

        return org_report(self.workspace, begin=begin, end=end, burn=burn)

    def impact(self, stored: StoredIncident, burn_down_points: int = 0) -> Assessment:
        """An incident's impact and priority measured on the telemetry now (with a budget
        burn-down of ``burn_down_points``), reused within the current step while the
        incident's times and linked SLOs stay as they are: a step recorded (mitigated,
        resolved) or a newly linked SLO is measured afresh."""
        from sloscope.records.impact import assess

        step = self.workspace.config.step_seconds
        # The figures change only on the step grid: measured at the step's end, they are
        # the same for every request within it.
        until = -(-self.now() // step) * step
        incident = stored.incident
        key = (
            incident.service,
            incident.slos,
            incident.start,
            incident.mitigated,
            incident.resolved,
            burn_down_points,
            until,
        )

        def run() -> Assessment:
            with self.telemetry_lock:
                return assess(self.workspace, stored, now=until, burn_down_points=burn_down_points)

        return self._impacts.get(key, run)

    def telemetry_changed(self) -> None:
        """New telemetry was ingested: evaluated statuses and figures are stale."""
        self._reports.clear()
        self._org_burn.clear()
        self._impacts.clear()

    def authenticate(self, secret: str) -> ApiToken | None:
        """The active token of ``secret`` (checked at most every few seconds)."""
        return self._auth.get(*self._token_check(secret))

    def cached_token(self, secret: str) -> tuple[bool, ApiToken | None]:
        """``(True, token)`` when :meth:`authenticate` can answer from its cache, without
        reading the store in this thread; ``(False, None)`` when it must read it."""
        return self._auth.get_nowait(*self._token_check(secret))

    def _token_check(self, secret: str) -> tuple[Hashable, Callable[[], ApiToken | None]]:
        def check() -> ApiToken | None:
            with self.store.transaction() as session:
                return Tokens(session).authenticate(secret)

        return ("token", hash_secret(secret)), check

    def session_token(self, session_id: str) -> ApiToken | None:
        """The active token of a dashboard session (checked at most every few seconds)."""
        return self._auth.get(*self._session_check(session_id))

    def cached_session_token(self, session_id: str) -> tuple[bool, ApiToken | None]:
        """As :meth:`cached_token`, for :meth:`session_token`."""
        return self._auth.get_nowait(*self._session_check(session_id))

    def _session_check(self, session_id: str) -> tuple[Hashable, Callable[[], ApiToken | None]]:
        def check() -> ApiToken | None:
            with self.store.transaction() as session:
                return Tokens(session).session_token(session_id, self.now())

        return ("session", hash_secret(session_id)), check

    def forget_session(self, session_id: str) -> None:
        """A session ended here: stop trusting it at once."""
        self._auth.forget(("session", hash_secret(session_id)))

    def close(self) -> None:
        """Stop the caches' background threads and the evaluation worker."""
        for cache in (self._reports, self._org_burn, self._impacts):
            cache.close()
        if self.worker is not None:
            self.worker.close()
