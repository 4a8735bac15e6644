"""Grouping the SLOs of OpenSLO objects into services (the loader's second half).

:class:`~sloscope.spec.openslo.loader.OpenSLOFormat` registers the objects; this module
converts each SLO (:mod:`~sloscope.spec.openslo.slos`), groups them by ``spec.service``
and reads each Service object: the description, the labels, the owner (annotation
``sloscope.dev/owner``, else label ``owner`` or ``team``) and the journeys
(``sloscope.dev/journeys``). Loaded only when a spec is OpenSLO.
"""

from __future__ import annotations

from dataclasses import dataclass

from sloscope.spec import fields
from sloscope.spec.formats import LoadedService
from sloscope.spec.model import SLO, Journey, Origin, Service
from sloscope.spec.openslo.annotations import (
    JOURNEY,
    JOURNEYS,
    NAME,
    OWNER,
    Annotations,
    read_annotations,
)
from sloscope.spec.openslo.objects import OpenSLOObject, Registry
from sloscope.spec.openslo.slos import SLOBuilder
from sloscope.spec.yamlpos import Pos, YamlPath

#: An SLO built from an OpenSLO SLO object, with that object (for problems about it).
_Built = tuple[OpenSLOObject, SLO]


def load_services(registry: Registry) -> list[LoadedService]:
    """Every service the registered objects make: those SLOs name, in order, then Service
    objects without SLOs; problems go to each object's context."""
    return _Services(registry).run()


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
