"""OpenSLO SLO objects → sloscope SLOs, one per objective.

An SLO with one objective keeps its name. With several, each objective becomes its own
SLO named ``<slo>-<objective displayName or target>`` (with a warning listing them), since
a sloscope SLO has exactly one objective. The indicator, window, budgeting method and
alerting are read once per OpenSLO SLO and shared by its objectives; every objective is
checked even when the indicator failed, so one run reports every problem.

The SLO's ``sloscope.dev/`` annotations give what OpenSLO has no field for: the name in
sloscope (when the export had to make it unique), the journey, the budget policy and a
latency SLI's histogram buckets (the objective's threshold must be one of them).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sloscope.spec import fields
from sloscope.spec.fields import describe
from sloscope.spec.model import (
    SLI,
    SLO,
    Alerting,
    LatencySLI,
    Origin,
    PromQLSLI,
    RatioSLI,
    SliceIndicator,
    TimeslicesSLI,
    Window,
)
from sloscope.spec.openslo.alerts import AlertReader
from sloscope.spec.openslo.annotations import (
    BUCKETS,
    BUDGET_POLICY,
    JOURNEY,
    LATENCY_THRESHOLD,
    NAME,
    PROMQL,
    Annotations,
    read_annotations,
)
from sloscope.spec.openslo.indicators import Indicator, IndicatorReader
from sloscope.spec.openslo.objects import ObjectKey, OpenSLOObject, Registry
from sloscope.spec.openslo.queries import QueryConverter, threshold_sli
from sloscope.spec.openslo.windows import budgeting_method, slice_settings, time_window
from sloscope.spec.selectors import Selector
from sloscope.spec.yamlpos import YamlPath

#: The budget policy of an SLO that names none (the model's default).
_DEFAULT_BUDGET_POLICY = str(
    next(f.default for f in dataclasses.fields(SLO) if f.name == "budget_policy")
)


@dataclass(frozen=True)
class _SLOParts:
    """What every objective of one OpenSLO SLO shares."""

    indicator: Indicator | None
    method: str
    window: Window | None
    alerting: Alerting
    count: int


class SLOBuilder:
    """Converts OpenSLO SLO objects; SLIs, queries and alert policies are read once each."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.indicators = IndicatorReader(registry)
        self.queries = QueryConverter()
        self.alerts = AlertReader(registry)
        self._annotations: dict[ObjectKey, Annotations] = {}
        self._warned_buckets: set[ObjectKey] = set()

    def annotations(self, obj: OpenSLOObject) -> Annotations:
        """The ``sloscope.dev/`` annotations of an SLO object, read on first use."""
        if obj.key not in self._annotations:
            self._annotations[obj.key] = read_annotations(
                obj.ctx,
                obj.at("metadata", "annotations"),
                obj.get("metadata", "annotations"),
                "SLO",
            )
        return self._annotations[obj.key]

    def check_shared(self, obj: OpenSLOObject) -> None:
        """Check an SLI or AlertPolicy document even when no SLO uses it."""
        if obj.kind == "SLI":
            self.indicators.indicator(obj)
        elif obj.kind == "AlertPolicy":
            self.alerts.alert_policy(obj)

    def slos(self, obj: OpenSLOObject) -> Iterator[SLO]:
        """The SLOs of one OpenSLO SLO object (none after an error in it)."""
        ctx = obj.ctx
        before = ctx.error_count()
        spec = obj.get("spec")
        if not isinstance(spec, Mapping):
            ctx.error(
                obj.at("spec") if "spec" in obj.data else obj.path,
                "an OpenSLO SLO needs a spec mapping",
            )
            return
        parts = self.shared_parts(obj, spec, before)
        if parts is None:
            return
        if parts.indicator is None or parts.window is None:
            # Still check the objectives, so one run reports every problem.
            for index in range(parts.count):
                self.objective(obj, index, parts)
            return
        yield from self.objectives(obj, parts)

    def shared_parts(
        self, obj: OpenSLOObject, spec: Mapping[str, object], before: int
    ) -> _SLOParts | None:
        """What the SLO's objectives share; None when it has no objectives to build.

        ``before`` is the error count before the SLO was read: after an error in it, the
        indicator is dropped (the objectives are still checked).
        """
        ctx = obj.ctx
        indicator = self.indicators.of_slo(obj)
        window = time_window(obj)
        method = budgeting_method(obj)
        alerting = self.alerts.alerting(obj, self.annotations(obj))
        objectives = spec.get("objectives")
        if not isinstance(objectives, list) or not objectives:
            ctx.error(
                obj.at("spec", "objectives") if "objectives" in spec else obj.at("spec"),
                f"SLO {obj.name!r} needs a list of objectives",
                "objectives: [{target: 0.999}] or [{targetPercent: 99.9}]",
            )
            return None
        failed = ctx.error_count() > before or method is None
        return _SLOParts(
            None if failed else indicator,
            method or "Occurrences",
            window,
            alerting,
            len(objectives),
        )

    def objectives(self, obj: OpenSLOObject, parts: _SLOParts) -> list[SLO]:
        """One SLO per objective, names made unique; a warning when there are several."""
        names: set[str] = set()
        built: list[SLO] = []
        for index in range(parts.count):
            slo = self.objective(obj, index, parts)
            if slo is None:
                continue
            if slo.name in names:
                slo = dataclasses.replace(slo, name=f"{slo.name}-{index + 1}")
            names.add(slo.name)
            built.append(slo)
        if parts.count > 1 and built:
            obj.ctx.warn(
                obj.at("spec", "objectives"),
                f"SLO {obj.name!r} has {parts.count} objectives; imported as "
                f"{len(built)} SLOs: {', '.join(s.name for s in built)}",
            )
        return built

    def objective(self, obj: OpenSLOObject, index: int, parts: _SLOParts) -> SLO | None:
        """The SLO of objective ``index``; None after an error (which it records)."""
        ctx = obj.ctx
        path = obj.at("spec", "objectives", index)
        data = ctx.doc.get(path)
        if not isinstance(data, Mapping):
            ctx.error(path, "an objective must be a mapping with target or targetPercent")
            return None
        before = ctx.error_count()
        objective = _target(obj, path, data)
        sli = self.objective_sli(obj, path, data, parts)
        if ctx.error_count() > before or sli is None or objective is None or parts.window is None:
            return None
        notes = self.annotations(obj)
        description = obj.get("spec", "description") or obj.get("metadata", "displayName") or ""
        labels = fields.string_map(
            ctx, obj.at("metadata", "labels"), obj.get("metadata", "labels"), "label"
        )
        return SLO(
            name=_name(obj, notes, data, objective, parts.count),
            objective=objective,
            window=parts.window,
            sli=sli,
            journey=notes.text(JOURNEY),
            description=str(description),
            alerting=parts.alerting,
            budget_policy=notes.text(BUDGET_POLICY) or _DEFAULT_BUDGET_POLICY,
            labels=labels,
            origin=Origin(ctx.doc.file, ctx.doc.start.line),
            group_by=notes.group_by,
        )

    def objective_sli(
        self, obj: OpenSLOObject, path: YamlPath, data: Mapping[str, object], parts: _SLOParts
    ) -> SLI | None:
        """The SLI of the objective at ``path``, with the SLO's buckets; None after an error.

        Without an indicator, time-slice settings are still checked.
        """
        notes = self.annotations(obj)
        promql = notes.string_map(PROMQL)
        template = None if promql is None else promql_template(obj, promql)
        sli: SLI | None = None
        if parts.indicator is not None and template is not None:
            sli = self.with_slices(obj, path, data, template, parts.method)
        elif parts.indicator is not None:
            sli = self.build_sli(obj, path, data, parts.indicator, parts.method)
        elif parts.method == "Timeslices":
            slice_settings(obj.ctx, path, data)
        if sli is not None and notes.latency_threshold is not None:
            sli = as_latency(obj, sli, notes)
        if sli is not None and notes.buckets is not None:
            sli = self.with_buckets(obj, path, sli, notes)
        return sli

    def with_slices(
        self,
        obj: OpenSLOObject,
        path: YamlPath,
        data: Mapping[str, object],
        base: SliceIndicator,
        method: str,
    ) -> SLI | None:
        """``base``, judged per time slice when the method is Timeslices."""
        if method != "Timeslices":
            return base
        settings = slice_settings(obj.ctx, path, data)
        if settings is None:
            return None
        return TimeslicesSLI(indicator=base, slice_seconds=settings[0], target=settings[1])

    def with_buckets(
        self, obj: OpenSLOObject, path: YamlPath, sli: SLI, notes: Annotations
    ) -> SLI | None:
        """A latency SLI with the histogram buckets of ``sloscope.dev/buckets``.

        The objective's value (the threshold) must be one of them; on an SLI that is no
        latency SLI the buckets mean nothing and are ignored, with a warning.
        """
        buckets = notes.buckets
        assert buckets is not None
        where = notes.paths[BUCKETS]
        inner = sli.indicator if isinstance(sli, TimeslicesSLI) else sli
        if not isinstance(inner, LatencySLI):
            if obj.key not in self._warned_buckets:  # once, whatever the objectives
                self._warned_buckets.add(obj.key)
                obj.ctx.warn(
                    where,
                    f"{BUCKETS} is only used with a latency SLI (a thresholdMetric on a "
                    "histogram's _bucket series with op lte or lt); ignored",
                )
            return sli
        if inner.threshold not in buckets:
            obj.ctx.error(
                where,
                f"the objective value {inner.threshold:g} (seconds) of "
                f"{describe(path)} is not one of the buckets in {BUCKETS} "
                f"({', '.join(f'{b:g}' for b in buckets)})",
                "a latency SLI counts the le=threshold bucket; pick a bucket boundary or "
                "add it to the histogram",
            )
            return None
        latency = inner._replace(buckets=buckets)
        if isinstance(sli, TimeslicesSLI):
            return sli._replace(indicator=latency)
        return latency

    def build_sli(
        self,
        obj: OpenSLOObject,
        path: YamlPath,
        data: Mapping[str, object],
        indicator: Indicator,
        method: str,
    ) -> SLI | None:
        """The SLI of the objective at ``path`` (its op/value and time-slice settings)."""
        ctx = obj.ctx
        if indicator.kind == "threshold":
            base = threshold_sli(ctx, path, data, indicator.parts["threshold"])
        else:
            keys = ("op", "value")
            _ignored(obj, path, data, keys, what="objective {key}", used_with="thresholdMetric")
            if indicator.kind == "raw":
                base = self.queries.raw_ratio(indicator.parts["raw"], indicator.raw_type)
            else:
                base = self.queries.ratio(indicator.parts)
        if method == "Timeslices":
            settings = slice_settings(ctx, path, data)
            if base is None or settings is None:
                return None
            return TimeslicesSLI(indicator=base, slice_seconds=settings[0], target=settings[1])
        unused = ("timeSliceTarget", "timeSliceWindow")
        _ignored(obj, path, data, unused, what="{key}", used_with="budgetingMethod Timeslices")
        return base


def _ignored(
    obj: OpenSLOObject,
    path: YamlPath,
    data: Mapping[str, object],
    keys: tuple[str, ...],
    *,
    what: str,
    used_with: str,
) -> None:
    """Warn at each of ``keys`` given in the objective, which only ``used_with`` uses.

    ``what`` names a key in the warning (``{key}`` is replaced by the key).
    """
    for key in keys:
        if key in data:
            obj.ctx.warn(
                (*path, key),
                f"{what.format(key=key)} is only used with {used_with}; ignored",
                at_key=True,
            )


def _target(obj: OpenSLOObject, path: YamlPath, data: Mapping[str, object]) -> float | None:
    """The objective's ``target`` (a fraction) or ``targetPercent``; None after an error."""
    ctx = obj.ctx
    if "target" in data and "targetPercent" in data:
        ctx.error(path, "give target or targetPercent, not both")
        return None
    if "target" in data:
        return fields.objective_from_fraction(ctx, (*path, "target"), data["target"])
    if "targetPercent" in data:
        return fields.objective_from_percent(
            ctx, (*path, "targetPercent"), data["targetPercent"], "targetPercent"
        )
    ctx.error(path, "an objective needs target (0-1) or targetPercent (0-100)")
    return None


def _name(
    obj: OpenSLOObject,
    notes: Annotations,
    data: Mapping[str, object],
    objective: float,
    count: int,
) -> str:
    """The SLO's name in sloscope: ``sloscope.dev/name`` or the OpenSLO name, with the
    objective's suffix when the SLO has several."""
    name = notes.text(NAME) or str(obj.name)
    return f"{name}-{_suffix(data, objective)}" if count > 1 else name


def _suffix(data: Mapping[str, object], objective: float) -> str:
    """How an objective is told apart in its SLO's name: its displayName, or its target."""
    display = data.get("displayName")
    if isinstance(display, str) and display.strip():
        slug = re.sub(r"[^a-z0-9]+", "-", display.lower()).strip("-")
        if slug:
            return slug
    return f"{objective * 100:.10g}".replace(".", "-")


def as_latency(obj: OpenSLOObject, sli: SLI, notes: Annotations) -> SLI:
    """A latency SLI exported as a ``ratioMetric`` (``sloscope.dev/latency-threshold``),
    read back as the latency SLI it was.

    The ratio must be the histogram's ``_bucket`` at ``le`` (good) over its ``_count``
    (total), with the same other matchers; otherwise the annotation is ignored, with a
    warning, and the ratio stays.
    """
    threshold = notes.latency_threshold
    assert threshold is not None
    inner = sli.indicator if isinstance(sli, TimeslicesSLI) else sli
    base = _histogram_of(inner)
    if base is None:
        obj.ctx.warn(
            notes.paths[LATENCY_THRESHOLD],
            f"{LATENCY_THRESHOLD} is only read on a ratioMetric whose good is a histogram's "
            "_bucket{le=...} and total its _count; ignored",
        )
        return sli
    latency = LatencySLI(metric=base, threshold=threshold)
    if isinstance(sli, TimeslicesSLI):
        return sli._replace(indicator=latency)
    return latency


def _histogram_of(sli: SliceIndicator) -> Selector | None:
    """The histogram a ratio of ``m_bucket{le=..}`` over ``m_count`` counts, or None."""
    if not isinstance(sli, RatioSLI) or sli.good is None:
        return None
    good, total = sli.good, sli.total
    if not (good.metric.endswith("_bucket") and total.metric.endswith("_count")):
        return None
    base = good.metric.removesuffix("_bucket")
    rest = tuple(m for m in good.matchers if m.label != "le")
    if base != total.metric.removesuffix("_count") or set(rest) != set(total.matchers):
        return None
    if len(rest) == len(good.matchers):
        return None
    return Selector(base, total.matchers)


def promql_template(obj: OpenSLOObject, template: Mapping[str, str]) -> PromQLSLI | None:
    """The PromQL SLI an export ran over its window, from its ``{{window}}`` template
    (``sloscope.dev/promql``); None, with a warning, when the annotation is not one."""
    keys = {"good", "bad", "total", "error_ratio"}
    if not template or not set(template) <= keys:
        obj.ctx.warn(
            obj.at("metadata", "annotations", PROMQL),
            f"{PROMQL} holds good, bad, total or error_ratio queries; ignored",
        )
        return None
    return PromQLSLI(
        good=template.get("good"),
        bad=template.get("bad"),
        total=template.get("total"),
        error_ratio=template.get("error_ratio"),
    )
