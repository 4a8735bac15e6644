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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import duckdb

from sloscope.config import CONFIG_FILE, ProjectConfig, load_config
from sloscope.conventions import slo_id
from sloscope.engine.evaluate import evaluate_slo, needed_span
from sloscope.engine.trend import budget_trend
from sloscope.engine.windows import (
    DEFAULT_LOOKBACKS,
    AlertPolicy,
    alert_policy,
    bundled_policies,
)
from sloscope.errors import NotFoundError, SourceError, SpecError
from sloscope.policy.budget import BudgetPolicy, decide, policy_for
from sloscope.report.model import Report, SLOResult
from sloscope.sources.base import Source
from sloscope.sources.embedded import EmbeddedSource, compile_selector
from sloscope.sources.plan import FetchRequest, fetch_for_evaluation
from sloscope.spec.load import LoadResult, load_paths
from sloscope.spec.model import SLO, Service
from sloscope.spec.selectors import SelectorSyntaxError, parse_selector
from sloscope.telemetry.ingest import IngestResult, ingest_file
from sloscope.telemetry.repair import (
    Deletion,
    StoreInfo,
    delete_samples,
    series_ids,
    store_info,
)
from sloscope.telemetry.store import TelemetryStore
from sloscope.validation import ProjectRules, spec_policies, validate_project

if TYPE_CHECKING:
    from sloscope.alerting.matchers import Matcher
    from sloscope.alerting.notify.base import DeliveryResult, Notifier
    from sloscope.policy.gate import GateDecision, GateException, Override, SLOFigures
    from sloscope.store.database import StateStore
    from sloscope.store.silences import Silence

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Generated:
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

    @property
    def budget_policies(self) -> dict[str, BudgetPolicy]:
        """Budget policies by name (``default`` always present)."""
        return self.config.budget_policy_map()

    def validate(self, paths: Sequence[str | Path] = ()) -> LoadResult:
        """Load specs (``paths``, or the configured spec folders) and check them all.

        Besides what loading finds, the result has the checks that need the project's
        settings (:func:`~sloscope.validation.validate_project`).
        """
        targets = [self.resolve(p) for p in paths] if paths else self._spec_paths()
        loaded = load_paths(targets)
        self._spec_policies = spec_policies(loaded)
        return validate_project(loaded, self.rules)

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

    # --- telemetry --------------------------------------------------------------------

    def open_store(self, read_only: bool = False) -> TelemetryStore:
        """The embedded telemetry store (created on first write)."""
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
        return ingest_file(
            self.telemetry_path,
            source,
            format=fmt,
            progress=progress,
            limits=self.config.ingest.limits(),
        )

    def store_info(self) -> StoreInfo:
        """What the embedded store holds (series, samples, time span, file size)."""
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
        return EmbeddedSource(self.open_store(read_only=True))

    # --- state store and notifications ------------------------------------------------

    def open_state(self) -> StateStore:
        """The state store (``state.url`` / ``SLOSCOPE_STATE_URL``), migrated to the newest
        schema; a relative SQLite path is under the workspace. Close it when done."""
        from sloscope.store.database import StateStore

        return StateStore(self.config.state.url, root=self.root)

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
                        generate_dashboard(svc, policies, datasource_uid=datasource_uid)
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
        chosen = [only] if only is not None else self.select(self.services(), service)
        step = self.config.step_seconds
        pairs = [(svc, s) for svc in chosen for s in svc.slos]
        if slo is not None:
            pairs = self._select_slo(pairs, slo, service)
        own_source = source is None
        src = self.source() if source is None else source
        try:
            results = self._evaluate(pairs, at, step, src, progress, trends=trends, extra=lookbacks)
        except duckdb.Error as exc:
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
        progress: Progress | None,
        *,
        trends: bool = True,
        extra: Sequence[int] = (),
    ) -> list[SLOResult]:
        policies = self.alert_policies
        plans = [alert_policy(slo.alerting.policy, policies.values()) for _, slo in pairs]
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
                )
            )
        counts = fetch_for_evaluation(src, requests, at, step)
        results = []
        for (service, slo), policy, budget, wanted, series in zip(
            pairs, plans, budgets, lookbacks, counts, strict=True
        ):
            status = evaluate_slo(
                slo,
                series.good,
                series.total,
                start=series.start,
                step=series.step,
                at=at,
                policy=policy,
                lookbacks=wanted,
            )
            has_data = series.series > 0
            consumed = status.consumed if has_data else None
            decision = decide(budget, consumed, status.burn_rates)
            trend = None
            if trends:
                trend = budget_trend(
                    slo,
                    series.good,
                    series.total,
                    start=series.start,
                    step=series.step,
                    at=at,
                )
            results.append(SLOResult(service, slo, status, decision, has_data, series.note, trend))
            if progress is not None:
                progress(len(results), len(pairs))
        return results

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
    ) -> GateDecision:
        """May ``service`` (only ``journey``'s SLOs, if given) release ``version`` at ``at``?

        Evaluates the SLOs as :meth:`report` does and asks
        :func:`~sloscope.policy.gate.decide_gate`. A bad exception (no reason, a kind the
        policies do not allow) raises :class:`~sloscope.errors.RequestError` before any
        telemetry is read. When the source cannot answer, every SLO has no data and its
        policy's ``on_no_data`` decides (the reasons say why). ``overrides`` are the
        overrides on record; inactive ones are ignored.
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
        alone = replace(chosen, slos=tuple(slos))
        try:
            figures = [
                self._figures(r)
                for r in self.report(at, source=source, only=alone, trends=False).results
            ]
        except SourceError as exc:
            figures = [self._figures_without_data(chosen, s, at, str(exc)) for s in slos]
        return decide_gate(request, figures, overrides)

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

    def _figures(self, result: SLOResult) -> SLOFigures:
        from sloscope.policy.gate import SLOFigures

        status, slo = result.status, result.slo
        return SLOFigures(
            service=result.service.name,
            slo=slo.name,
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
