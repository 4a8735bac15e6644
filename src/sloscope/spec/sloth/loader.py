"""The Sloth loader: which documents are Sloth specs, and the service each one holds.

A plain Sloth file (``version: "prometheus/v1"``) has the service's keys at the top; the
Kubernetes CRD (``PrometheusServiceLevel``) has them under ``spec``. The SLOs are read by
:mod:`~sloscope.spec.sloth.slos`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.formats import FormatResult, LoadedService, load_each
from sloscope.spec.model import SLO, Origin, Service
from sloscope.spec.sloth.keys import check_keys, mapping, pick
from sloscope.spec.sloth.slos import slo
from sloscope.spec.yamlpos import Document, YamlPath

API_VERSION = "sloth.slok.dev/v1"
PLAIN_VERSION = "prometheus/v1"


class SlothFormat:
    """Sloth's plain ``prometheus/v1`` files and its Kubernetes CRD: a
    :class:`~sloscope.spec.formats.SpecFormat`.

    >>> SlothFormat().is_mine({"version": "prometheus/v1", "service": "api"})
    True
    """

    api_kinds: Mapping[str, tuple[str, ...]] = {API_VERSION: ("PrometheusServiceLevel",)}

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document is a Sloth spec (plain ``prometheus/v1`` or the Kubernetes CRD)."""
        if data.get("apiVersion") == API_VERSION:
            return data.get("kind") in self.api_kinds[API_VERSION]
        return "apiVersion" not in data and data.get("version") == PLAIN_VERSION

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """Load Sloth documents into services; never raises for a problem in a spec."""
        return load_each(documents, _load_document)


def _load_document(ctx: Context) -> LoadedService | None:
    body = _service_body(ctx)
    if body is None:
        return None
    base, data = body
    before = ctx.error_count()
    name_path = (*base, "service")
    name = _service_name(ctx, data, base, name_path)
    labels = fields.string_map(ctx, (*base, "labels"), data.get("labels"), "label")
    period = pick(ctx, data, base, "slo_period", "sloPeriod")
    slos = _slos(ctx, data.get("slos"), (*base, "slos"), name, period)
    if not slos and ctx.error_count() == before:
        ctx.warn((*base, "slos"), f"service {name!r} declares no SLOs")
    if name is None:
        return None
    service = Service(
        name=name,
        slos=tuple(slos),
        owner=labels.get("owner") or labels.get("team") or "",
        labels=labels,
        origin=Origin(ctx.doc.file, ctx.doc.start.line),
    )
    return LoadedService(service, ctx.doc.file, ctx.doc.pos(name_path))


def _service_body(ctx: Context) -> tuple[YamlPath, Mapping[str, object]] | None:
    """Where the service's keys are (the document, or the CRD's spec), keys checked."""
    data = ctx.doc.data
    assert isinstance(data, Mapping)
    if data.get("apiVersion") != API_VERSION:
        known = {"version", "service", "labels", "slos", "slo_period", "sloPeriod"}
        check_keys(ctx, data, (), known, "a Sloth spec")
        return (), data
    check_keys(ctx, data, (), {"apiVersion", "kind", "metadata", "spec", "status"}, "the document")
    spec = mapping(ctx, ("spec",), data.get("spec"), "spec")
    if spec is None:
        return None
    known = {"service", "labels", "slos", "slo_period", "sloPeriod"}
    check_keys(ctx, spec, ("spec",), known, "a Sloth spec")
    return ("spec",), spec


def _service_name(
    ctx: Context, data: Mapping[str, object], base: YamlPath, name_path: YamlPath
) -> str | None:
    """The service's name; None after an error."""
    name = data.get("service")
    if not isinstance(name, str) or not name:
        ctx.error(
            name_path if "service" in data else base,
            "a Sloth spec needs service: the name of the service",
        )
        return None
    if not fields.check_name(ctx, name_path, name, "service"):
        return None
    return name


def _slos(
    ctx: Context,
    raw_slos: object,
    slos_path: YamlPath,
    service: str | None,
    default_period: tuple[YamlPath, object],
) -> list[SLO]:
    """The SLOs that loaded; a second SLO of the same name is an error and left out."""
    if not isinstance(raw_slos, list):
        if raw_slos is not None:
            ctx.error(slos_path, "slos must be a list of SLOs")
        return []
    slos: list[SLO] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_slos):
        path = (*slos_path, index)
        slo_name = raw.get("name") if isinstance(raw, Mapping) else None
        if isinstance(slo_name, str) and slo_name in seen:
            first = ctx.doc.pos((*slos_path, seen[slo_name], "name"))
            ctx.error(
                (*path, "name"),
                f"duplicate SLO name {slo_name!r} in service {service!r} (first at line "
                f"{first.line})",
                "SLO names are unique within a service; rename one",
            )
            continue
        if isinstance(slo_name, str):
            seen[slo_name] = index
        loaded = slo(ctx, path, raw, default_period)
        if loaded is not None:
            slos.append(loaded)
    return slos
