"""One service over several documents, for the formats whose files hold one SLO or one
part of a service (Sloth, Pyrra, slo-generator).

Sloth identifies an SLO by ``<service>-<slo>``, Pyrra and slo-generator write one SLO per
object, so several documents may each bring SLOs of one service. They become one
service; each SLO keeps the service labels of its own document (the merged service keeps
only the labels every document agrees on). An SLO name given twice is an error naming
both places.
"""

from __future__ import annotations

import dataclasses

from sloscope.errors import Problem
from sloscope.spec.formats import LoadedService
from sloscope.spec.model import SLO


def merge_services(loaded: list[LoadedService], problems: list[Problem]) -> list[LoadedService]:
    """Services of the same name merged into the first one, in load order."""
    by_name: dict[str, list[LoadedService]] = {}
    for item in loaded:
        by_name.setdefault(item.service.name, []).append(item)
    return [_merge(items, problems) if len(items) > 1 else items[0] for items in by_name.values()]


def _merge(items: list[LoadedService], problems: list[Problem]) -> LoadedService:
    first = items[0]
    slos: list[SLO] = []
    seen: dict[str, SLO] = {}
    for item in items:
        for slo in item.service.slos:
            earlier = seen.get(slo.name)
            if earlier is not None:
                where = slo.origin
                problems.append(
                    Problem(
                        where.file if where else item.file,
                        where.line if where else 0,
                        1 if where else 0,
                        f"SLO {slo.name!r} of service {item.service.name!r} is already defined "
                        f"at {earlier.origin}; SLO names must be unique within a service",
                        "rename one of them",
                    )
                )
                continue
            seen[slo.name] = slo
            slos.append(dataclasses.replace(slo, labels={**item.service.labels, **slo.labels}))
    common = dict(first.service.labels)
    for item in items[1:]:
        common = {k: v for k, v in common.items() if item.service.labels.get(k) == v}
    owner = next((i.service.owner for i in items if i.service.owner), "")
    journeys = {j.name: j for item in reversed(items) for j in item.service.journeys}
    service = dataclasses.replace(
        first.service,
        slos=tuple(slos),
        labels=common,
        owner=owner,
        journeys=tuple(sorted(journeys.values(), key=lambda j: j.name)),
    )
    return first._replace(service=service)
