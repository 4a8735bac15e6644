"""Native documents into the plain model, checking what their shape cannot say.

:class:`NativeConverter` takes a ``ServiceDoc`` that pydantic accepted and checks names,
objective ranges, windows, selectors, journeys and duplicate SLO names, each problem at
its YAML line; what passes becomes :mod:`sloscope.spec.model` objects.
"""

from __future__ import annotations

import re

from sloscope.spec import fields
from sloscope.spec.buckets import declared_buckets
from sloscope.spec.durations import parse_duration, parse_threshold_seconds
from sloscope.spec.fields import Context
from sloscope.spec.formats import LoadedService
from sloscope.spec.model import (
    SLI,
    SLO,
    Alerting,
    Journey,
    LatencySLI,
    Origin,
    PromQLSLI,
    RatioSLI,
    Service,
    SliceIndicator,
    TierAlert,
    TimeslicesSLI,
    Window,
)
from sloscope.spec.native.documents import (
    CalendarDoc,
    LatencyDoc,
    PromQLDoc,
    RatioDoc,
    ServiceDoc,
    SLIDoc,
    SLODoc,
    TierAlertDoc,
    TimeslicesDoc,
)
from sloscope.spec.selectors import Selector
from sloscope.spec.yamlpos import YamlPath

_OLD_WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")


class NativeConverter:
    """Checks one parsed Service document and builds the plain model."""

    def __init__(self, ctx: Context, parsed: ServiceDoc) -> None:
        self.ctx = ctx
        self.doc = parsed

    def service(self) -> LoadedService | None:
        """The whole service, or None when its name is invalid (SLO errors are reported)."""
        ctx, meta, spec = self.ctx, self.doc.metadata, self.doc.spec
        name_ok = fields.check_name(ctx, ("metadata", "name"), meta.name, "service")
        journeys = self.journeys()
        slos: list[SLO] = []
        seen: dict[str, int] = {}
        for index, slo_doc in enumerate(spec.slos):
            path: YamlPath = ("spec", "slos", index)
            if slo_doc.name in seen:
                first = ctx.doc.pos(("spec", "slos", seen[slo_doc.name], "name"))
                ctx.error(
                    (*path, "name"),
                    f"duplicate SLO name {slo_doc.name!r} in service {meta.name!r} "
                    f"(first at line {first.line})",
                    "SLO names are unique within a service; rename one",
                )
                continue
            seen[slo_doc.name] = index
            slo = self.slo(path, slo_doc, journeys)
            if slo is not None:
                slos.append(slo)
        if not spec.slos:
            ctx.warn(("spec", "slos"), f"service {meta.name!r} declares no SLOs")
        if not name_ok:
            return None
        service = Service(
            name=meta.name,
            slos=tuple(slos),
            owner=meta.owner,
            description=meta.description,
            journeys=journeys,
            labels=dict(meta.labels),
            origin=Origin(ctx.doc.file, ctx.doc.start.line),
        )
        return LoadedService(service, ctx.doc.file, ctx.doc.pos(("metadata", "name")))

    def journeys(self) -> tuple[Journey, ...]:
        """The declared journeys with valid, unique names."""
        out: list[Journey] = []
        seen: set[str] = set()
        for index, doc in enumerate(self.doc.spec.journeys):
            path: YamlPath = ("spec", "journeys", index, "name")
            if doc.name in seen:
                self.ctx.error(path, f"duplicate journey name {doc.name!r}", "rename one")
                continue
            seen.add(doc.name)
            if fields.check_name(self.ctx, path, doc.name, "journey"):
                out.append(Journey(name=doc.name, description=doc.description))
        return tuple(out)

    def slo(self, path: YamlPath, doc: SLODoc, journeys: tuple[Journey, ...] | None) -> SLO | None:
        """Convert one SLO; ``journeys`` None skips the journey check (journeys invalid)."""
        ctx = self.ctx
        before = ctx.error_count()
        fields.check_name(ctx, (*path, "name"), doc.name, "SLO")
        if journeys is not None and doc.journey is not None:
            self.check_journey(path, doc.journey, journeys)
        # The value as written (100, not pydantic's 100.0), so messages quote the author.
        written = ctx.doc.get((*path, "objective"))
        objective = fields.objective_from_percent(
            ctx,
            (*path, "objective"),
            written if isinstance(written, int | float) else doc.objective,
        )
        window = self.window((*path, "window"), doc.window)
        sli = self.sli((*path, "sli"), doc.sli)
        group_by = fields.group_by(ctx, (*path, "group_by"), doc.group_by)
        if ctx.error_count() > before or objective is None or window is None or sli is None:
            return None
        alerting = Alerting(
            runbook=doc.alerting.runbook,
            dashboard=doc.alerting.dashboard,
            policy=doc.alerting.policy,
            enabled=doc.alerting.enabled,
            labels=dict(doc.alerting.labels),
            annotations=dict(doc.alerting.annotations),
            name=doc.alerting.name,
            page=_tier(doc.alerting.page),
            ticket=_tier(doc.alerting.ticket),
        )
        return SLO(
            name=doc.name,
            objective=objective,
            window=window,
            sli=sli,
            journey=doc.journey,
            description=doc.description,
            alerting=alerting,
            budget_policy=doc.budget_policy,
            labels=dict(doc.labels),
            origin=Origin(ctx.doc.file, ctx.doc.pos(path).line),
            group_by=group_by or (),
        )

    def check_journey(self, path: YamlPath, journey: str, journeys: tuple[Journey, ...]) -> None:
        """An SLO's journey must be one the service declares: an error at it if not."""
        if journey in {j.name for j in journeys}:
            return
        known = ", ".join(j.name for j in journeys)
        self.ctx.error(
            (*path, "journey"),
            f"journey {journey!r} is not declared in service {self.doc.metadata.name!r}",
            f"declared journeys: {known}"
            if known
            else "declare it under spec.journeys: [{name: " + journey + "}]",
        )

    def window(self, path: YamlPath, doc: str | CalendarDoc) -> Window | None:
        """A rolling window from a duration, or a calendar window from a mapping."""
        if isinstance(doc, str):
            if doc.strip() in fields.CALENDAR_UNITS:
                self.ctx.error(
                    path,
                    f"window {doc!r} is a calendar unit",
                    f"write window: {{calendar: {doc.strip()}}} for a calendar {doc.strip()}",
                )
                return None
            return fields.rolling_window(self.ctx, path, doc)
        return fields.calendar_window(
            self.ctx,
            (*path, "calendar"),
            doc.calendar,
            (*path, "timezone"),
            doc.timezone,
            start=doc.start,
        )

    def sli(self, path: YamlPath, doc: SLIDoc) -> SLI | None:
        """The one SLI of an SLO: ratio, latency, timeslices or promql."""
        given = [k for k in ("ratio", "latency", "timeslices", "promql") if getattr(doc, k)]
        if len(given) != 1:
            self._one_of(path, given, ("ratio", "latency", "timeslices", "promql"), "an sli")
            return None
        kind = given[0]
        if kind == "timeslices":
            assert doc.timeslices is not None
            return self.timeslices((*path, "timeslices"), doc.timeslices)
        return self.indicator((*path, kind), doc)

    def indicator(self, path: YamlPath, doc: SLIDoc | TimeslicesDoc) -> SliceIndicator | None:
        """The event-counting indicator given (ratio, latency or promql)."""
        if doc.ratio is not None:
            return self.ratio(path, doc.ratio)
        if doc.latency is not None:
            return self.latency(path, doc.latency)
        assert doc.promql is not None
        return self.promql(path, doc.promql)

    def _one_of(
        self, path: YamlPath, given: list[str], allowed: tuple[str, ...], what: str
    ) -> None:
        if not given:
            self.ctx.error(
                path,
                f"{what} needs one of {', '.join(allowed)}",
                "see the spec section of the docs",
            )
        else:
            self.ctx.error(
                path,
                f"{what} takes exactly one of {', '.join(allowed)}, found {', '.join(given)}",
                "split it into several SLOs",
            )

    def ratio(self, path: YamlPath, doc: RatioDoc) -> RatioSLI | None:
        """A ratio SLI: good or bad, and total, as selectors."""
        if (doc.good is None) == (doc.bad is None):
            self.ctx.error(
                path,
                "a ratio SLI needs exactly one of good and bad"
                + (", found both" if doc.good is not None else ""),
                "give good (or bad) and total selectors",
            )
            return None
        total = fields.selector(self.ctx, (*path, "total"), doc.total, "total selector")
        key = "good" if doc.good is not None else "bad"
        part = fields.selector(self.ctx, (*path, key), getattr(doc, key), f"{key} selector")
        if total is None or part is None:
            return None
        if key == "good":
            return RatioSLI(total=total, good=part)
        return RatioSLI(total=total, bad=part)

    def latency(self, path: YamlPath, doc: LatencyDoc) -> LatencySLI | None:
        """A latency SLI: a histogram's base name, a threshold among its buckets."""
        ctx = self.ctx
        metric = self.histogram(path, doc)
        try:
            threshold: float | None = parse_threshold_seconds(doc.threshold)
        except ValueError as exc:
            ctx.error((*path, "threshold"), str(exc))
            threshold = None
        buckets = None
        if doc.buckets is not None:
            buckets = self.buckets(path, doc, doc.buckets, threshold)
            if buckets is None:
                return None
        if metric is None or threshold is None:
            return None
        return LatencySLI(metric=metric, threshold=threshold, buckets=buckets)

    def histogram(self, path: YamlPath, doc: LatencyDoc) -> Selector | None:
        """The histogram's selector, which names its base name (no _bucket, _count, _sum)."""
        ctx = self.ctx
        metric = fields.selector(ctx, (*path, "metric"), doc.metric, "histogram selector")
        if metric is None:
            return None
        for suffix in ("_bucket", "_count", "_sum"):
            if metric.metric.endswith(suffix):
                ctx.error(
                    (*path, "metric"),
                    f"latency metric {metric.metric!r} ends in {suffix}; give the "
                    "histogram's base name",
                    f"write {metric.metric.removesuffix(suffix)}: sloscope adds _bucket "
                    "and _count itself",
                )
                return None
        return metric

    def buckets(
        self, path: YamlPath, doc: LatencyDoc, given: list[float], threshold: float | None
    ) -> tuple[float, ...] | None:
        """The declared buckets, the threshold among them; None after an error."""
        buckets = declared_buckets(given)
        if buckets is None:
            self.ctx.error(
                (*path, "buckets"),
                "buckets must be positive and increasing, each once",
                "list the histogram's le boundaries in seconds, e.g. [0.1, 0.3, 1]",
            )
            return None
        if threshold is not None and threshold not in buckets:
            self.ctx.error(
                (*path, "threshold"),
                f"threshold {doc.threshold} ({threshold:g}s) is not one of the declared "
                f"buckets ({', '.join(f'{b:g}' for b in buckets)})",
                "a latency SLI counts the le=threshold bucket; pick a bucket boundary or "
                "add it to the histogram",
            )
            return None
        return buckets

    def promql(self, path: YamlPath, doc: PromQLDoc) -> PromQLSLI | None:
        """A raw PromQL SLI; warns when an expression does not use ``{{window}}``."""
        ctx = self.ctx
        given = {k: v for k, v in doc.model_dump().items() if v is not None}
        shapes = ({"good", "total"}, {"bad", "total"}, {"error_ratio"})
        if set(given) not in shapes:
            ctx.error(
                path,
                f"a promql SLI takes good and total, bad and total, or error_ratio; found "
                f"{', '.join(sorted(given)) or 'nothing'}",
                "each expression counts events over {{window}}, e.g. "
                "sum(increase(http_requests_total[{{window}}]))",
            )
            return None
        for key, expr in given.items():
            if not expr.strip():
                ctx.error((*path, key), f"promql {key} is empty")
                return None
            if _OLD_WINDOW_TEMPLATE.search(expr):
                ctx.error(
                    (*path, key),
                    "promql uses Sloth's {{.window}}; sloscope writes {{window}}",
                    "replace {{.window}} with {{window}}",
                )
                return None
            if "{{window}}" not in expr:
                ctx.warn(
                    (*path, key),
                    f"promql {key} has no {{{{window}}}}; it gives the same value for every window",
                    "count events over the window, e.g. sum(increase(x_total[{{window}}]))",
                )
        return PromQLSLI(**given)

    def timeslices(self, path: YamlPath, doc: TimeslicesDoc) -> TimeslicesSLI | None:
        """A timeslices SLI: slice length, slice target and one indicator."""
        ctx = self.ctx
        try:
            slice_seconds: int | None = parse_duration(doc.slice)
        except ValueError as exc:
            ctx.error((*path, "slice"), f"slice: {exc}")
            slice_seconds = None
        # 100 is a meaningful (strict) slice target: a slice is good when every event is.
        target = (
            1.0
            if doc.target == 100
            else fields.objective_from_percent(ctx, (*path, "target"), doc.target, "target")
        )
        given = [k for k in ("ratio", "latency", "promql") if getattr(doc, k)]
        if len(given) != 1:
            self._one_of(path, given, ("ratio", "latency", "promql"), "a timeslices SLI")
            return None
        indicator = self.indicator((*path, given[0]), doc)
        if indicator is None or slice_seconds is None or target is None:
            return None
        return TimeslicesSLI(indicator=indicator, slice_seconds=slice_seconds, target=target)


def _tier(doc: TierAlertDoc) -> TierAlert:
    return TierAlert(
        enabled=doc.enabled, labels=dict(doc.labels), annotations=dict(doc.annotations)
    )
