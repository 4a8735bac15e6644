"""The one orchestrator: project config + specs + telemetry source + evaluation.

The CLI, the server and the scheduler all call a :class:`Workspace`, so a report (and
later a gate decision) is the same wherever it is asked for. A workspace is a folder:

::

    sloscope.yaml          project config (optional)
    slos/                  specs (configurable)
    .sloscope/             telemetry.duckdb (embedded store), state.db

Nothing here reads the clock: callers pass the evaluation time ``at``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from sloscope.config import CONFIG_FILE, ProjectConfig, load_config
from sloscope.conventions import slo_id
from sloscope.engine.windows import (
    DEFAULT_LOOKBACKS,
    AlertPolicy,
    alert_policy,
    bundled_policies,
)
from sloscope.errors import (
    ConfigError,
    EvaluationError,
    NotFoundError,
    Problem,
    SourceError,
    SpecError,
)
from sloscope.policy.budget import BudgetPolicy, decide, policy_for
from sloscope.spec.load import LoadResult, load_paths
from sloscope.spec.model import SLO, Service
from sloscope.validation import ProjectRules, spec_policies, validate_project

if TYPE_CHECKING:
    # numpy, DuckDB and the ingest load only for the commands that evaluate, read or
    # write telemetry, so that 'validate' and 'generate' start at once.
    from sloscope.alerting.adjustments import Adjustment
    from sloscope.alerting.backtest import BacktestResult, ReplayInputs
    from sloscope.alerting.matchers import Matcher
    from sloscope.alerting.notify.base import DeliveryResult, Notifier
    from sloscope.alerting.quality import Incident
    from sloscope.alerting.tune import Proposal
    from sloscope.engine.evaluate import SLOStatus
    from sloscope.policy.gate import GateDecision, GateException, Override, SLOFigures
    from sloscope.report.history import History
    from sloscope.report.model import Report, SLOResult
    from sloscope.sources.base import CountSeries, Source
    from sloscope.sources.plan import PlannedCounts
    from sloscope.store.database import StateStore
    from sloscope.store.silences import Silence
    from sloscope.telemetry.ingest import IngestResult
    from sloscope.telemetry.repair import Deletion, StoreInfo
    from sloscope.telemetry.store import TelemetryStore

Progress = Callable[[int, int], None]

#: SLOs fetched and evaluated together: enough for the backend to batch its queries,
#: few enough that a report's memory stays bounded however many SLOs it has.
EVALUATION_BATCH = 250

#: Days of recent traffic ``validate`` checks against the alert windows.
TRAFFIC_DAYS = 7


class Generated(NamedTuple):
    """Generated files (name → text; one entry for single-file outputs) and warnings."""

    files: dict[str, str]
    warnings: tuple[str, ...] = ()


class Workspace:
    """A sloscope project folder and what it is configured with.

    >>> ws = Workspace.open("path/to/project")            # doctest: +SKIP
    >>> report = ws.report(at=1795176000)                  # doctest: +SKIP
    """

    def __init__(
        self, root: Path, config: ProjectConfig, env: Mapping[str, str] | None = None
    ) -> None:
        self.root = root
        self.config = config
        # Alert policies the specs bring (Sloth AlertWindows...), known once they load.
        self._spec_policies: dict[str, AlertPolicy] = {}
        #: Where secrets named in the config (``secret_env`` ...) are read from.
        self.env: Mapping[str, str] = os.environ if env is None else env

    @classmethod
    def open(
        cls, root: str | Path | None = None, env: Mapping[str, str] | None = None
    ) -> Workspace:
        """Open the workspace at ``root`` (default: the current directory)."""
        path = Path(root) if root is not None else Path()
        if not path.is_dir():
            raise NotFoundError(
                f"workspace {path} is not a folder; create it or pass --workspace DIR"
            )
        return cls(path, load_config(path, env), env)

    # --- paths ------------------------------------------------------------------------

    def resolve(self, path: str | Path) -> Path:
        """A path from the config or the command line, relative to the workspace."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def telemetry_path(self) -> Path:
        """The embedded telemetry store's DuckDB file."""
        return self.resolve(self.config.source.path)

    # --- specs ------------------------------------------------------------------------

    @property
    def alert_policies(self) -> dict[str, AlertPolicy]:
        """Bundled, spec-file (once specs loaded) and project alert policies by name."""
        found = dict(bundled_policies())
        found.update(self._spec_policies)
        found.update({p.name: p for p in self.config.alert_policy_tables()})
        return found

    def alert_policy_for(self, service: Service, slo: SLO, name: str | None = None) -> AlertPolicy:
        """The alert policy an SLO is evaluated with, its low-traffic guard resolved.

        The policy is ``name`` when given (a backtest comparing policies), else the one
        ``alerting.slos`` in sloscope.yaml sets for the SLO or its service, else the
        spec's ``alerting.policy``. The guard is the one ``alerting.slos`` sets for the
        SLO or its service, else the policy table's own, else ``alerting.guard`` (100
        events, 5 bad).
        """
        entry = self.config.alerting.settings(service.name, slo.name)
        chosen = name or (entry.policy if entry and entry.policy else slo.alerting.policy)
        try:
            policy = alert_policy(chosen, self.alert_policies.values())
        except KeyError as exc:
            raise ConfigError(f"{service.name}/{slo.name}: {exc.args[0]}") from None
        if entry is not None and entry.guard is not None:
            return policy._replace(guard=entry.guard.to_guard())
        if policy.guard is None:
            return policy._replace(guard=self.config.alerting.guard.to_guard())
        return policy

    @property
    def budget_policies(self) -> dict[str, BudgetPolicy]:
        """Budget policies by name (``default`` always present)."""
        return self.config.budget_policy_map()

    def validate(self, paths: Sequence[str | Path] = (), *, traffic: bool = False) -> LoadResult:
        """Load specs (``paths``, or the configured spec folders) and check them all.

        Besides what loading finds, the result has the checks that need the project's
        settings (:func:`~sloscope.validation.validate_project`). With ``traffic``, and
        when the embedded store holds data, each SLO's last 7 days of traffic is checked
        against its alert windows (warnings).
        """
        targets = [self.resolve(p) for p in paths] if paths else self._spec_paths()
        loaded = load_paths(targets)
        self._spec_policies = spec_policies(loaded)
        result = validate_project(loaded, self.rules)
        if not traffic or result.errors:
            return result
        problems = [*result.problems, *self._check_traffic(result.services)]
        problems.sort(key=lambda p: (p.file, p.line, p.column, p.severity != "error"))
        return LoadResult(result.services, tuple(problems), result.files)

    @property
    def rules(self) -> ProjectRules:
        """What the project's specs are checked against (policies and step)."""
        return ProjectRules(
            alert_policies=self.alert_policies,
            budget_policies=self.budget_policies,
            step=self.config.step,
            step_seconds=self.config.step_seconds,
            config_file=str(self.root / CONFIG_FILE),
        )

    def convert(self, paths: Sequence[str | Path], to: str = "sloscope") -> Generated:
        """Specs of any format as native (or OpenSLO) files, one per service.

        Raises :class:`SpecError` when the specs do not load; their warnings go into the
        files as comments and into ``warnings``.
        """
        from sloscope.generate.convert import convert

        result = self.validate(paths)
        if result.errors:
            raise SpecError(result.problems)
        files = convert(result, "openslo" if to == "openslo" else "sloscope")
        return Generated(files, tuple(str(p) for p in result.warnings))

    def services(self) -> tuple[Service, ...]:
        """The workspace's services; raises :class:`SpecError` when a spec is invalid."""
        result = self.validate()
        if result.errors:
            raise SpecError(result.problems)
        return result.services

    def _spec_paths(self) -> list[Path]:
        paths = [self.resolve(p) for p in self.config.specs]
        # Every configured path must exist: a typo must not drop a service's SLOs silently.
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise NotFoundError(
                f"no specs at {', '.join(str(p) for p in missing)} (the specs setting: "
                f"specs: in {self.root / CONFIG_FILE}, or SLOSCOPE_SPECS); write one "
                "(see README: Spec reference) or fix the setting"
            )
        return paths

    def _recent_counts(
        self, pairs: Sequence[tuple[Service, SLO]]
    ) -> tuple[list[AlertPolicy], list[CountSeries]] | None:
        """Every SLO's policy and its last days of counts; None without stored data."""
        if self.config.source.type != "embedded" or not self.telemetry_path.exists():
            return None
        # DuckDB and numpy load only when there is stored traffic to check.
        from sloscope.sources.embedded import EmbeddedSource

        step = self.config.step_seconds
        with self.open_store(read_only=True) as store:
            span = store.time_range()
            if span is None:
                return None
            end = span[1] // 1000 // step * step
            begin = max(end - TRAFFIC_DAYS * 86400, span[0] // 1000 // step * step)
            if end - begin < step:
                return None
            try:
                policies = [self.alert_policy_for(svc, slo) for svc, slo in pairs]
                counts = EmbeddedSource(store).fetch([s.sli for _, s in pairs], begin, end, step)
            except (SourceError, ConfigError):
                return None  # an SLI the store cannot count is reported elsewhere
        return policies, counts

    def _check_traffic(self, services: Sequence[Service]) -> list[Problem]:
        """Warnings for SLOs whose recent traffic is too low for their alert windows."""
        pairs = [(svc, slo) for svc in services for slo in svc.slos]
        recent = self._recent_counts(pairs)
        if recent is None:
            return []
        from sloscope.alerting.traffic import traffic_warnings

        problems = []
        for (service, slo), policy, series in zip(pairs, *recent, strict=True):
            origin = slo.origin or service.origin
            problems += [
                Problem(
                    file=origin.file if origin else service.name,
                    line=origin.line if origin else 0,
                    column=1 if origin and origin.line else 0,
                    message=f"SLO {service.name}/{slo.name}: {message}",
                    hint="use longer alert windows, a lower guard (alerting.guard in "
                    "sloscope.yaml), or a time-slice SLI for a quiet service",
                    severity="warning",
                )
                for message in traffic_warnings(slo, policy, series)
            ]
        return problems

    # --- telemetry --------------------------------------------------------------------

    def open_store(self, read_only: bool = False) -> TelemetryStore:
        """The embedded telemetry store (created on first write)."""
        from sloscope.telemetry.store import TelemetryStore

        if read_only and not self.telemetry_path.exists():
            raise SourceError(
                f"no telemetry store at {self.telemetry_path}; load data with "
                "'sloscope ingest FILE' (or try 'sloscope demo --workspace demo')"
            )
        return TelemetryStore(self.telemetry_path, read_only=read_only)

    def ingest(
        self,
        source: str | Path | BinaryIO,
        fmt: str = "openmetrics",
        progress: Progress | None = None,
    ) -> IngestResult:
        """Load a telemetry file (or binary stream) into the embedded store, all or nothing.

        The store is opened for writing only once the file has parsed clean, so a report
        running meanwhile waits at most for the write.
        """
        from sloscope.telemetry.ingest import ingest_file

        return ingest_file(
            self.telemetry_path,
            source,
            format=fmt,
            progress=progress,
            limits=self.config.ingest.limits(),
        )

    def store_info(self) -> StoreInfo:
        """What the embedded store holds (series, samples, time span, file size)."""
        from sloscope.telemetry.repair import store_info

        with self.open_store(read_only=True) as store:
            return store_info(store)

    def delete_series(
        self,
        selector: str,
        from_seconds: int | None = None,
        to_seconds: int | None = None,
        apply: bool = False,
    ) -> Deletion:
        """Delete the samples of the series ``selector`` matches (PromQL syntax) in
        ``[from, to]`` (Unix seconds, inclusive; None: unbounded), keeping the remaining
        deltas exact. With ``apply=False``, only count what would be deleted.
        """
        from sloscope.sources.embedded import compile_selector
        from sloscope.spec.selectors import SelectorSyntaxError, parse_selector
        from sloscope.telemetry.repair import delete_samples, series_ids

        try:
            parsed = parse_selector(selector)
        except SelectorSyntaxError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            raise SourceError(
                f"selector {selector!r}: {exc.message} at column {exc.column}{hint}"
            ) from None
        clause, params = compile_selector(parsed)
        low = from_seconds * 1000 if from_seconds is not None else None
        # A sample at to_seconds.999 is still "at" to_seconds.
        high = to_seconds * 1000 + 999 if to_seconds is not None else None
        self.open_store(read_only=True).close()  # says so when there is no store
        with self.open_store(read_only=not apply) as store:
            ids = series_ids(store, clause, params, selector)
            return delete_samples(store, ids, low, high, apply=apply)

    def source(self) -> Source:
        """The configured telemetry source, opened for reading."""
        if self.config.source.type == "prometheus":
            return self.config.source.open_prometheus(self.root)
        from sloscope.sources.embedded import EmbeddedSource

        return EmbeddedSource(self.open_store(read_only=True))

    # --- state store and notifications ------------------------------------------------

    def open_state(self) -> StateStore:
        """The state store (``state.url`` / ``SLOSCOPE_STATE_URL``), migrated to the newest
        schema; a relative SQLite path is under the workspace. Close it when done."""
        from sloscope.store.database import StateStore

        return StateStore(self.config.state.url, root=self.root)

    def has_state(self) -> bool:
        """Whether there may be a state store to read: a SQLite one exists only once
        something was written (reading must not create it); a PostgreSQL one is assumed."""
        from sloscope.store.database import resolve_url

        url = resolve_url(self.config.state.url, self.root)
        return url.drivername != "sqlite" or bool(url.database and Path(url.database).exists())

    def state_lacks(self, is_empty: Callable[[Path], bool]) -> bool:
        """Whether the state store certainly has nothing to read, asked without SQLAlchemy
        when it is a plain SQLite file (``is_empty`` asks that file, read-only); False when
        unsure, and the caller reads the store."""
        from sloscope.store.peek import sqlite_file

        plain = sqlite_file(self.config.state.url, self.root)
        if plain is not None:
            return not plain.exists() or is_empty(plain)
        return not self.has_state()

    def adjustments(self) -> tuple[Adjustment, ...]:
        """The budget adjustments: ``sloscope.yaml``'s, then those made through the API
        (kept in the state store, read through the same model)."""
        from sloscope.store.peek import adjustments_are_empty

        configured = self.config.adjustment_list()
        if self.state_lacks(adjustments_are_empty):
            return configured
        from sloscope.alerting.settings import AdjustmentConfig
        from sloscope.store.adjustments import Adjustments

        with self.open_state() as store, store.transaction() as session:
            stored = Adjustments(session).find()
        return configured + tuple(AdjustmentConfig(**a.spec).to_adjustment() for a in stored)

    def notifiers(self) -> dict[str, Notifier]:
        """The configured notifiers by name, with their secrets read from the environment."""
        from sloscope.alerting.notify.settings import build_notifiers

        return build_notifiers(self.config.notifiers, self.env)

    def notify_test(self, target: str, at: int) -> dict[str, DeliveryResult]:
        """Send a test message to a notifier, or to every notifier of a named route."""
        from sloscope.alerting.notify.message import sample_notification

        names = self._notify_targets(target)
        notifiers = self.notifiers()
        message = sample_notification(at)
        return {name: notifiers[name].send(message) for name in names}

    def _notify_targets(self, target: str) -> list[str]:
        defined = [n.name for n in self.config.notifiers]
        if target in defined:
            return [target]
        for route in self.config.routes:
            if route.name == target:
                return list(route.notifiers)
        routes = [r.name for r in self.config.routes if r.name]
        raise NotFoundError(
            f"no notifier or route named {target!r}; notifiers: {', '.join(defined) or 'none'}; "
            f"named routes: {', '.join(routes) or 'none'} (see README: Notifications)"
        )

    def add_silence(
        self,
        matchers: Sequence[Matcher],
        *,
        starts_at: int,
        ends_at: int,
        author: str,
        comment: str,
        now: int,
    ) -> Silence:
        """Store a silence in the state store."""
        from sloscope.store.silences import Silences

        with self.open_state() as store, store.transaction() as session:
            return Silences(session).add(
                [m.to_dict() for m in matchers],
                starts_at=starts_at,
                ends_at=ends_at,
                author=author,
                comment=comment,
                now=now,
            )

    def silences(self, now: int, *, include_expired: bool = False) -> list[Silence]:
        """Silences that are active or still to come at ``now`` (or all of them)."""
        from sloscope.store.silences import Silences

        with self.open_state() as store, store.transaction() as session:
            return Silences(session).find(since=None if include_expired else now)

    def expire_silence(self, silence_id: int, now: int) -> Silence:
        """End a silence at ``now``; :class:`NotFoundError` when there is no such id."""
        from sloscope.store.silences import Silences

        with self.open_state() as store, store.transaction() as session:
            return Silences(session).expire(silence_id, now)

    # --- generation -------------------------------------------------------------------

    def generate(
        self,
        kind: str,
        *,
        fmt: str = "rules",
        exhausted_alert: bool = False,
        dashboard_url: str | None = None,
        extra_labels: Mapping[str, str] | None = None,
        datasource_uid: str | None = None,
        rules_file: str = "slo-rules.yaml",
        pager_receiver: str = "pager",
        ticket_receiver: str = "tickets",
    ) -> Generated:
        """Generate ``kind`` from the specs: ``prometheus`` (rules), ``prometheus-tests``
        (promtool tests of those rules), ``grafana`` (a dashboard per service) or
        ``alertmanager`` (routes and inhibition for the tier label) or ``openslo``
        (every service as OpenSLO v1)."""
        from sloscope.generate.alertmanager import alertmanager_snippet
        from sloscope.generate.grafana.dashboard import generate_dashboard, render_dashboard
        from sloscope.generate.openslo import generate_openslo, render_openslo
        from sloscope.generate.prometheus.rules import generate_rules, render_rules

        if kind == "alertmanager":
            text = alertmanager_snippet(pager_receiver, ticket_receiver)
            return Generated({"alertmanager.yaml": text})
        services = self.services()
        policies = self.alert_policies
        if kind == "prometheus":
            rules = generate_rules(
                services,
                policies,
                exhausted_alert=exhausted_alert,
                dashboard_url=dashboard_url,
                extra_labels=extra_labels,
                policy_of=self.alert_policy_for,
            )
            text = render_rules(rules, fmt="operator" if fmt == "operator" else "rules")
            return Generated({rules_file: text}, tuple(rules.warnings))
        if kind == "prometheus-tests":
            return self._rule_tests(
                services,
                policies,
                exhausted_alert=exhausted_alert,
                dashboard_url=dashboard_url,
                extra_labels=extra_labels,
                policy_of=self.alert_policy_for,
            )
        if kind == "openslo":
            documents = generate_openslo(services)
            return Generated(
                {"slos.openslo.yaml": render_openslo(documents)}, tuple(documents.warnings)
            )
        if kind == "grafana":
            return Generated(
                {
                    f"{svc.name}.json": render_dashboard(
                        generate_dashboard(
                            svc,
                            policies,
                            datasource_uid=datasource_uid,
                            policy_of=self.alert_policy_for,
                        )
                    )
                    for svc in services
                }
            )
        raise NotFoundError(
            f"unknown output {kind!r}; choose prometheus, prometheus-tests, grafana or alertmanager"
        )

    @staticmethod
    def _rule_tests(
        services: Sequence[Service],
        policies: Mapping[str, AlertPolicy],
        **options: Any,
    ) -> Generated:
        """One rules file and one ``promtool test rules`` file per SLO.

        Each SLO's rule groups are independent, so testing them alone proves the same
        groups of the full rules file; alone, SLOs that read the same raw series (an
        availability and a time-slice SLO of one route) cannot fire in each other's test
        cases, and promtool evaluates one SLO's rules per case rather than all of them.
        """
        from sloscope.generate.prometheus.rules import generate_rules, render_rules
        from sloscope.generate.rule_tests.document import generate_rule_tests, render_rule_tests

        files: dict[str, str] = {}
        warnings: list[str] = []
        for service in services:
            for slo in service.slos:
                alone = replace(service, slos=(slo,))
                stem = slo_id(service.name, slo.name)
                rules = generate_rules([alone], policies, **options)
                tests = generate_rule_tests([alone], policies, f"{stem}.rules.yaml", **options)
                files[f"{stem}.rules.yaml"] = render_rules(rules)
                files[f"{stem}.test.yaml"] = render_rule_tests(tests)
                warnings += [w for w in tests.warnings if w not in warnings]
        return Generated(files, tuple(warnings))

    # --- evaluation -------------------------------------------------------------------

    def select(self, services: Sequence[Service], service: str | None) -> list[Service]:
        """The services a command asked for (all when ``service`` is None)."""
        if service is None:
            return list(services)
        chosen = [s for s in services if s.name == service]
        if not chosen:
            known = ", ".join(sorted(s.name for s in services)) or "none"
            raise NotFoundError(f"no service {service!r} in the specs; known services: {known}")
        return chosen

    def report(
        self,
        at: int,
        service: str | None = None,
        progress: Progress | None = None,
        source: Source | None = None,
        *,
        only: Service | None = None,
        slo: str | None = None,
        trends: bool = True,
        lookbacks: Sequence[int] = (),
    ) -> Report:
        """Every SLO's status at ``at`` (Unix seconds).

        ``only``: just this service's SLOs (a service already loaded, perhaps with some
        SLOs left out). ``slo`` keeps only the SLO of that name (of ``service`` when
        given; an error when the name is unknown or, without ``service``, used by several
        services). ``trends=False`` skips the budget burndown and last-day burn of each
        SLO, which only the human-readable renderers draw. ``lookbacks``: burn rates over
        these lookbacks (seconds) too (the org report's whole range).
        """
        import _duckdb as duckdb

        from sloscope.report.model import Report

        chosen = [only] if only is not None else self.select(self.services(), service)
        step = self.config.step_seconds
        pairs = [(svc, s) for svc in chosen for s in svc.slos]
        if slo is not None:
            pairs = self._select_slo(pairs, slo, service)
        own_source = source is None
        src = self.source() if source is None else source
        results: list[SLOResult] = []
        try:
            for first in range(0, len(pairs), EVALUATION_BATCH):
                batch = pairs[first : first + EVALUATION_BATCH]
                # Grouped SLOs are evaluated apart, per group (_with_groups).
                plain = [(svc, s) for svc, s in batch if not s.group_by]
                done = self._evaluate(plain, at, step, src, trends=trends, extra=lookbacks)
                per_slo = self._with_groups(batch, done, at, src, trends=trends, extra=lookbacks)
                for index, slo_results in enumerate(per_slo, first + 1):
                    results += slo_results
                    if progress is not None:
                        progress(index, len(pairs))
        except duckdb.Error as exc:
            from sloscope.sources.embedded import EmbeddedSource

            if isinstance(src, EmbeddedSource):
                raise src.store.read_error(exc) from None
            raise
        finally:
            if own_source:
                src.close()
        return Report(at=at, step=step, source=src.name, results=tuple(results))

    @staticmethod
    def _select_slo(
        pairs: list[tuple[Service, SLO]], name: str, service: str | None
    ) -> list[tuple[Service, SLO]]:
        """The one (service, SLO) pair named ``name``; NotFoundError when not exactly one."""
        found = [(svc, s) for svc, s in pairs if s.name == name]
        if len(found) == 1:
            return found
        if found:
            services = ", ".join(sorted(svc.name for svc, _ in found))
            raise NotFoundError(
                f"SLO {name!r} is in several services ({services}); pick one with --service"
            )
        scope = f"service {service!r}" if service else "the specs"
        known = ", ".join(sorted({s.name for _, s in pairs})) or "none"
        raise NotFoundError(f"no SLO {name!r} in {scope}; known SLOs: {known}")

    def _evaluate(
        self,
        pairs: Sequence[tuple[Service, SLO]],
        at: int,
        step: int,
        src: Source,
        *,
        trends: bool = True,
        extra: Sequence[int] = (),
    ) -> list[SLOResult]:
        """The results of ``pairs`` at ``at``: their counts fetched together, as planned."""
        from sloscope.engine.evaluate import needed_span
        from sloscope.engine.trend import budget_trend
        from sloscope.report.model import SLOResult
        from sloscope.sources.base import SplitSource
        from sloscope.sources.plan import COARSE_STEP, ONE_SUM, FetchRequest, fetch_planned

        plans = [self.alert_policy_for(service, slo) for service, slo in pairs]
        adjustments = self.adjustments()
        known = self.budget_policies
        budgets = [
            policy_for(svc.name, slo.name, slo.journey, slo.budget_policy, known)
            for svc, slo in pairs
        ]
        # The budget policy's burn-rate steps read their own lookbacks besides the usual.
        lookbacks = [tuple(sorted({*DEFAULT_LOOKBACKS, *b.burn_windows, *extra})) for b in budgets]
        requests = []
        for (service, slo), policy, wanted in zip(pairs, plans, lookbacks, strict=True):
            span = needed_span(slo, at, step=step, policy=policy, lookbacks=wanted)
            requests.append(
                FetchRequest(
                    sli=slo.sli,
                    begin=span.begin,
                    fine_since=span.fine_since,
                    id=slo_id(service.name, slo.name),
                    # A status alone reads sums between the edges; a chart or an
                    # adjustment (zeroing steps one by one) needs every step.
                    edges=span.edges if not trends and not adjustments else (),
                )
            )
        if adjustments:
            # Adjusted steps are zeroed one by one, so their history comes at full step.
            coarse = step
        else:
            # A source that sums where the data lives sends the older part of each window
            # as one sum per series; a remote query engine answers it hourly, and so does
            # every source when the budget's burndown over the window is drawn.
            coarse = ONE_SUM if isinstance(src, SplitSource) and not trends else COARSE_STEP
        counts = fetch_planned(src, requests, at, step, coarse)
        results = []
        for (service, slo), policy, budget, wanted, planned in zip(
            pairs, plans, budgets, lookbacks, counts, strict=True
        ):
            status = self._status(
                service,
                slo,
                planned,
                at=at,
                policy=policy,
                lookbacks=wanted,
                adjustments=adjustments,
            )
            has_data = planned.series > 0
            consumed = status.consumed if has_data else None
            decision = decide(budget, consumed, status.burn_rates)
            trend = None
            if trends:
                dense = planned.on_fine_grid()
                trend = budget_trend(
                    slo, dense.good, dense.total, start=dense.start, step=dense.step, at=at
                )
            results.append(SLOResult(service, slo, status, decision, has_data, planned.note, trend))
        return results

    def _with_groups(
        self,
        pairs: Sequence[tuple[Service, SLO]],
        plain: list[SLOResult],
        at: int,
        src: Source,
        *,
        trends: bool,
        extra: Sequence[int] = (),
    ) -> list[list[SLOResult]]:
        """The results of each of ``pairs``, in order: its one result of ``plain`` (the
        ungrouped SLOs, evaluated together), or a grouped SLO's results, one per group.

        A grouped SLO (``group_by``) is fetched and evaluated apart, per group
        (:func:`~sloscope.report.groups.evaluate_groups`).
        """
        ungrouped = iter(plain)
        out: list[list[SLOResult]] = []
        for service, slo in pairs:
            if not slo.group_by:
                out.append([next(ungrouped)])
                continue
            from sloscope.report.groups import evaluate_groups

            budget = self.budget_policy(service, slo)
            out.append(
                evaluate_groups(
                    src,
                    service,
                    slo,
                    at=at,
                    step=self.config.step_seconds,
                    policy=self.alert_policy_for(service, slo),
                    budget=budget,
                    lookbacks=tuple(sorted({*DEFAULT_LOOKBACKS, *budget.burn_windows, *extra})),
                    max_groups=self.config.max_groups,
                    trends=trends,
                    adjustments=self.adjustments(),
                )
            )
        return out

    @staticmethod
    def _status(
        service: Service,
        slo: SLO,
        planned: PlannedCounts,
        *,
        at: int,
        policy: AlertPolicy,
        lookbacks: tuple[int, ...],
        adjustments: Sequence[Adjustment],
    ) -> SLOStatus:
        """``slo``'s status at ``at`` from its planned counts, adjustments applied.

        Without adjustments the older part of the window stays coarse (or one sum); with
        them the counts are put on the fine grid, the adjusted steps are zeroed (so every
        window is recomputed without them), and an adjustment in force at ``at`` holds
        back the alerts as well.
        """
        from sloscope.engine.evaluate import evaluate_slo

        if not adjustments:
            recent = planned.recent
            return evaluate_slo(
                slo,
                recent.good,
                recent.total,
                start=recent.start,
                step=recent.step,
                at=at,
                policy=policy,
                lookbacks=lookbacks,
                history=planned.engine_history(),
            )
        # The backtest's modules (labels_of's home) load only when adjustments apply.
        from sloscope.alerting.adjustments import evaluate_adjusted
        from sloscope.alerting.history import labels_of

        dense = planned.on_fine_grid()
        return evaluate_adjusted(
            slo,
            dense.good,
            dense.total,
            start=dense.start,
            step=dense.step,
            at=at,
            policy=policy,
            lookbacks=lookbacks,
            adjustments=adjustments,
            labels=labels_of(service, slo),
        )

    def history(
        self,
        service: Service,
        slo: SLO,
        at: int,
        width: int,
        *,
        source: Source | None = None,
        group: str = "",
    ) -> History:
        """``slo``'s SLI, budget burn-down and burn rates over its window ending at ``at``,
        in at most ``width`` points (for the dashboard's charts). ``group`` (written as
        ``{route="/orders"}``): that group of a grouped SLO only, its counts fetched as
        ``report`` fetches them; :class:`NotFoundError` when the SLO has no such group."""
        from sloscope.engine.evaluate import needed_span
        from sloscope.report.history import slo_history
        from sloscope.sources.plan import FetchRequest, fetch_for_evaluation

        step = self.config.step_seconds
        # The policy and lookbacks the report evaluates the SLO with, so the history ends
        # at the report's figures.
        policy = self.alert_policy_for(service, slo)
        lookbacks = tuple(
            sorted({*DEFAULT_LOOKBACKS, *self.budget_policy(service, slo).burn_windows})
        )
        span = needed_span(slo, at, step=step, policy=policy, lookbacks=lookbacks)
        own_source = source is None
        src = self.source() if source is None else source
        try:
            if group:
                counts = self._group_counts(src, service, slo, (span.begin, at), group)
            else:
                request = FetchRequest(
                    sli=slo.sli,
                    begin=span.begin,
                    fine_since=span.begin,
                    id=slo_id(service.name, slo.name),
                )
                (counts,) = fetch_for_evaluation(src, [request], at, step)
        finally:
            if own_source:
                src.close()
        return slo_history(
            service.name,
            slo,
            counts,
            at=at,
            policy=policy,
            lookbacks=lookbacks,
            width=width,
            group=group,
        )

    def _group_counts(
        self, src: Source, service: Service, slo: SLO, span: tuple[int, int], group: str
    ) -> CountSeries:
        """The counts of one group of ``slo`` over ``span``, fetched as the report fetches
        a grouped SLO's (:func:`~sloscope.report.groups.fetch_groups`)."""
        from sloscope.report.groups import fetch_groups, find_group

        groups = []
        if slo.group_by:
            step = self.config.step_seconds
            groups = fetch_groups(src, service, slo, span, step, max_groups=self.config.max_groups)
        index = find_group([key for key, _ in groups], group, service.name, slo.name)
        return groups[index][1]

    # --- backtest and tune ------------------------------------------------------------

    def replay_inputs(
        self,
        start: int,
        end: int,
        service: str | None = None,
        policies: Sequence[str] = (),
        source: Source | None = None,
    ) -> ReplayInputs:
        """What a replay of ``(start, end]`` runs on: lifetime, range, policies, counts.

        The range is aligned to the evaluation interval; each of ``policies`` (default:
        every SLO's own) becomes a policy set; the counts are fetched from ``source``
        (default: the configured one, closed afterwards).
        """
        from sloscope.alerting.backtest import PolicySet, ReplayInputs, lead_seconds
        from sloscope.alerting.history import fetch_targets, history_start
        from sloscope.spec.durations import format_duration

        lifetime = self.config.lifetime()
        step = self.config.step_seconds
        interval = lifetime.interval
        start, end = -(-start // interval) * interval, end // interval * interval
        if end <= start:
            raise EvaluationError(
                f"--from must be before --to, at least one evaluation interval "
                f"({format_duration(interval)}) apart"
            )
        pairs = [(svc, slo) for svc in self.select(self.services(), service) for slo in svc.slos]
        names: list[str | None] = list(policies) or [None]
        sets = [
            PolicySet(name or "configured", [self.alert_policy_for(s, o, name) for s, o in pairs])
            for name in names
        ]
        policies_used = [p for ps in sets for p in ps.policies]
        slos = [slo for _, slo in pairs]
        begin = history_start(start, lead_seconds(lifetime), policies_used, step, slos)
        src = self.source() if source is None else source
        try:
            targets = fetch_targets(
                src,
                pairs,
                begin=begin,
                end=end,
                step=step,
                adjustments=self.adjustments(),
            )
        finally:
            if source is None:
                src.close()
        return ReplayInputs(lifetime, start, end, sets, targets)

    def truth_incidents(
        self, truth: str | Path | None, service: str | None, start: int, end: int
    ) -> list[Incident] | None:
        """The truth file's incidents of the chosen services that overlap ``(start, end]``."""
        from sloscope.alerting.quality import load_truth

        if truth is None:
            return None
        known = {svc.name: {slo.name for slo in svc.slos} for svc in self.services()}
        incidents = load_truth(self.resolve(truth), known)
        return [
            i
            for i in incidents
            if (service is None or i.service == service) and i.start <= end and i.end > start
        ]

    def backtest(
        self,
        start: int,
        end: int,
        *,
        service: str | None = None,
        truth: str | Path | None = None,
        policies: Sequence[str] = (),
        compare_static: bool = False,
        source: Source | None = None,
    ) -> BacktestResult:
        """Replay ``(start, end]`` over stored history: the alerts that would have fired.

        Every SLO (of ``service``) with its configured policy, or each of ``policies``
        side by side; the noise pipeline of the config (dependencies, grouping,
        inhibition; silences are state and are not replayed); adjustments applied. With
        ``truth`` (a JSON file), the quality figures. See :mod:`sloscope.alerting.backtest`.
        """
        inputs = self.replay_inputs(start, end, service, policies, source)
        return self.replay(inputs, truth=truth, service=service, compare_static=compare_static)

    def replay(
        self,
        inputs: ReplayInputs,
        *,
        truth: str | Path | None = None,
        service: str | None = None,
        compare_static: bool = False,
    ) -> BacktestResult:
        """Replay fetched :class:`ReplayInputs` with the config's noise pipeline."""
        from sloscope.alerting.backtest import backtest
        from sloscope.alerting.noise import default_pipeline

        return backtest(
            inputs.targets,
            inputs.policy_sets,
            inputs.lifetime,
            start=inputs.start,
            end=inputs.end,
            pipeline=default_pipeline(depends_on=self.config.alerting.depends_on()),
            incidents=self.truth_incidents(truth, service, inputs.start, inputs.end),
            compare_static=compare_static,
        )

    def tune(
        self,
        start: int,
        end: int,
        *,
        service: str | None = None,
        truth: str | Path | None = None,
        source: Source | None = None,
    ) -> list[Proposal]:
        """Per SLO, the alert policy that detects every incident with the fewest alerts.

        See :mod:`sloscope.alerting.tune`. Writes nothing; :meth:`write_tuned` does.
        """
        from sloscope.alerting.backtest import lead_seconds
        from sloscope.alerting.tune import propose

        inputs = self.replay_inputs(start, end, service, (), source)
        incidents = self.truth_incidents(truth, service, inputs.start, inputs.end)
        first = inputs.start - lead_seconds(inputs.lifetime)
        return [
            propose(
                target,
                policy,
                incidents,
                inputs.lifetime,
                first=first,
                start=inputs.start,
                name=f"tuned-{slo_id(target.service, target.slo.name)}",
            )
            for target, policy in zip(inputs.targets, inputs.policy_sets[0].policies, strict=True)
        ]

    def history_end(self, now: float) -> int:
        """Where stored history ends, on the step grid: the embedded store's last sample,
        or ``now`` for a remote source."""
        step = self.config.step_seconds
        end = int(now)
        if self.config.source.type == "embedded":
            with self.open_store(read_only=True) as store:
                span = store.time_range()
            if span is None:
                raise SourceError(f"the telemetry store {self.telemetry_path} holds no samples")
            end = span[1] // 1000
        return end // step * step

    def write_tuned(self, proposals: Sequence[Proposal]) -> Path:
        """Merge the changed proposals into sloscope.yaml; the old file stays as ``.bak``.

        The result is loaded again; should it not load, the old file is put back and
        :class:`ConfigError` says why.
        """
        from sloscope.alerting.tuned_config import write_tuned_config

        path = self.root / CONFIG_FILE
        existed = path.exists()
        write_tuned_config(path, [p for p in proposals if p.changed])
        try:
            self.config = load_config(self.root)
        except ConfigError:
            backup = path.with_name(path.name + ".bak")
            if existed:
                backup.replace(path)
            else:
                path.unlink()
            raise
        return path

    # --- release gate -----------------------------------------------------------------

    def budget_policy(self, service: Service, slo: SLO) -> BudgetPolicy:
        """The budget policy that governs ``slo``: the one its spec names, else the most
        specific policy whose scope claims it, else ``default``."""
        return policy_for(
            service.name, slo.name, slo.journey, slo.budget_policy, self.budget_policies
        )

    def gate(
        self,
        service: str,
        at: int,
        *,
        journey: str | None = None,
        version: str | None = None,
        exception: GateException | None = None,
        overrides: Sequence[Override] = (),
        source: Source | None = None,
        evaluated: Report | None = None,
    ) -> GateDecision:
        """May ``service`` (only ``journey``'s SLOs, if given) release ``version`` at ``at``?

        Evaluates the SLOs as :meth:`report` does and asks
        :func:`~sloscope.policy.gate.decide_gate`. A bad exception (no reason, a kind the
        policies do not allow) raises :class:`~sloscope.errors.RequestError` before any
        telemetry is read. When the source cannot answer, every SLO has no data and its
        policy's ``on_no_data`` decides (the reasons say why). ``overrides`` are the
        overrides on record; inactive ones are ignored. ``evaluated``: this service's
        report at ``at``, already computed (a server's cache), read instead of the source.
        """
        from sloscope.policy.gate import GateRequest, check_exception, decide_gate

        chosen = self.select(self.services(), service)[0]
        slos = [s for s in chosen.slos if journey is None or s.journey == journey]
        if not slos:
            journeys = sorted({s.journey for s in chosen.slos if s.journey})
            raise NotFoundError(
                f"service {service!r} has no SLOs of journey {journey!r}; its journeys: "
                + (", ".join(journeys) or "none")
            )
        request = GateRequest(service, at, journey, version, exception)
        if exception is not None:
            check_exception(exception, [self.budget_policy(chosen, s) for s in slos])
        figures = self._gate_figures(chosen, slos, at, source, evaluated)
        return decide_gate(request, figures, overrides)

    def _gate_figures(
        self,
        service: Service,
        slos: Sequence[SLO],
        at: int,
        source: Source | None,
        evaluated: Report | None,
    ) -> list[SLOFigures]:
        """The gate's figures of ``slos``: from ``evaluated`` when given, else evaluated."""
        if evaluated is not None:
            wanted = {s.name for s in slos}
            return [self.budget_figures(r) for r in evaluated.results if r.slo.name in wanted]
        alone = replace(service, slos=tuple(slos))
        try:
            report = self.report(at, source=source, only=alone, trends=False)
            return [self.budget_figures(r) for r in report.results]
        except SourceError as exc:
            return [self._figures_without_data(service, s, at, str(exc)) for s in slos]

    def policy_document(self) -> str:
        """The error budget policy as Markdown (``sloscope policy doc``), with the SLOs
        each policy governs when the workspace has specs."""
        from sloscope.policy.document import IncidentRules, render_policy_document

        events = self.config.events
        rules = IncidentRules(
            events.priority_rules(),
            events.lowest_priority,
            events.failure_window_seconds,
            events.repeat_window_seconds,
        )
        governs: dict[str, list[str]] = {}
        try:
            services = self.services()
        except NotFoundError:
            services = ()  # a policy can be written before any spec
        for service in services:
            for slo in service.slos:
                name = self.budget_policy(service, slo).name
                governs.setdefault(name, []).append(f"{service.name}/{slo.name}")
        return render_policy_document(self.budget_policies, rules, governs)

    def budget_figures(self, result: SLOResult) -> SLOFigures:
        """One evaluated SLO's figures with the budget policy that governs it (what the
        gate judges and what budget-step crossings are notified from)."""
        from sloscope.policy.gate import SLOFigures

        status, slo = result.status, result.slo
        return SLOFigures(
            service=result.service.name,
            slo=result.name,
            journey=slo.journey,
            window=slo.window.label,
            objective=slo.objective,
            policy=self.budget_policy(result.service, slo),
            consumed=status.consumed if result.has_data else None,
            remaining=status.remaining if result.has_data else None,
            burn_rates=status.burn_rates if result.has_data else {},
            note="" if result.has_data else "no series matched the SLI",
        )

    def _figures_without_data(self, service: Service, slo: SLO, at: int, why: str) -> SLOFigures:
        from sloscope.policy.gate import SLOFigures

        return SLOFigures(
            service=service.name,
            slo=slo.name,
            journey=slo.journey,
            window=slo.window.label,
            objective=slo.objective,
            policy=self.budget_policy(service, slo),
            consumed=None,
            remaining=None,
            burn_rates={},
            note=why,
        )
