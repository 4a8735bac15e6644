"""OpenSLO v1 import (``apiVersion: openslo/v1``).

OpenSLO splits an SLO over several objects (SLO, SLI, AlertPolicy, AlertCondition,
AlertNotificationTarget, DataSource, Service) that refer to each other by name, often
across files, so this module gets every OpenSLO document at once: it registers the
objects by kind and name, then converts each SLO, resolving references. An unresolved
reference is an error at the line of the reference.

How OpenSLO maps onto sloscope's model:

- SLOs are grouped into services by ``spec.service``; a Service object gives the
  description. An SLO with several objectives becomes one SLO per objective, named
  ``<slo>-<objective displayName or target>``.
- A query that is a plain series selector becomes a ratio SLI on selectors (any source
  can answer it). Anything else becomes a PromQL SLI: ``{{window}}`` (or Sloth's
  ``{{.window}}``) is kept, ``rate(x[5m])`` becomes ``increase(x[{{window}}])`` and
  ``sum(x)`` becomes ``sum(increase(x[{{window}}]))``; other queries are refused.
- ``thresholdMetric`` on a histogram bucket selector with ``op: lte|lt`` becomes a
  latency SLI; any other threshold metric becomes a PromQL SLI counting the share of
  time the threshold is breached.
- Timeslices become timeslices SLIs; RatioTimeslices are evaluated as Occurrences (with
  a warning: slices are weighted by their events).
- Alert conditions are not imported (sloscope alerts with multi-window burn-rate
  policies); notification targets become the ``notification_target`` alert label.

OpenSLO files in the wild are inconsistent (where the query lives, whether the
indicator is wrapped in metadata/spec); they are read leniently, with a warning naming
what was assumed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sloscope.spec import fields
from sloscope.spec.durations import parse_duration
from sloscope.spec.fields import Context, FormatResult, LoadedService
from sloscope.spec.model import (
    SLI,
    SLO,
    Alerting,
    CalendarUnit,
    LatencySLI,
    Origin,
    PromQLSLI,
    RatioSLI,
    Service,
    SliceIndicator,
    TimeslicesSLI,
    Window,
)
from sloscope.spec.selectors import Selector, SelectorSyntaxError, parse_selector
from sloscope.spec.yamlpos import Document, YamlPath

API_VERSION = "openslo/v1"
KINDS = (
    "SLO",
    "SLI",
    "Service",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
    "DataSource",
)
API_KINDS: Mapping[str, tuple[str, ...]] = {API_VERSION: KINDS}

#: Metric source types whose queries are PromQL (lower case). Others are refused.
PROMQL_SOURCES = frozenset(
    {
        "prometheus",
        "thanos",
        "mimir",
        "cortex",
        "victoriametrics",
        "victoria-metrics",
        "grafana-mimir",
        "amazon-managed-prometheus",
        "googlemanagedprometheus",
        "promql",
    }
)

_WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.?window\s*\}\}")
_SELECTOR = r"[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:\{[^{}]*\})?"
_RANGE_FN = re.compile(r"\b(?:rate|irate|increase)\s*\(\s*(" + _SELECTOR + r")\s*\[[^\]]+\]\s*\)")
_SUM_OF_SELECTOR = re.compile(
    r"^\s*sum\s*(?P<pre>(?:by|without)\s*\([^)]*\)\s*)?\(\s*(?P<sel>"
    + _SELECTOR
    + r")\s*\)\s*(?P<post>(?:by|without)\s*\([^)]*\))?\s*$"
)
_OPENSLO_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwMQY])\s*$")
_CALENDAR_UNITS: Mapping[str, CalendarUnit] = {"w": "week", "M": "month", "Q": "quarter"}
_SECONDS = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "Q": 90 * 86400,
    "Y": 365 * 86400,
}


def is_mine(data: Mapping[str, object]) -> bool:
    """Whether a document is an OpenSLO v1 object of a kind sloscope reads."""
    return data.get("apiVersion") == API_VERSION and data.get("kind") in KINDS


# --- objects and the registry -----------------------------------------------------------


@dataclass
class _Object:
    """An OpenSLO object: a whole document or an inline object inside one."""

    ctx: Context
    path: YamlPath
    kind: str

    @property
    def data(self) -> Mapping[str, object]:
        value = self.ctx.doc.get(self.path)
        return value if isinstance(value, Mapping) else {}

    def get(self, *keys: str) -> object:
        return self.ctx.doc.get((*self.path, *keys))

    def at(self, *keys: str | int) -> YamlPath:
        return (*self.path, *keys)

    @property
    def name(self) -> str | None:
        name = self.get("metadata", "name")
        return name if isinstance(name, str) and name else None


@dataclass
class _Registry:
    contexts: list[Context] = field(default_factory=list)
    objects: dict[str, dict[str, _Object]] = field(default_factory=dict)
    order: list[_Object] = field(default_factory=list)

    def lookup(self, kind: str, name: str) -> _Object | None:
        return self.objects.get(kind, {}).get(name)

    def names(self, kind: str) -> list[str]:
        return sorted(self.objects.get(kind, {}))


def load(documents: Sequence[Document]) -> FormatResult:
    """Load OpenSLO documents (from all files at once, so references resolve across files)."""
    registry = _Registry()
    for doc in documents:
        ctx = Context(doc)
        registry.contexts.append(ctx)
        data = doc.data
        assert isinstance(data, Mapping)
        obj = _Object(ctx, (), str(data.get("kind")))
        name = obj.name
        if name is None:
            ctx.error(
                ("metadata",) if "metadata" in data else (),
                f"an OpenSLO {obj.kind} needs metadata.name",
            )
            continue
        if not fields.check_name(ctx, ("metadata", "name"), name, obj.kind):
            continue
        first = registry.lookup(obj.kind, name)
        if first is not None:
            where = first.ctx.doc
            ctx.error(
                ("metadata", "name"),
                f"{obj.kind} {name!r} is already defined in {where.file} "
                f"at line {where.start.line}",
                f"names of OpenSLO {obj.kind} objects are unique; rename one",
            )
            continue
        registry.objects.setdefault(obj.kind, {})[name] = obj
        registry.order.append(obj)
    converter = _Converter(registry)
    services = converter.run()
    result = FormatResult(services=services)
    for ctx in registry.contexts:
        result.problems.extend(ctx.problems)
    return result


# --- queries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Query:
    """One query of an SLI, read from its metric source."""

    ctx: Context
    path: YamlPath
    text: str


@dataclass(frozen=True)
class _Indicator:
    """An SLI object, read once whatever number of SLOs use it."""

    kind: Literal["ratio", "raw", "threshold"]
    parts: Mapping[str, _Query]
    raw_type: str = "success"
    counter: bool = True


@dataclass(frozen=True)
class _SLOParts:
    """What every objective of one OpenSLO SLO shares."""

    indicator: _Indicator | None
    method: str
    window: Window | None
    alerting: Alerting
    count: int


_Converted = tuple[Selector | None, str | None]  # (selector, PromQL with {{window}})


class _Converter:
    def __init__(self, registry: _Registry) -> None:
        self.registry = registry
        self.indicators: dict[tuple[int, YamlPath], _Indicator | None] = {}
        self.policies: dict[
            tuple[int, YamlPath], tuple[dict[str, str], dict[str, str], bool] | None
        ] = {}
        self.queries: dict[tuple[int, YamlPath], _Converted | None] = {}
        self.warned: set[tuple[int, YamlPath]] = set()

    # --- services ---------------------------------------------------------------------

    def run(self) -> list[LoadedService]:
        by_service: dict[str, list[tuple[_Object, SLO]]] = {}
        service_refs: dict[str, tuple[_Object, YamlPath]] = {}
        for obj in self.registry.order:
            if obj.kind == "SLI":
                self.indicator(obj)  # validated even when no SLO uses it
            elif obj.kind == "AlertPolicy":
                self.alert_policy(obj)
        for obj in self.registry.order:
            if obj.kind != "SLO":
                continue
            service = obj.get("spec", "service")
            if not isinstance(service, str) or not service:
                obj.ctx.error(
                    obj.at("spec", "service") if service is not None else obj.at("spec"),
                    f"SLO {obj.name!r} has no spec.service",
                    "sloscope groups SLOs into services; name the service the SLO belongs to",
                )
                continue
            service_refs.setdefault(service, (obj, obj.at("spec", "service")))
            for slo in self.slos(obj):
                by_service.setdefault(service, []).append((obj, slo))
            by_service.setdefault(service, [])
        out: list[LoadedService] = []
        names = list(by_service)
        names += [n for n in self.registry.names("Service") if n not in by_service]
        for name in names:
            loaded = self.service(name, by_service.get(name, []), service_refs.get(name))
            if loaded is not None:
                out.append(loaded)
        return out

    def service(
        self,
        name: str,
        slos: list[tuple[_Object, SLO]],
        first_ref: tuple[_Object, YamlPath] | None,
    ) -> LoadedService | None:
        declared = self.registry.lookup("Service", name)
        if first_ref is not None and not fields.check_name(
            first_ref[0].ctx, first_ref[1], name, "service"
        ):
            return None
        description, labels = "", {}
        if declared is not None:
            ctx = declared.ctx
            description = str(
                declared.get("spec", "description") or declared.get("metadata", "displayName") or ""
            )
            labels = fields.string_map(
                ctx, declared.at("metadata", "labels"), declared.get("metadata", "labels"), "label"
            )
            origin = Origin(ctx.doc.file, ctx.doc.start.line)
            file, pos = ctx.doc.file, ctx.doc.pos(declared.at("metadata", "name"))
            if first_ref is None:
                ctx.warn(declared.at("metadata", "name"), f"service {name!r} has no SLOs")
        else:
            assert first_ref is not None
            obj, path = first_ref
            origin = Origin(obj.ctx.doc.file, obj.ctx.doc.start.line)
            file, pos = obj.ctx.doc.file, obj.ctx.doc.pos(path)
        unique: list[SLO] = []
        seen: set[str] = set()
        for obj, slo in slos:
            if slo.name in seen:
                obj.ctx.error(
                    obj.at("metadata", "name"),
                    f"duplicate SLO name {slo.name!r} in service {name!r}",
                    "rename the SLO or the objective's displayName",
                )
                continue
            seen.add(slo.name)
            unique.append(slo)
        owner = labels.get("owner") or labels.get("team") or ""
        service = Service(
            name=name,
            slos=tuple(unique),
            owner=owner,
            description=description,
            labels=labels,
            origin=origin,
        )
        return LoadedService(service, file, pos)

    # --- SLOs -------------------------------------------------------------------------

    def slos(self, obj: _Object) -> Iterator[SLO]:
        ctx = obj.ctx
        before = ctx.error_count()
        spec = obj.get("spec")
        if not isinstance(spec, Mapping):
            ctx.error(
                obj.at("spec") if "spec" in obj.data else obj.path,
                "an OpenSLO SLO needs a spec mapping",
            )
            return
        indicator = self.slo_indicator(obj)
        window = self.window(obj)
        method = self.budgeting_method(obj)
        alerting = self.alerting(obj)
        objectives = spec.get("objectives")
        if not isinstance(objectives, list) or not objectives:
            ctx.error(
                obj.at("spec", "objectives") if "objectives" in spec else obj.at("spec"),
                f"SLO {obj.name!r} needs a list of objectives",
                "objectives: [{target: 0.999}] or [{targetPercent: 99.9}]",
            )
            return
        failed = ctx.error_count() > before or method is None
        parts = _SLOParts(
            None if failed else indicator,
            method or "Occurrences",
            window,
            alerting,
            len(objectives),
        )
        if parts.indicator is None or window is None:
            # Still check the objectives, so one run reports every problem.
            for index in range(len(objectives)):
                self.objective(obj, index, parts)
            return
        names: dict[str, int] = {}
        built: list[SLO] = []
        for index in range(len(objectives)):
            slo = self.objective(obj, index, parts)
            if slo is None:
                continue
            if slo.name in names:
                suffixed = f"{slo.name}-{index + 1}"
                slo = dataclasses.replace(slo, name=suffixed)
            names[slo.name] = index
            built.append(slo)
        if len(objectives) > 1 and built:
            ctx.warn(
                obj.at("spec", "objectives"),
                f"SLO {obj.name!r} has {len(objectives)} objectives; imported as "
                f"{len(built)} SLOs: {', '.join(s.name for s in built)}",
            )
        yield from built

    def objective(self, obj: _Object, index: int, parts: _SLOParts) -> SLO | None:
        ctx = obj.ctx
        indicator, method, window, alerting = (
            parts.indicator,
            parts.method,
            parts.window,
            parts.alerting,
        )
        path = obj.at("spec", "objectives", index)
        data = ctx.doc.get(path)
        if not isinstance(data, Mapping):
            ctx.error(path, "an objective must be a mapping with target or targetPercent")
            return None
        before = ctx.error_count()
        objective: float | None = None
        if "target" in data and "targetPercent" in data:
            ctx.error(path, "give target or targetPercent, not both")
        elif "target" in data:
            objective = fields.objective_from_fraction(ctx, (*path, "target"), data["target"])
        elif "targetPercent" in data:
            objective = fields.objective_from_percent(
                ctx, (*path, "targetPercent"), data["targetPercent"], "targetPercent"
            )
        else:
            ctx.error(path, "an objective needs target (0-1) or targetPercent (0-100)")
        sli = None
        if indicator is not None:
            sli = self.build_sli(obj, path, data, indicator, method)
        elif method in ("Timeslices",):
            self.slice_settings(ctx, path, data)
        if ctx.error_count() > before or sli is None or objective is None or window is None:
            return None
        assert alerting is not None
        name = str(obj.name)
        if parts.count > 1:
            name = f"{name}-{_suffix(data, objective)}"
        description = obj.get("spec", "description") or obj.get("metadata", "displayName") or ""
        labels = fields.string_map(
            ctx, obj.at("metadata", "labels"), obj.get("metadata", "labels"), "label"
        )
        return SLO(
            name=name,
            objective=objective,
            window=window,
            sli=sli,
            description=str(description),
            alerting=alerting,
            labels=labels,
            origin=Origin(ctx.doc.file, ctx.doc.start.line),
        )

    def budgeting_method(self, obj: _Object) -> str | None:
        method = obj.get("spec", "budgetingMethod")
        if method is None:
            obj.ctx.warn(
                obj.at("spec"),
                f"SLO {obj.name!r} has no budgetingMethod; Occurrences assumed",
                "OpenSLO requires budgetingMethod: Occurrences, Timeslices or RatioTimeslices",
            )
            return "Occurrences"
        if method not in ("Occurrences", "Timeslices", "RatioTimeslices"):
            obj.ctx.error(
                obj.at("spec", "budgetingMethod"),
                f"unknown budgetingMethod {method!r}",
                "use Occurrences, Timeslices or RatioTimeslices",
            )
            return None
        if method == "RatioTimeslices":
            obj.ctx.warn(
                obj.at("spec", "budgetingMethod"),
                "RatioTimeslices is evaluated as Occurrences: good/total over the window, so "
                "busy slices weigh more than quiet ones",
                "use Timeslices with a timeSliceTarget to count good slices",
            )
            return "Occurrences"
        return str(method)

    def window(self, obj: _Object) -> Window | None:
        ctx = obj.ctx
        raw = obj.get("spec", "timeWindow")
        path = obj.at("spec", "timeWindow")
        if raw is None:
            ctx.warn(
                obj.at("spec"),
                f"SLO {obj.name!r} has no timeWindow; a rolling 30d window is assumed",
            )
            return fields.rolling_window(ctx, path, "30d")
        if isinstance(raw, Mapping):
            ctx.warn(
                path, "timeWindow is a list with one item in OpenSLO; read the mapping as that item"
            )
        elif isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], Mapping):
            path = (*path, 0)
            raw = raw[0]
        else:
            ctx.error(path, "timeWindow must be a list with exactly one window")
            return None
        assert isinstance(raw, Mapping)
        duration = raw.get("duration")
        calendar = raw.get("calendar")
        rolling = raw.get("isRolling")
        if not isinstance(duration, str | int) or isinstance(duration, bool):
            ctx.error(path, "timeWindow needs duration, e.g. 28d (rolling) or 1M (calendar)")
            return None
        text = str(duration)
        match = _OPENSLO_DURATION.match(text)
        if not match:
            ctx.error(
                (*path, "duration"),
                f"timeWindow duration {text!r} is not a duration",
                "write a number and one of m, h, d, w, M, Q, Y, e.g. 28d or 1M",
            )
            return None
        count, unit = int(match.group(1)), match.group(2)
        if rolling is True or (rolling is None and calendar is None):
            if calendar is not None:
                ctx.warn(
                    (*path, "calendar"),
                    "calendar is ignored for a rolling window (isRolling: true)",
                )
            if unit in ("M", "Q", "Y"):
                days = count * _SECONDS[unit] // 86400
                ctx.warn(
                    (*path, "duration"),
                    f"rolling window {text} is read as {days}d",
                    f"write duration: {days}d to say so, or use a calendar window",
                )
                return fields.rolling_window(ctx, (*path, "duration"), f"{days}d")
            return fields.rolling_window(ctx, (*path, "duration"), text)
        # Calendar-aligned.
        if count != 1 or unit not in _CALENDAR_UNITS:
            hint = "calendar windows are 1w, 1M or 1Q"
            if unit == "m" and count == 1:
                hint = "did you mean 1M (a month)? m is minutes"
            ctx.error((*path, "duration"), f"calendar window {text!r} is not supported", hint)
            return None
        cal = calendar if isinstance(calendar, Mapping) else {}
        if calendar is None:
            ctx.warn(path, "calendar window without calendar settings; UTC assumed")
        timezone = cal.get("timeZone", "UTC")
        window = fields.calendar_window(
            ctx,
            (*path, "duration"),
            _CALENDAR_UNITS[unit],
            (*path, "calendar", "timeZone"),
            str(timezone),
        )
        start = cal.get("startTime")
        if window is not None and start is not None and not _aligned(start, window.unit):
            ctx.warn(
                (*path, "calendar", "startTime"),
                f"calendar windows start at the start of each {window.unit} in {window.timezone}; "
                f"startTime {start} is not used",
            )
        return window

    def alerting(self, obj: _Object) -> Alerting:
        labels: dict[str, str] = {}
        annotations: dict[str, str] = {}
        enabled = True
        own = fields.string_map(
            obj.ctx,
            obj.at("metadata", "annotations"),
            obj.get("metadata", "annotations"),
            "annotation",
        )
        runbook, dashboard = _links(own)
        policies = obj.get("spec", "alertPolicies")
        if isinstance(policies, list):
            for index, item in enumerate(policies):
                path = obj.at("spec", "alertPolicies", index)
                policy = self.policy_ref(obj.ctx, path, item)
                if policy is None:
                    continue
                converted = self.alert_policy(policy)
                if converted is None:
                    continue
                more_labels, more_annotations, breaching = converted
                for key, value in more_labels.items():
                    if key in labels and labels[key] != value:
                        labels[key] = ",".join(sorted({*labels[key].split(","), *value.split(",")}))
                    else:
                        labels[key] = value
                annotations.update(more_annotations)
                enabled = enabled and breaching
        elif policies is not None:
            obj.ctx.error(obj.at("spec", "alertPolicies"), "alertPolicies must be a list")
        link_runbook, link_dashboard = _links(annotations)
        return Alerting(
            runbook=runbook or link_runbook,
            dashboard=dashboard or link_dashboard,
            enabled=enabled,
            labels=labels,
            annotations=annotations,
        )

    def policy_ref(self, ctx: Context, path: YamlPath, item: object) -> _Object | None:
        if not isinstance(item, Mapping):
            ctx.error(path, "an alert policy is a mapping: inline, or {alertPolicyRef: name}")
            return None
        if "alertPolicyRef" in item:
            return self.resolve(
                ctx, (*path, "alertPolicyRef"), "AlertPolicy", item["alertPolicyRef"]
            )
        if "kind" in item and item.get("kind") != "AlertPolicy":
            ctx.error(
                (*path, "kind"),
                f"alertPolicies items are AlertPolicy objects, not {item.get('kind')!r}",
            )
            return None
        return _Object(ctx, path, "AlertPolicy")

    def resolve(self, ctx: Context, path: YamlPath, kind: str, name: object) -> _Object | None:
        if not isinstance(name, str) or not name:
            ctx.error(path, f"a reference to a {kind} must be its metadata.name")
            return None
        found = self.registry.lookup(kind, name)
        if found is None:
            known = self.registry.names(kind)
            ctx.error(
                path,
                f"{kind} {name!r} is not defined in any loaded file",
                f"{kind} objects loaded: {', '.join(known)}"
                if known
                else f"add a document with kind: {kind} and metadata.name: {name}, "
                "and pass its file too",
            )
        return found

    def alert_policy(self, obj: _Object) -> tuple[dict[str, str], dict[str, str], bool] | None:
        key = (id(obj.ctx), obj.path)
        if key in self.policies:
            return self.policies[key]
        ctx = obj.ctx
        labels: dict[str, str] = {}
        annotations = fields.string_map(
            ctx, obj.at("metadata", "annotations"), obj.get("metadata", "annotations"), "annotation"
        )
        spec = obj.get("spec")
        result: tuple[dict[str, str], dict[str, str], bool] | None = None
        if not isinstance(spec, Mapping):
            ctx.error(
                obj.at("spec") if "spec" in obj.data else obj.path, "an AlertPolicy needs a spec"
            )
        else:
            if spec.get("alertWhenNoData") is True:
                ctx.warn(
                    obj.at("spec", "alertWhenNoData"),
                    "alertWhenNoData is not supported; sloscope reports missing data in validate "
                    "and report, not as alerts",
                )
            breaching = spec.get("alertWhenBreaching") is not False
            if not breaching:
                ctx.warn(
                    obj.at("spec", "alertWhenBreaching"),
                    "alertWhenBreaching: false: SLOs with this policy are imported with "
                    "alerts disabled",
                )
            for index, cond in enumerate(spec.get("conditions") or []):
                self.condition(ctx, obj.at("spec", "conditions", index), cond)
            targets: list[str] = []
            for index, target in enumerate(spec.get("notificationTargets") or []):
                name = self.target(ctx, obj.at("spec", "notificationTargets", index), target)
                if name:
                    targets.append(name)
            if targets:
                labels["notification_target"] = ",".join(sorted(set(targets)))
            result = (labels, annotations, breaching)
        self.policies[key] = result
        return result

    def condition(self, ctx: Context, path: YamlPath, item: object) -> None:
        if not isinstance(item, Mapping):
            ctx.error(path, "a condition is a mapping: inline, or {conditionRef: name}")
            return
        if "conditionRef" in item:
            found = self.resolve(
                ctx, (*path, "conditionRef"), "AlertCondition", item["conditionRef"]
            )
            if found is None:
                return
            ctx, path, item = found.ctx, found.path, found.data
        cond = item.get("spec", {})
        cond = cond.get("condition", {}) if isinstance(cond, Mapping) else {}
        if not isinstance(cond, Mapping):
            cond = {}
        what = (
            f"burn rate {cond.get('threshold')} over {cond.get('lookbackWindow')}"
            if cond.get("threshold") is not None
            else "its condition"
        )
        name = item.get("metadata", {})
        name = name.get("name") if isinstance(name, Mapping) else None
        key = (id(ctx), path)
        if key in self.warned:  # a condition shared by several policies warns once
            return
        self.warned.add(key)
        label = f"alert condition {name!r}" if name else "alert condition"
        ctx.warn(
            path,
            f"{label} ({what}) is not imported: sloscope alerts with multi-window burn-rate "
            "policies (default 'google')",
            "define an alert policy in sloscope.yaml and set alerting.policy to match",
        )

    def target(self, ctx: Context, path: YamlPath, item: object) -> str | None:
        if not isinstance(item, Mapping):
            ctx.error(path, "a notification target is a mapping: inline, or {targetRef: name}")
            return None
        if "targetRef" in item:
            found = self.resolve(
                ctx, (*path, "targetRef"), "AlertNotificationTarget", item["targetRef"]
            )
            return found.name if found is not None else None
        meta = item.get("metadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("name"), str):
            return str(meta["name"])
        spec = item.get("spec")
        if isinstance(spec, Mapping) and isinstance(spec.get("target"), str):
            return str(spec["target"])
        return None

    # --- indicators -------------------------------------------------------------------

    def slo_indicator(self, obj: _Object) -> _Indicator | None:
        ctx = obj.ctx
        spec = obj.get("spec")
        assert isinstance(spec, Mapping)
        if "indicator" in spec and "indicatorRef" in spec:
            ctx.error(
                obj.at("spec", "indicatorRef"),
                "give indicator or indicatorRef, not both",
                at_key=True,
            )
            return None
        if "indicatorRef" in spec:
            found = self.resolve(ctx, obj.at("spec", "indicatorRef"), "SLI", spec["indicatorRef"])
            return None if found is None else self.indicator(found)
        if "indicator" in spec:
            return self.indicator(_Object(ctx, obj.at("spec", "indicator"), "SLI"))
        ctx.error(
            obj.at("spec"),
            f"SLO {obj.name!r} has neither indicator nor indicatorRef",
            "inline the SLI as indicator: {metadata: ..., spec: {ratioMetric: ...}} or "
            "refer to one with indicatorRef: <name>",
        )
        return None

    def indicator(self, obj: _Object) -> _Indicator | None:
        key = (id(obj.ctx), obj.path)
        if key not in self.indicators:
            self.indicators[key] = self._read_indicator(obj)
        return self.indicators[key]

    def _read_indicator(self, obj: _Object) -> _Indicator | None:
        ctx = obj.ctx
        data = obj.data
        spec_path = obj.at("spec")
        spec = data.get("spec")
        if not isinstance(spec, Mapping) and ("ratioMetric" in data or "thresholdMetric" in data):
            ctx.warn(
                obj.path,
                "indicator without metadata/spec: read as the SLI's spec",
                "OpenSLO writes indicator: {metadata: {name: ...}, spec: {ratioMetric: ...}}",
            )
            spec, spec_path = data, obj.path
        if not isinstance(spec, Mapping):
            ctx.error(obj.path, "an SLI needs spec with ratioMetric or thresholdMetric")
            return None
        kinds = [k for k in ("ratioMetric", "thresholdMetric") if k in spec]
        if len(kinds) != 1:
            ctx.error(
                spec_path,
                "an SLI needs exactly one of ratioMetric and thresholdMetric"
                + (", found both" if len(kinds) == 2 else ""),
            )
            return None
        if kinds[0] == "thresholdMetric":
            query = self.metric_source(ctx, (*spec_path, "thresholdMetric"))
            return None if query is None else _Indicator("threshold", {"threshold": query})
        path = (*spec_path, "ratioMetric")
        ratio = spec["ratioMetric"]
        if not isinstance(ratio, Mapping):
            ctx.error(path, "ratioMetric must be a mapping with good or bad, and total (or raw)")
            return None
        counter = ratio.get("counter", True) is not False
        if not counter:
            ctx.warn(
                (*path, "counter"),
                "counter: false is not supported; good and total are read as counters",
                "sloscope counts events with counters (increase over the window)",
            )
        if "raw" in ratio:
            if any(k in ratio for k in ("good", "bad", "total")):
                ctx.error(path, "raw cannot be combined with good, bad or total")
                return None
            raw_type = ratio.get("rawType")
            if raw_type not in ("success", "failure"):
                ctx.error(
                    (*path, "rawType") if "rawType" in ratio else path,
                    f"rawType must be success or failure, got {raw_type!r}",
                    "success: the raw query is good/total; failure: bad/total",
                )
                return None
            query = self.metric_source(ctx, (*path, "raw"))
            return (
                None if query is None else _Indicator("raw", {"raw": query}, str(raw_type), counter)
            )
        given = [k for k in ("good", "bad") if k in ratio]
        if len(given) != 1 or "total" not in ratio:
            ctx.error(
                path,
                "ratioMetric needs total and exactly one of good and bad"
                + (
                    f" (found {', '.join(k for k in ('good', 'bad', 'total') if k in ratio)})"
                    if ratio
                    else ""
                ),
            )
            return None
        parts = {k: self.metric_source(ctx, (*path, k)) for k in (given[0], "total")}
        if any(q is None for q in parts.values()):
            return None
        return _Indicator(
            "ratio", {k: q for k, q in parts.items() if q is not None}, counter=counter
        )

    def metric_source(self, ctx: Context, path: YamlPath) -> _Query | None:
        part = ctx.doc.get(path)
        if not isinstance(part, Mapping):
            ctx.error(path, "expected a mapping with metricSource")
            return None
        source = part.get("metricSource")
        source_path = (*path, "metricSource")
        if not isinstance(source, Mapping):
            if isinstance(part.get("query"), str):
                ctx.warn(
                    (*path, "query"),
                    "query read from outside metricSource",
                    "OpenSLO writes metricSource: {type: Prometheus, spec: {query: ...}}",
                )
                return _Query(ctx, (*path, "query"), str(part["query"]))
            ctx.error(
                path,
                "missing metricSource",
                "write metricSource: {type: Prometheus, spec: {query: <PromQL>}}",
            )
            return None
        kind = source.get("type")
        if "metricSourceRef" in source:
            found = self.resolve(
                ctx, (*source_path, "metricSourceRef"), "DataSource", source["metricSourceRef"]
            )
            if found is not None and kind is None:
                kind = found.get("spec", "type")
        if isinstance(kind, str) and kind.strip().lower() not in (*PROMQL_SOURCES, "any"):
            ctx.error(
                (*source_path, "type") if "type" in source else (*source_path, "metricSourceRef"),
                f"metric source type {kind!r} is not supported",
                "sloscope reads PromQL: use a Prometheus-compatible source "
                "(Prometheus, Thanos, Mimir, VictoriaMetrics)",
            )
            return None
        spec = source.get("spec")
        spec_path = (*source_path, "spec")
        if isinstance(spec, str):
            ctx.warn(spec_path, "metricSource.spec is the query itself; read as spec.query")
            return _Query(ctx, spec_path, spec)
        if isinstance(spec, Mapping):
            for key in ("query", "promql", "expr", "expression"):
                if isinstance(spec.get(key), str):
                    if key != "query":
                        ctx.warn(
                            (*spec_path, key),
                            f"query read from metricSource.spec.{key}",
                            "most OpenSLO tools read metricSource.spec.query",
                            at_key=True,
                        )
                    return _Query(ctx, (*spec_path, key), str(spec[key]))
        if isinstance(source.get("query"), str):
            ctx.warn(
                (*source_path, "query"),
                "query read from metricSource.query",
                "OpenSLO puts it in metricSource.spec.query",
                at_key=True,
            )
            return _Query(ctx, (*source_path, "query"), str(source["query"]))
        ctx.error(
            spec_path if "spec" in source else source_path,
            "no query in metricSource",
            "write metricSource.spec.query: <a PromQL selector or query>",
        )
        return None

    # --- building SLIs ----------------------------------------------------------------

    def convert(self, query: _Query) -> _Converted | None:
        """A query as a selector, or as PromQL counting events over {{window}}."""
        key = (id(query.ctx), query.path)
        if key in self.queries:
            return self.queries[key]
        result = self._convert(query)
        self.queries[key] = result
        return result

    def _convert(self, query: _Query) -> _Converted | None:
        ctx, text = query.ctx, query.text.strip()
        templated = fields.rate_to_increase(_WINDOW_TEMPLATE.sub("{{window}}", text))
        if "{{window}}" in templated:
            ctx.warn(
                query.path,
                "query is raw PromQL; imported as a PromQL SLI (only a Prometheus source "
                "can answer it)",
            )
            return None, templated
        try:
            return parse_selector(text), None
        except SelectorSyntaxError:
            pass
        rewritten, count = _RANGE_FN.subn(
            lambda m: f"increase({m.group(1).strip()}[{{{{window}}}}])", text
        )
        if count == 0:
            match = _SUM_OF_SELECTOR.match(text)
            if match:
                pre = match.group("pre") or ""
                post = match.group("post") or ""
                sel = match.group("sel").strip()
                rewritten = (
                    f"sum {pre}(increase({sel}[{{{{window}}}}])){' ' + post if post else ''}"
                )
                rewritten = rewritten.replace("sum (", "sum(")
                count = 1
        if count:
            ctx.warn(
                query.path,
                f"query imported as the PromQL SLI {rewritten!r} (only a Prometheus source "
                "can answer it)",
                "check that it counts events over the window; write {{window}} yourself to choose",
            )
            return None, rewritten
        ctx.error(
            query.path,
            f"cannot tell how to count events over a window from the query {text!r}",
            'write a plain selector such as http_requests_total{code!~"5.."}, or PromQL with '
            "{{window}} such as sum(increase(http_requests_total[{{window}}]))",
        )
        return None

    def as_promql(self, query: _Query) -> str | None:
        converted = self.convert(query)
        if converted is None:
            return None
        sel, promql = converted
        return promql if promql is not None else f"sum(increase({sel}[{{{{window}}}}]))"

    def build_sli(
        self,
        obj: _Object,
        path: YamlPath,
        data: Mapping[str, object],
        indicator: _Indicator,
        method: str,
    ) -> SLI | None:
        ctx = obj.ctx
        if indicator.kind == "threshold":
            base = self.threshold_sli(ctx, path, data, indicator.parts["threshold"])
        else:
            for key in ("op", "value"):
                if key in data:
                    ctx.warn(
                        (*path, key),
                        f"objective {key} is only used with thresholdMetric; ignored",
                        at_key=True,
                    )
            base = self.ratio_sli(indicator)
        if method == "Timeslices":
            settings = self.slice_settings(ctx, path, data)
            if base is None or settings is None:
                return None
            return TimeslicesSLI(indicator=base, slice_seconds=settings[0], target=settings[1])
        for key in ("timeSliceTarget", "timeSliceWindow"):
            if key in data:
                ctx.warn(
                    (*path, key),
                    f"{key} is only used with budgetingMethod Timeslices; ignored",
                    at_key=True,
                )
        return base

    def slice_settings(
        self, ctx: Context, path: YamlPath, data: Mapping[str, object]
    ) -> tuple[int, float] | None:
        before = ctx.error_count()
        window = data.get("timeSliceWindow")
        seconds = 0
        if window is None:
            ctx.error(path, "Timeslices needs timeSliceWindow (e.g. 1m)")
        elif isinstance(window, int | float) and not isinstance(window, bool):
            seconds = int(float(window) * 60)  # OpenSLO: a bare number is minutes
            if seconds <= 0:
                ctx.error((*path, "timeSliceWindow"), "timeSliceWindow must be positive")
        else:
            try:
                seconds = parse_duration(str(window))
            except ValueError as exc:
                ctx.error((*path, "timeSliceWindow"), f"timeSliceWindow: {exc}")
        target = data.get("timeSliceTarget")
        fraction = 0.0
        if target is None:
            ctx.error(
                path,
                "Timeslices needs timeSliceTarget: the good ratio (0-1] that makes a slice good",
            )
        elif isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
            ctx.error(
                (*path, "timeSliceTarget"),
                f"timeSliceTarget must be a number in (0, 1], got {target!r}",
            )
        else:
            fraction = round(float(target), 12)
        if ctx.error_count() > before:
            return None
        return seconds, fraction

    def ratio_sli(self, indicator: _Indicator) -> SliceIndicator | None:
        if indicator.kind == "raw":
            query = indicator.parts["raw"]
            converted = self.convert(query)
            if converted is None:
                return None
            sel, promql = converted
            if promql is not None and "{{window}}" in query.text.replace(
                "{{.window}}", "{{window}}"
            ):
                ratio = promql
            elif sel is not None:
                ratio = f"avg_over_time({sel}[{{{{window}}}}])"
            else:
                ratio = f"avg_over_time(({query.text.strip()})[{{{{window}}}}:])"
            if indicator.raw_type == "success":
                ratio = f"1 - ({ratio})"
            query.ctx.warn(
                query.path,
                f"raw ratio imported as the PromQL error ratio {ratio!r} (only a Prometheus "
                "source can answer it)",
            )
            return PromQLSLI(error_ratio=ratio)
        parts = {k: self.convert(q) for k, q in indicator.parts.items()}
        if any(c is None for c in parts.values()):
            return None
        selectors = {k: c[0] for k, c in parts.items() if c is not None and c[0] is not None}
        if len(selectors) == len(parts):
            return RatioSLI(
                total=selectors["total"], good=selectors.get("good"), bad=selectors.get("bad")
            )
        exprs = {k: self.as_promql(q) for k, q in indicator.parts.items()}
        if any(e is None for e in exprs.values()):
            return None
        return PromQLSLI(good=exprs.get("good"), bad=exprs.get("bad"), total=exprs.get("total"))

    def threshold_sli(
        self, ctx: Context, path: YamlPath, data: Mapping[str, object], query: _Query
    ) -> SliceIndicator | None:
        op, value = data.get("op"), data.get("value")
        if op not in ("lte", "lt", "gte", "gt"):
            ctx.error(
                (*path, "op") if "op" in data else path,
                f"a thresholdMetric objective needs op: lte, lt, gte or gt (got {op!r})",
            )
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            ctx.error(
                (*path, "value") if "value" in data else path,
                "a thresholdMetric objective needs a numeric value",
            )
            return None
        text = _WINDOW_TEMPLATE.sub("{{window}}", query.text.strip())
        try:
            sel = parse_selector(text)
        except SelectorSyntaxError:
            sel = None
        if sel is not None and sel.metric.endswith("_bucket") and op in ("lte", "lt"):
            les = [m for m in sel.matchers if m.label == "le"]
            if les and (les[0].op != "=" or _float(les[0].value) != float(value)):
                ctx.error(
                    query.path,
                    f"the le matcher of {text!r} disagrees with the objective value {value}",
                    "drop the le matcher; the objective's value is the latency threshold",
                )
                return None
            metric = Selector(
                sel.metric.removesuffix("_bucket"),
                tuple(m for m in sel.matchers if m.label != "le"),
            )
            ctx.warn(
                query.path,
                f"histogram threshold imported as a latency SLI: requests of {metric.metric} "
                f"within {value}",
            )
            return LatencySLI(metric=metric, threshold=float(value))
        breach = {"lte": ">", "lt": ">=", "gte": "<", "gt": "<="}[str(op)]
        ratio = f"avg_over_time((({text}) {breach} bool {value})[{{{{window}}}}:])"
        ctx.warn(
            query.path,
            f"threshold metric imported as the PromQL error ratio {ratio!r}: the share of time "
            "the threshold is breached (only a Prometheus source can answer it)",
        )
        return PromQLSLI(error_ratio=ratio)


# --- small helpers ----------------------------------------------------------------------


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _suffix(data: Mapping[str, object], objective: float) -> str:
    display = data.get("displayName")
    if isinstance(display, str) and display.strip():
        slug = re.sub(r"[^a-z0-9]+", "-", display.lower()).strip("-")
        if slug:
            return slug
    return f"{objective * 100:.10g}".replace(".", "-")


def _links(annotations: dict[str, str]) -> tuple[str | None, str | None]:
    """Runbook and dashboard URLs from annotations (``runbook``, ``x.io/runbook_url``)."""
    runbook = dashboard = None
    for key in list(annotations):
        last = key.rsplit("/", 1)[-1].lower().replace("-", "_")
        if last in ("runbook", "runbook_url") and runbook is None:
            runbook = annotations.pop(key)
        elif last in ("dashboard", "dashboard_url") and dashboard is None:
            dashboard = annotations.pop(key)
    return runbook, dashboard


def _aligned(start: object, unit: str) -> bool:
    """Whether an OpenSLO calendar startTime falls on a week/month/quarter boundary."""
    if isinstance(start, datetime):
        moment = start
    else:
        try:
            moment = datetime.fromisoformat(str(start).strip())
        except ValueError:
            return False
    if (moment.hour, moment.minute, moment.second) != (0, 0, 0):
        return False
    if unit == "week":
        return moment.weekday() == 0
    if unit == "month":
        return moment.day == 1
    return moment.day == 1 and moment.month in (1, 4, 7, 10)
