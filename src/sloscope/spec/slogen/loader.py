"""The slo-generator loader: which documents are slo-generator's, and the services they
hold.

``sre.google.com/v2`` ``ServiceLevelObjective`` documents are SLOs; a document without
apiVersion that has ``backends`` or ``error_budget_policies`` is the shared
``config.yaml``, read first whatever the file order. A pre-v2 SLO file (top-level
``slo_target``, ``backend: {class, ...}``) is an error asking for ``slo-generator
migrate``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sloscope.spec.fields import Context
from sloscope.spec.formats import FormatResult, LoadedService
from sloscope.spec.merge import merge_services
from sloscope.spec.model import Journey, Origin, Service
from sloscope.spec.slogen.config import SharedConfig, is_config, read_config
from sloscope.spec.slogen.slos import service_and_name, slo
from sloscope.spec.yamlpos import Document

API_VERSION = "sre.google.com/v2"
KIND = "ServiceLevelObjective"


def _is_v1(data: Mapping[str, object]) -> bool:
    return "apiVersion" not in data and "slo_target" in data and "backend" in data


class SloGeneratorFormat:
    """slo-generator's SLOs and shared config: a :class:`~sloscope.spec.formats.SpecFormat`.

    >>> SloGeneratorFormat().is_mine({"backends": {"prometheus": {}}})
    True
    """

    api_kinds: Mapping[str, tuple[str, ...]] = {API_VERSION: (KIND,)}

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document is an slo-generator SLO (v2, or v1 to refuse) or config."""
        if data.get("apiVersion") == API_VERSION:
            return data.get("kind") == KIND
        return is_config(data) or _is_v1(data)

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """The config first, then every SLO; services merged by name."""
        result = FormatResult()
        shared = SharedConfig()
        contexts = [Context(doc) for doc in documents]
        for ctx in contexts:
            data = ctx.doc.data
            assert isinstance(data, Mapping)
            if is_config(data):
                read_config(ctx, shared)
            elif _is_v1(data):
                ctx.error(
                    (),
                    "slo-generator v1 config (no apiVersion, top-level slo_target and backend)",
                    "run `slo-generator migrate` to convert it to sre.google.com/v2, then import",
                )
        loaded = [
            item
            for ctx in contexts
            if isinstance(ctx.doc.data, Mapping) and ctx.doc.data.get("apiVersion") == API_VERSION
            for item in [_load_slo(ctx, shared)]
            if item is not None
        ]
        for ctx in contexts:
            result.problems.extend(ctx.problems)
        result.alert_policies = [
            p.alert_policy for p in shared.policies.values() if p.alert_policy is not None
        ]
        result.services = merge_services(loaded, result.problems)
        return result


def _load_slo(ctx: Context, shared: SharedConfig) -> LoadedService | None:
    named = service_and_name(ctx)
    if named is None:
        return None
    service, name, journey = named
    built = slo(ctx, name, journey, shared)
    if built is None:
        return None
    loaded = Service(
        name=service,
        slos=(built,),
        journeys=(Journey(journey),) if journey else (),
        origin=Origin(ctx.doc.file, ctx.doc.start.line),
    )
    return LoadedService(loaded, ctx.doc.file, ctx.doc.pos(("metadata", "name")))
