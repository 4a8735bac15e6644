"""The native spec format: ``apiVersion: sloscope/v1``, ``kind: Service``.

Parsing is two steps. pydantic "document" models check the shape (types, required keys,
and no unknown keys: ``extra="forbid"``) and give editors a JSON Schema
(:func:`native_json_schema`). The converter then checks what the shape cannot say
(objective ranges, durations, selectors, journeys, duplicates) and builds the plain model
of :mod:`sloscope.spec.model`. Both steps report problems at the YAML line and column.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
)

from sloscope.spec import fields
from sloscope.spec.durations import parse_duration, parse_threshold_seconds
from sloscope.spec.fields import Context, FormatResult, LoadedService
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
    TimeslicesSLI,
    Window,
)
from sloscope.spec.yamlpos import Document, YamlPath, _has, format_path

API_VERSION: Final = "sloscope/v1"
#: apiVersion → the kinds this module loads.
API_KINDS: Mapping[str, tuple[str, ...]] = {API_VERSION: ("Service",)}

_OLD_WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")


# --- document models (the shape of the YAML) -------------------------------------------


def _scalar_to_str(value: object) -> object:
    """Thresholds may be written as a number (seconds) or a string (300ms)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return value


_Threshold = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}],
            "description": "Latency threshold: 300ms, 0.3s or seconds as a number.",
        }
    ),
]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetadataDoc(_Doc):
    """``metadata`` of a native Service."""

    name: str = Field(description="Service name, unique across all specs.")
    owner: str = Field("", description="Owning team.")
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)


class JourneyDoc(_Doc):
    """A critical user journey."""

    name: str
    description: str = ""


class RatioDoc(_Doc):
    """Good (or bad) events over total events, as PromQL series selectors."""

    good: str | None = Field(None, description="Selector of good events (or give bad).")
    bad: str | None = Field(None, description="Selector of bad events (or give good).")
    total: str = Field(description="Selector of all events.")


class LatencyDoc(_Doc):
    """Requests faster than a threshold, from a Prometheus histogram."""

    metric: str = Field(description="Selector of the histogram's base name (no _bucket).")
    threshold: _Threshold
    buckets: list[float] | None = Field(
        None, description="The histogram's bucket boundaries in seconds (optional)."
    )


class PromQLDoc(_Doc):
    """Raw PromQL with ``{{window}}``: only a Prometheus source can answer it."""

    good: str | None = None
    bad: str | None = None
    total: str | None = None
    error_ratio: str | None = None


class TimeslicesDoc(_Doc):
    """Good time slices over slices with events."""

    slice: str = Field(description="Slice length, e.g. 1m.")
    target: float = Field(description="Percent of good events that makes a slice good.")
    ratio: RatioDoc | None = None
    latency: LatencyDoc | None = None
    promql: PromQLDoc | None = None


class SLIDoc(_Doc):
    """Exactly one of ratio, latency, timeslices or promql."""

    ratio: RatioDoc | None = None
    latency: LatencyDoc | None = None
    timeslices: TimeslicesDoc | None = None
    promql: PromQLDoc | None = None


class CalendarDoc(_Doc):
    """A calendar window: ``{calendar: month, timezone: Europe/Berlin}``."""

    calendar: str = Field(description="week, month or quarter.")
    timezone: str = Field("UTC", description="IANA time zone.")


def _window_tag(value: object) -> str | None:
    if isinstance(value, str):
        return "rolling window"
    if isinstance(value, dict):
        return "calendar window"
    return None


_WindowField = Annotated[
    Annotated[str, Tag("rolling window")] | Annotated[CalendarDoc, Tag("calendar window")],
    Discriminator(_window_tag),
]


class AlertingDoc(_Doc):
    """How an SLO alerts."""

    runbook: str | None = None
    dashboard: str | None = None
    policy: str = Field("google", description="Alert policy name.")
    enabled: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class SLODoc(_Doc):
    """One SLO of a native Service."""

    name: str
    journey: str | None = None
    description: str = ""
    objective: float = Field(description="Percent, e.g. 99.9.")
    window: _WindowField
    sli: SLIDoc
    alerting: AlertingDoc = Field(default_factory=AlertingDoc)
    budget_policy: str = "default"
    labels: dict[str, str] = Field(default_factory=dict)


class ServiceSpecDoc(_Doc):
    """``spec`` of a native Service."""

    journeys: list[JourneyDoc] = Field(default_factory=list)
    slos: list[SLODoc]


class ServiceDoc(_Doc):
    """A native ``sloscope/v1`` Service document."""

    apiVersion: Literal["sloscope/v1"]  # noqa: N815 - the YAML key
    kind: Literal["Service"]
    metadata: MetadataDoc
    spec: ServiceSpecDoc


def native_json_schema() -> dict[str, Any]:
    """JSON Schema of the native format, for editors (``yaml-language-server``)."""
    schema = ServiceDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sloscope/v1 Service"
    return schema


# --- the format module interface ---------------------------------------------------------


def is_mine(data: Mapping[str, object]) -> bool:
    """Whether a document is a native sloscope spec."""
    return data.get("apiVersion") == API_VERSION and data.get("kind") in API_KINDS[API_VERSION]


def load(documents: Sequence[Document]) -> FormatResult:
    """Load native documents into services; never raises for a problem in a spec."""
    result = FormatResult()
    for doc in documents:
        ctx = Context(doc)
        loaded = _load_document(ctx)
        result.problems.extend(ctx.problems)
        if loaded is not None:
            result.services.append(loaded)
    return result


def _load_document(ctx: Context) -> LoadedService | None:
    try:
        parsed = ServiceDoc.model_validate(ctx.doc.data)
    except ValidationError as exc:
        report_validation_error(ctx, exc, ServiceDoc)
        _check_valid_parts(ctx, exc)
        return None
    return _Converter(ctx, parsed).service()


def _check_valid_parts(ctx: Context, exc: ValidationError) -> None:
    """After shape errors, still check the SLOs whose shape is fine, so one run reports all."""
    bad = {err["loc"][2] for err in exc.errors() if err["loc"][:2] == ("spec", "slos")}
    if any(len(err["loc"]) <= 2 and err["loc"][:2] == ("spec", "slos") for err in exc.errors()):
        return
    slos = ctx.doc.get(("spec", "slos"))
    if not isinstance(slos, list):
        return
    name = ctx.doc.get(("metadata", "name"))
    known: tuple[Journey, ...] | None = None
    journeys: list[JourneyDoc] = []
    raw_journeys = ctx.doc.get(("spec", "journeys")) or []
    journeys_ok = not any(err["loc"][:2] == ("spec", "journeys") for err in exc.errors())
    if journeys_ok and isinstance(raw_journeys, list):
        journeys = [JourneyDoc.model_validate(j) for j in raw_journeys]
    partial = ServiceDoc.model_construct(
        apiVersion=API_VERSION,
        kind="Service",
        metadata=MetadataDoc.model_construct(name=str(name)),
        spec=ServiceSpecDoc.model_construct(journeys=journeys, slos=[]),
    )
    converter = _Converter(ctx, partial)
    if journeys or not raw_journeys:
        known = converter.journeys()
    for index, raw in enumerate(slos):
        if index in bad:
            continue
        converter.slo(("spec", "slos", index), SLODoc.model_validate(raw), known)


# --- pydantic errors → problems at YAML positions ---------------------------------------

_FIELD_HINTS = {
    "window": "write a duration such as 28d or 4w, or {calendar: month}",
    "objective": "a percent such as 99.9",
    "sli": "one of ratio, latency, timeslices or promql",
    "slos": "a list of SLOs, each with name, objective, window and sli",
}


def report_validation_error(ctx: Context, exc: ValidationError, model: type[BaseModel]) -> None:
    """Turn pydantic's errors into problems at the YAML nodes they are about."""
    for err in exc.errors(include_url=False):
        path = _real_path(ctx.doc, err["loc"])
        kind = err["type"]
        last = path[-1] if path else ""
        parent = path[:-1]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, parent)
            close = difflib.get_close_matches(str(last), allowed, n=1)
            message = f"unknown key {last!r} in {_where(parent)}"
            if close:
                message += f" (did you mean {close[0]!r}?)"
            ctx.error(path, message, "allowed keys: " + ", ".join(allowed), at_key=True)
        elif kind == "missing":
            hint = _FIELD_HINTS.get(str(last), "")
            ctx.error(parent, f"missing required key {last!r} in {_where(parent)}", hint)
        elif kind in ("union_tag_not_found", "union_tag_invalid"):
            ctx.error(
                path,
                f"{format_path(path)} has the wrong type ({_type_name(err['input'])})",
                _FIELD_HINTS.get(str(last), ""),
            )
        else:
            message = str(err["msg"])
            message = message[0].lower() + message[1:]
            got = err.get("input")
            if not isinstance(got, dict | list):
                message += f", got {got!r}"
            ctx.error(path, f"{format_path(path)}: {message}", _FIELD_HINTS.get(str(last), ""))


def _real_path(doc: Document, loc: tuple[int | str, ...]) -> YamlPath:
    """The loc of a pydantic error without union tags, as a path into the document."""
    path: list[int | str] = []
    node: object = doc.data
    for i, part in enumerate(loc):
        is_last = i == len(loc) - 1
        if _has(node, part):
            node = node[part]  # type: ignore[index]
        elif not is_last:
            continue  # a union tag ("calendar window") or "[key]": not in the data
        else:
            node = None
        path.append(part)
    return tuple(path)


def _where(path: YamlPath) -> str:
    return "the document" if not path else format_path(path)


def _type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _allowed_keys(model: type[BaseModel], path: YamlPath) -> list[str]:
    """The field names of the model that validates the mapping at ``path``."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            break
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        if info is None:
            continue
        current = _find_model(info.annotation)
    return sorted(current.model_fields) if current is not None else []


def _find_model(tp: object) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    origin = typing.get_origin(tp)
    if origin is None and not isinstance(tp, types.UnionType):
        return None
    for arg in typing.get_args(tp):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


# --- conversion to the plain model ------------------------------------------------------


class _Converter:
    """Checks one parsed Service document and builds the plain model."""

    def __init__(self, ctx: Context, parsed: ServiceDoc) -> None:
        self.ctx = ctx
        self.doc = parsed

    def service(self) -> LoadedService | None:
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
        if (
            journeys is not None
            and doc.journey is not None
            and doc.journey not in {j.name for j in journeys}
        ):
            known = ", ".join(j.name for j in journeys)
            ctx.error(
                (*path, "journey"),
                f"journey {doc.journey!r} is not declared in service {self.doc.metadata.name!r}",
                f"declared journeys: {known}"
                if known
                else "declare it under spec.journeys: [{name: " + doc.journey + "}]",
            )
        # The value as written (100, not pydantic's 100.0), so messages quote the author.
        written = ctx.doc.get((*path, "objective"))
        objective = fields.objective_from_percent(
            ctx,
            (*path, "objective"),
            written if isinstance(written, int | float) else doc.objective,
        )
        window = self.window((*path, "window"), doc.window)
        sli = self.sli((*path, "sli"), doc.sli)
        if ctx.error_count() > before or objective is None or window is None or sli is None:
            return None
        alerting = Alerting(
            runbook=doc.alerting.runbook,
            dashboard=doc.alerting.dashboard,
            policy=doc.alerting.policy,
            enabled=doc.alerting.enabled,
            labels=dict(doc.alerting.labels),
            annotations=dict(doc.alerting.annotations),
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
        )

    def window(self, path: YamlPath, doc: str | CalendarDoc) -> Window | None:
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
            self.ctx, (*path, "calendar"), doc.calendar, (*path, "timezone"), doc.timezone
        )

    def sli(self, path: YamlPath, doc: SLIDoc) -> SLI | None:
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
        ctx = self.ctx
        metric = fields.selector(ctx, (*path, "metric"), doc.metric, "histogram selector")
        if metric is not None:
            for suffix in ("_bucket", "_count", "_sum"):
                if metric.metric.endswith(suffix):
                    ctx.error(
                        (*path, "metric"),
                        f"latency metric {metric.metric!r} ends in {suffix}; give the "
                        "histogram's base name",
                        f"write {metric.metric.removesuffix(suffix)}: sloscope adds _bucket "
                        "and _count itself",
                    )
                    metric = None
                    break
        try:
            threshold: float | None = parse_threshold_seconds(doc.threshold)
        except ValueError as exc:
            ctx.error((*path, "threshold"), str(exc))
            threshold = None
        buckets = None
        if doc.buckets is not None:
            buckets = tuple(float(f"{b:.12g}") for b in doc.buckets)
            if not buckets or any(b <= 0 for b in buckets) or list(buckets) != sorted(set(buckets)):
                ctx.error(
                    (*path, "buckets"),
                    "buckets must be positive and increasing, each once",
                    "list the histogram's le boundaries in seconds, e.g. [0.1, 0.3, 1]",
                )
                return None
            if threshold is not None and threshold not in buckets:
                ctx.error(
                    (*path, "threshold"),
                    f"threshold {doc.threshold} ({threshold:g}s) is not one of the declared "
                    f"buckets ({', '.join(f'{b:g}' for b in buckets)})",
                    "a latency SLI counts the le=threshold bucket; pick a bucket boundary or "
                    "add it to the histogram",
                )
                return None
        if metric is None or threshold is None:
            return None
        return LatencySLI(metric=metric, threshold=threshold, buckets=buckets)

    def promql(self, path: YamlPath, doc: PromQLDoc) -> PromQLSLI | None:
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
