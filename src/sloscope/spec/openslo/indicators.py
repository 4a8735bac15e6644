"""OpenSLO SLI objects (inline ``indicator`` or ``indicatorRef``) and their metric sources.

An SLI is read once, whatever number of SLOs use it, into an :class:`Indicator`: its kind
(``ratio``, ``raw`` or ``threshold``) and the queries of its parts. Turning the queries
into a model SLI needs the objective (a threshold's op and value), so that is left to
:mod:`sloscope.spec.openslo.slos`.

Files in the wild put the query in several places (``metricSource.spec.query``,
``metricSource.query``, ``spec.promql``, the spec itself) and sometimes leave out the
indicator's metadata/spec wrapping; they are read leniently, with a warning naming what
was assumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sloscope.spec.fields import Context
from sloscope.spec.openslo.objects import ObjectKey, OpenSLOObject, Registry
from sloscope.spec.openslo.queries import Query
from sloscope.spec.yamlpos import YamlPath

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


@dataclass(frozen=True)
class Indicator:
    """An SLI object: its kind and its queries (``good``/``bad`` and ``total``, ``raw``
    or ``threshold``)."""

    kind: Literal["ratio", "raw", "threshold"]
    parts: Mapping[str, Query]
    raw_type: str = "success"
    counter: bool = True


class IndicatorReader:
    """Reads SLI objects, each once, resolving ``indicatorRef`` and ``metricSourceRef``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._read: dict[ObjectKey, Indicator | None] = {}

    def of_slo(self, obj: OpenSLOObject) -> Indicator | None:
        """The indicator of an SLO: inline (``indicator``) or by name (``indicatorRef``)."""
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
            found = self.registry.resolve(
                ctx, obj.at("spec", "indicatorRef"), "SLI", spec["indicatorRef"]
            )
            return None if found is None else self.indicator(found)
        if "indicator" in spec:
            return self.indicator(OpenSLOObject(ctx, obj.at("spec", "indicator"), "SLI"))
        if _composite(spec.get("objectives")):
            ctx.error(
                obj.at("spec", "objectives"),
                f"SLO {obj.name!r} is a composite SLO (an indicator per objective, "
                "compositeWeight); composite SLOs are not supported",
                "write one SLO per indicator",
            )
            return None
        ctx.error(
            obj.at("spec"),
            f"SLO {obj.name!r} has neither indicator nor indicatorRef",
            "inline the SLI as indicator: {metadata: ..., spec: {ratioMetric: ...}} or "
            "refer to one with indicatorRef: <name>",
        )
        return None

    def indicator(self, obj: OpenSLOObject) -> Indicator | None:
        """An SLI object (a document or inline), read and checked on first use only."""
        if obj.key not in self._read:
            self._read[obj.key] = self._indicator(obj)
        return self._read[obj.key]

    def _indicator(self, obj: OpenSLOObject) -> Indicator | None:
        ctx = obj.ctx
        found = _spec_of(obj)
        if found is None:
            return None
        spec_path, spec = found
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
            return None if query is None else Indicator("threshold", {"threshold": query})
        return self._ratio(ctx, (*spec_path, "ratioMetric"), spec["ratioMetric"])

    def _ratio(self, ctx: Context, path: YamlPath, ratio: object) -> Indicator | None:
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
            return self._raw_ratio(ctx, path, ratio, counter)
        return self._parts_ratio(ctx, path, ratio, counter)

    def _raw_ratio(
        self, ctx: Context, path: YamlPath, ratio: Mapping[str, object], counter: bool
    ) -> Indicator | None:
        """A ratioMetric with ``raw`` (a ratio query) and ``rawType``."""
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
        return None if query is None else Indicator("raw", {"raw": query}, str(raw_type), counter)

    def _parts_ratio(
        self, ctx: Context, path: YamlPath, ratio: Mapping[str, object], counter: bool
    ) -> Indicator | None:
        """A ratioMetric of ``total`` and exactly one of ``good`` and ``bad``."""
        found = [k for k in ("good", "bad", "total") if k in ratio]
        given = found[:-1] if "total" in found else []
        if len(given) != 1:
            ctx.error(
                path,
                "ratioMetric needs total and exactly one of good and bad"
                + (f" (found {', '.join(found)})" if ratio else ""),
            )
            return None
        parts: dict[str, Query] = {}
        for key in (given[0], "total"):
            query = self.metric_source(ctx, (*path, key))
            if query is not None:
                parts[key] = query
        return Indicator("ratio", parts, counter=counter) if len(parts) == 2 else None

    def metric_source(self, ctx: Context, path: YamlPath) -> Query | None:
        """The query of the part at ``path`` (``{metricSource: {type, spec: {query}}}``)."""
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
                return Query(ctx, (*path, "query"), str(part["query"]))
            ctx.error(
                path,
                "missing metricSource",
                "write metricSource: {type: Prometheus, spec: {query: <PromQL>}}",
            )
            return None
        kind = source.get("type")
        if "metricSourceRef" in source:
            inline = _has_query(source)
            found = self.registry.resolve(
                ctx,
                (*source_path, "metricSourceRef"),
                "DataSource",
                source["metricSourceRef"],
                "the inline query is read as PromQL" if inline else "",
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
        query = _query_of_source(ctx, source_path, source)
        if query is not None and query.text.strip().lower() == "any":
            # OpenSLO's examples write type: Any, query: Any as placeholders.
            ctx.error(
                query.path,
                f"query {query.text.strip()!r} is a placeholder, not a query",
                "write the PromQL selector or query of this metric",
            )
            return None
        return query


def _composite(objectives: object) -> bool:
    """Whether an SLO's objectives carry their own indicators (a composite SLO)."""
    return isinstance(objectives, list) and any(
        isinstance(o, Mapping) and ("indicator" in o or "indicatorRef" in o) for o in objectives
    )


def _spec_of(obj: OpenSLOObject) -> tuple[YamlPath, Mapping[str, object]] | None:
    """An SLI's spec and its path; an indicator without metadata/spec wrapping is read as
    its own spec (with a warning). None after an error."""
    data = obj.data
    spec = data.get("spec")
    if isinstance(spec, Mapping):
        return obj.at("spec"), spec
    if "ratioMetric" in data or "thresholdMetric" in data:
        obj.ctx.warn(
            obj.path,
            "indicator without metadata/spec: read as the SLI's spec",
            "OpenSLO writes indicator: {metadata: {name: ...}, spec: {ratioMetric: ...}}",
        )
        return obj.path, data
    obj.ctx.error(obj.path, "an SLI needs spec with ratioMetric or thresholdMetric")
    return None


def _has_query(source: Mapping[str, object]) -> bool:
    """Whether a metric source writes its query inline (then its DataSource is not needed)."""
    spec = source.get("spec")
    if isinstance(spec, str) or isinstance(source.get("query"), str):
        return True
    return isinstance(spec, Mapping) and any(
        isinstance(spec.get(key), str) for key in ("query", "promql", "expr", "expression")
    )


def _query_of_source(
    ctx: Context, source_path: YamlPath, source: Mapping[str, object]
) -> Query | None:
    spec = source.get("spec")
    spec_path = (*source_path, "spec")
    if isinstance(spec, str):
        ctx.warn(spec_path, "metricSource.spec is the query itself; read as spec.query")
        return Query(ctx, spec_path, spec)
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
                return Query(ctx, (*spec_path, key), str(spec[key]))
    if isinstance(source.get("query"), str):
        ctx.warn(
            (*source_path, "query"),
            "query read from metricSource.query",
            "OpenSLO puts it in metricSource.spec.query",
            at_key=True,
        )
        return Query(ctx, (*source_path, "query"), str(source["query"]))
    ctx.error(
        spec_path if "spec" in source else source_path,
        "no query in metricSource",
        "write metricSource.spec.query: <a PromQL selector or query>",
    )
    return None
