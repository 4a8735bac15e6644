"""The Sloth loader: which documents are Sloth specs, and the service each one holds.

A plain Sloth file (``version: "prometheus/v1"``) has the service's keys at the top; the
Kubernetes CRD (``PrometheusServiceLevel``) has them under ``spec``. The SLOs are read by
:mod:`~sloscope.spec.sloth.slos`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from sloscope.errors import Problem
from sloscope.spec import fields
from sloscope.spec.durations import format_duration, parse_duration
from sloscope.spec.fields import Context
from sloscope.spec.formats import FormatResult, LoadedService, load_each
from sloscope.spec.merge import merge_services
from sloscope.spec.model import SLO, Origin, Service, SpecAlertPolicy
from sloscope.spec.sloth.keys import check_keys, mapping, pick
from sloscope.spec.sloth.slos import slo
from sloscope.spec.sloth.windows import KIND, LEGACY_VERSION, alert_windows, period_path
from sloscope.spec.yamlpos import Document, YamlPath

API_VERSION = "sloth.slok.dev/v1"
PLAIN_VERSION = "prometheus/v1"


class SlothFormat:
    """Sloth's plain ``prometheus/v1`` files and its Kubernetes CRD: a
    :class:`~sloscope.spec.formats.SpecFormat`.

    >>> SlothFormat().is_mine({"version": "prometheus/v1", "service": "api"})
    True
    """

    api_kinds: Mapping[str, tuple[str, ...]] = {API_VERSION: ("PrometheusServiceLevel", KIND)}

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document is a Sloth spec (plain ``prometheus/v1`` or the Kubernetes CRD)
        or Sloth ``AlertWindows``."""
        if data.get("apiVersion") == API_VERSION:
            return data.get("kind") in self.api_kinds[API_VERSION]
        return "apiVersion" not in data and data.get("version") in (PLAIN_VERSION, LEGACY_VERSION)

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """Load Sloth documents into services and AlertWindows into alert policies; never
        raises for a problem in a spec.

        As in Sloth, one service may be spread over several files as long as its SLO
        names stay unique, and an SLO uses the AlertWindows of its period when loaded.
        """
        windows = [d for d in documents if _is_windows(d)]
        result = FormatResult()
        periods = _periods(windows, result.problems)
        loaded = load_each([d for d in documents if not _is_windows(d)], _load_document)
        result.problems.extend(loaded.problems)
        result.alert_policies = list(periods.values())
        services = [_with_windows(item, periods) for item in loaded.services]
        result.services = merge_services(services, result.problems)
        return result


def _is_windows(doc: Document) -> bool:
    data = doc.data
    assert isinstance(data, Mapping)
    return data.get("kind") == KIND or data.get("version") == LEGACY_VERSION


def _periods(windows: Sequence[Document], problems: list[Problem]) -> dict[str, SpecAlertPolicy]:
    """The alert policy of each SLO period; a second file for one period is an error."""
    periods: dict[str, SpecAlertPolicy] = {}
    for doc in windows:
        ctx = Context(doc)
        found = alert_windows(ctx)
        if found is not None:
            period, policy = found
            key = format_duration(parse_duration(period))
            first = periods.get(key)
            if first is not None:
                ctx.error(
                    period_path(ctx.doc.data),  # type: ignore[arg-type]
                    f"AlertWindows for sloPeriod {period} is already defined at {first.origin}",
                    "Sloth loads one AlertWindows per SLO period; remove one file",
                )
            else:
                periods[key] = policy
        problems.extend(ctx.problems)
    return periods


def _with_windows(item: LoadedService, periods: Mapping[str, SpecAlertPolicy]) -> LoadedService:
    """The service's SLOs with the AlertWindows policy of their period, as Sloth applies it."""
    slos = tuple(
        dataclasses.replace(
            slo, alerting=dataclasses.replace(slo.alerting, policy=periods[slo.window.label].name)
        )
        if slo.window.label in periods
        else slo
        for slo in item.service.slos
    )
    return item._replace(service=dataclasses.replace(item.service, slos=slos))


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
        loaded = slo(ctx, path, raw, default_period, service)
        if loaded is not None:
            slos.append(loaded)
    return slos
