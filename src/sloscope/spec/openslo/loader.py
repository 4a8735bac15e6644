"""The OpenSLO loader (``openslo/v1``; ``openslo/v1alpha`` and ``openslo.com/v2alpha`` read
as v1 by :mod:`~sloscope.spec.openslo.versions`): which documents are OpenSLO, and
turning them into services.

OpenSLO splits an SLO over several objects (SLO, SLI, AlertPolicy, AlertCondition,
AlertNotificationTarget, DataSource, Service) that refer to each other by name, often
across files, so this format gets every OpenSLO document at once: it registers the
objects by kind and name (:mod:`~sloscope.spec.openslo.objects`), then converts each SLO,
resolving references. An unresolved reference sloscope needs (an SLI) is an error at the
line of the reference; one it can do without (a DataSource beside an inline query, an
alert policy, condition or target) is a warning there.

How OpenSLO maps onto sloscope's model, and where each part is read:

- SLOs are grouped into services by ``spec.service``; a Service object gives the
  description, the labels and the owner (annotation ``sloscope.dev/owner``, else label
  ``owner`` or ``team``) and the journeys (``sloscope.dev/journeys``). This module.
- An SLO with several objectives becomes one SLO per objective
  (:mod:`~sloscope.spec.openslo.slos`).
- Queries become ratio SLIs on selectors, or PromQL SLIs counting events over
  ``{{window}}``; threshold metrics become latency SLIs or breach ratios
  (:mod:`~sloscope.spec.openslo.queries`, read from SLI objects by
  :mod:`~sloscope.spec.openslo.indicators`).
- Time windows, budgeting methods and time slices: :mod:`~sloscope.spec.openslo.windows`.
- Alert conditions are not imported (sloscope alerts with multi-window burn-rate
  policies); notification targets become the ``notification_target`` alert label
  (:mod:`~sloscope.spec.openslo.alerts`).
- What OpenSLO has no field for (journeys, histogram buckets, budget and alert policies,
  alert labels...), ``sloscope generate openslo`` writes as ``sloscope.dev/``
  annotations; they are read back and checked by :mod:`~sloscope.spec.openslo.annotations`,
  so an export reads back as the same services.

OpenSLO files in the wild are inconsistent (where the query lives, whether the
indicator is wrapped in metadata/spec); they are read leniently, with a warning naming
what was assumed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sloscope.errors import Problem
from sloscope.spec import fields
from sloscope.spec.formats import FormatResult, LoadedService
from sloscope.spec.model import SLO, Journey, Origin, Service
from sloscope.spec.openslo import versions
from sloscope.spec.openslo.annotations import (
    JOURNEY,
    JOURNEYS,
    NAME,
    OWNER,
    Annotations,
    read_annotations,
)
from sloscope.spec.openslo.keys import KINDS
from sloscope.spec.openslo.objects import OpenSLOObject, Registry
from sloscope.spec.openslo.slos import SLOBuilder
from sloscope.spec.yamlpos import Document, Pos, YamlPath

#: An SLO built from an OpenSLO SLO object, with that object (for problems about it).
_Built = tuple[OpenSLOObject, SLO]

API_VERSION = "openslo/v1"


class OpenSLOFormat:
    """OpenSLO v1 objects: a :class:`~sloscope.spec.formats.SpecFormat`.

    >>> OpenSLOFormat().is_mine({"apiVersion": "openslo/v1", "kind": "SLI"})
    True
    """

    api_kinds: Mapping[str, tuple[str, ...]] = {API_VERSION: KINDS, **versions.KINDS}

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document is an OpenSLO object (v1, v1alpha or v2alpha) sloscope reads."""
        api = data.get("apiVersion")
        return isinstance(api, str) and data.get("kind") in self.api_kinds.get(api, ())

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """Load OpenSLO documents (from all files at once, so references resolve across
        files); never raises for a problem in a spec."""
        v1: list[Document] = []
        problems: list[Problem] = []
        for doc in documents:
            read, found = versions.as_v1(doc)
            v1.extend(read)
            problems.extend(found)
        registry = Registry.of(v1)
        services = _Services(registry).run()
        result = FormatResult(services=services, problems=problems)
        for ctx in registry.contexts:
            result.problems.extend(ctx.problems)
        return result


class _Services:
    """Groups the SLOs of every OpenSLO SLO object into services."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.builder = SLOBuilder(registry)

    def run(self) -> list[LoadedService]:
        """Every service: those SLOs name, in order, then Service objects without SLOs."""
        for obj in self.registry.order:
            self.builder.check_shared(obj)  # SLIs and policies are checked even when unused
        by_service, service_refs = self.group()
        out: list[LoadedService] = []
        names = list(by_service)
        names += [n for n in self.registry.names("Service") if n not in by_service]
        for name in names:
            loaded = self.service(name, by_service.get(name, []), service_refs.get(name))
            if loaded is not None:
                out.append(loaded)
        return out

    def group(
        self,
    ) -> tuple[dict[str, list[_Built]], dict[str, tuple[OpenSLOObject, YamlPath]]]:
        """The SLOs built, by service name, and where each service was first named."""
        by_service: dict[str, list[_Built]] = {}
        service_refs: dict[str, tuple[OpenSLOObject, YamlPath]] = {}
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
            built = by_service.setdefault(service, [])
            built.extend((obj, slo) for slo in self.builder.slos(obj))
        return by_service, service_refs

    def service(
        self,
        name: str,
        slos: list[_Built],
        first_ref: tuple[OpenSLOObject, YamlPath] | None,
    ) -> LoadedService | None:
        """The service ``name`` with its SLOs; None when its name is invalid."""
        if first_ref is not None and not fields.check_name(
            first_ref[0].ctx, first_ref[1], name, "service"
        ):
            return None
        declared = self.registry.lookup("Service", name)
        about = _about(name, declared, first_ref)
        notes = about.notes
        journeys = notes.journeys
        # Journeys given but invalid (already an error): SLO journeys are not checked.
        known = None if JOURNEYS in notes.paths and journeys is None else (journeys or ())
        unique = self.checked_slos(name, slos, known)
        owner = notes.text(OWNER)
        if owner is None:
            owner = about.labels.get("owner") or about.labels.get("team") or ""
        service = Service(
            name=name,
            slos=tuple(unique),
            owner=owner,
            description=about.description,
            journeys=journeys or (),
            labels=about.labels,
            origin=about.origin,
        )
        return LoadedService(service, about.file, about.pos)

    def checked_slos(
        self,
        service: str,
        slos: list[_Built],
        known: tuple[Journey, ...] | None,
    ) -> list[SLO]:
        """The service's SLOs without those whose name is taken or journey undeclared."""
        unique: list[SLO] = []
        seen: set[str] = set()
        for obj, slo in slos:
            notes = self.builder.annotations(obj)
            if slo.name in seen:
                renamed = NAME in notes.values
                obj.ctx.error(
                    notes.paths[NAME] if renamed else obj.at("metadata", "name"),
                    f"duplicate SLO name {slo.name!r} in service {service!r}",
                    f"change or remove {NAME}, which names the SLO in sloscope"
                    if renamed
                    else "rename the SLO or the objective's displayName",
                )
                continue
            seen.add(slo.name)
            if _journey_declared(slo, known, obj, service):
                unique.append(slo)
        return unique


@dataclass(frozen=True)
class _About:
    """What a service takes from its Service object, and where it is first named."""

    description: str
    labels: dict[str, str]
    notes: Annotations
    origin: Origin
    file: str
    pos: Pos


def _about(
    name: str, declared: OpenSLOObject | None, first_ref: tuple[OpenSLOObject, YamlPath] | None
) -> _About:
    """The service's Service object (``declared``) read, else where an SLO first named it."""
    if declared is None:
        assert first_ref is not None
        obj, path = first_ref
        origin = Origin(obj.ctx.doc.file, obj.ctx.doc.start.line)
        return _About("", {}, Annotations(), origin, obj.ctx.doc.file, obj.ctx.doc.pos(path))
    ctx = declared.ctx
    description = str(
        declared.get("spec", "description") or declared.get("metadata", "displayName") or ""
    )
    labels = fields.string_map(
        ctx, declared.at("metadata", "labels"), declared.get("metadata", "labels"), "label"
    )
    notes = read_annotations(
        ctx,
        declared.at("metadata", "annotations"),
        declared.get("metadata", "annotations"),
        "Service",
    )
    if first_ref is None:
        ctx.warn(declared.at("metadata", "name"), f"service {name!r} has no SLOs")
    return _About(
        description,
        labels,
        notes,
        Origin(ctx.doc.file, ctx.doc.start.line),
        ctx.doc.file,
        ctx.doc.pos(declared.at("metadata", "name")),
    )


def _journey_declared(
    slo: SLO, known: tuple[Journey, ...] | None, obj: OpenSLOObject, service: str
) -> bool:
    """Whether the SLO's journey (if any) is one of the service's; an error at it if not.

    ``known`` None: the service's journeys are invalid, so nothing is checked.
    """
    if known is None or slo.journey is None or slo.journey in {j.name for j in known}:
        return True
    path = obj.at("metadata", "annotations", JOURNEY)
    obj.ctx.error(
        path,
        f"journey {slo.journey!r} is not declared in service {service!r}",
        f"declared journeys: {', '.join(j.name for j in known)}"
        if known
        else f"declare it in the {JOURNEYS} annotation of an OpenSLO Service named "
        f'{service}, e.g. \'[{{"name":"{slo.journey}"}}]\'',
    )
    return False
