"""The OpenSLO loader (``openslo/v1``; ``openslo/v1alpha`` and ``openslo.com/v2alpha`` read
as v1 by :mod:`~sloscope.spec.openslo.versions`): which documents are OpenSLO, and
turning them into services (:mod:`~sloscope.spec.openslo.services`).

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
  ``owner`` or ``team``) and the journeys (``sloscope.dev/journeys``)
  (:mod:`~sloscope.spec.openslo.services`).
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

from sloscope.errors import Problem
from sloscope.spec.formats import FormatResult
from sloscope.spec.openslo import versions
from sloscope.spec.openslo.keys import KINDS
from sloscope.spec.yamlpos import Document

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
        if not documents:
            return FormatResult()  # the same empty result, without loading the converters
        v1: list[Document] = []
        problems: list[Problem] = []
        for doc in documents:
            read, found = versions.as_v1(doc)
            v1.extend(read)
            problems.extend(found)
        # The converters load with the first OpenSLO document, not on every start.
        from sloscope.spec.openslo.objects import Registry
        from sloscope.spec.openslo.services import load_services

        registry = Registry.of(v1)
        services = load_services(registry)
        result = FormatResult(services=services, problems=problems)
        for ctx in registry.contexts:
            result.problems.extend(ctx.problems)
        return result
