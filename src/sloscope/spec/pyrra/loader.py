"""The Pyrra loader: ``pyrra.dev/v1alpha1`` ``ServiceLevelObjective`` objects as SLOs.

Pyrra has no service: each object is one SLO. Its service is, in this order, the label
``pyrra.dev/service``, the label ``app.kubernetes.io/name``, ``metadata.namespace``, the
file's name (a warning says when the namespace or the file name was used). SLOs of one
service in several objects or files become one service.

- ``target`` (a percent, written as a string: ``"99.5"``) → the objective; ``window`` → a
  rolling window.
- ``metadata.labels`` starting ``pyrra.dev/`` → the SLO's labels without the prefix (Pyrra
  puts them on every rule); other labels select the PrometheusRule and are not imported.
- ``alerting.name`` (default ``ErrorBudgetBurn``) names both tiers' alerts; alerts carry
  Pyrra's ``slo`` label and ``severity: critical`` (page) or ``warning`` (ticket). The SLO
  uses the bundled alert policy ``pyrra``: Pyrra's 14/7/2/1 table (exact for a 28d window).
  ``burnrates: false`` (or the deprecated ``disabled: true``) turns alerting off. Pyrra's
  absent alert (on by default) is not generated; a warning says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.formats import FormatResult, LoadedService
from sloscope.spec.keys import Schema, check_schema
from sloscope.spec.merge import merge_services
from sloscope.spec.model import SLO, Alerting, Origin, Service, TierAlert
from sloscope.spec.pyrra.indicators import grouping, indicator
from sloscope.spec.yamlpos import Document, YamlPath

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
#: Pyrra's alert name when ``alerting.name`` is not given.
DEFAULT_ALERT_NAME = "ErrorBudgetBurn"
#: The bundled alert policy with Pyrra's burn-rate table.
POLICY = "pyrra"
_PREFIX = "pyrra.dev/"
_SERVICE_LABELS = (_PREFIX + "service", "app.kubernetes.io/name")

_SCHEMA: Schema = {
    "apiVersion": None,
    "kind": None,
    "status": None,
    "metadata": dict.fromkeys(
        (
            "name",
            "namespace",
            "labels",
            "annotations",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
            "selfLink",
        )
    ),
    "spec": {
        "description": None,
        "target": None,
        "window": None,
        "indicator": None,
        "alerting": dict.fromkeys(
            ("disabled", "burnrates", "absent", "name", "absentName", "burnRateType")
        ),
        "partial_response_strategy": None,
        "rulenamespace": None,
    },
}


class PyrraFormat:
    """Pyrra's ``ServiceLevelObjective``: a :class:`~sloscope.spec.formats.SpecFormat`.

    >>> PyrraFormat().is_mine({"apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective"})
    True
    """

    api_kinds: Mapping[str, tuple[str, ...]] = {API_VERSION: (KIND,)}

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document is a Pyrra ServiceLevelObjective."""
        return data.get("apiVersion") == API_VERSION and data.get("kind") == KIND

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """Load Pyrra objects into services (one SLO each, merged by service name)."""
        result = FormatResult()
        loaded: list[LoadedService] = []
        for doc in documents:
            ctx = Context(doc)
            item = _load_document(ctx)
            result.problems.extend(ctx.problems)
            if item is not None:
                loaded.append(item)
        result.services = merge_services(loaded, result.problems)
        return result


def _load_document(ctx: Context) -> LoadedService | None:
    data = ctx.doc.data
    assert isinstance(data, Mapping)
    check_schema(ctx, data, (), _SCHEMA, "a Pyrra ServiceLevelObjective")
    meta = data.get("metadata")
    spec = data.get("spec")
    if not isinstance(meta, Mapping) or not isinstance(spec, Mapping):
        ctx.error((), "a Pyrra ServiceLevelObjective needs metadata and spec")
        return None
    name = meta.get("name")
    if not isinstance(name, str) or not fields.check_name(ctx, ("metadata", "name"), name, "SLO"):
        if not isinstance(name, str):
            ctx.error(("metadata",), "metadata.name: the SLO's name")
        return None
    labels = fields.string_map(ctx, ("metadata", "labels"), meta.get("labels"), "label")
    service_path, service = _service(ctx, meta, labels)
    if service is None:
        return None
    slo = _slo(ctx, name, spec, labels)
    if slo is None:
        return None
    loaded = Service(name=service, slos=(slo,), origin=Origin(ctx.doc.file, ctx.doc.start.line))
    return LoadedService(loaded, ctx.doc.file, ctx.doc.pos(service_path))


def _service(
    ctx: Context, meta: Mapping[str, object], labels: Mapping[str, str]
) -> tuple[YamlPath, str | None]:
    """The service's name and where it was written (documented order, see the module)."""
    for key in _SERVICE_LABELS:
        if labels.get(key):
            path: YamlPath = ("metadata", "labels", key)
            ok = fields.check_name(ctx, path, labels[key], "service")
            return path, labels[key] if ok else None
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        path = ("metadata", "namespace")
        ctx.warn(
            path,
            f"no label pyrra.dev/service: the service is the namespace {namespace!r}",
            "label the object pyrra.dev/service: <name> to choose the service",
        )
        return path, namespace if fields.check_name(ctx, path, namespace, "service") else None
    stem = PurePath(ctx.doc.file).stem
    ctx.warn(
        ("metadata",),
        f"no label pyrra.dev/service and no namespace: the service is the file name {stem!r}",
        "label the object pyrra.dev/service: <name> to choose the service",
    )
    return ("metadata",), stem if fields.check_name(ctx, ("metadata",), stem, "service") else None


def _slo(
    ctx: Context, name: str, spec: Mapping[str, object], labels: Mapping[str, str]
) -> SLO | None:
    before = ctx.error_count()
    objective = _target(ctx, spec.get("target"))
    window = fields.rolling_window(ctx, ("spec", "window"), spec.get("window", "28d"))
    sli = indicator(ctx, ("spec", "indicator"), spec.get("indicator"))
    group_by = grouping(ctx, ("spec", "indicator"), spec.get("indicator"))
    alerting = _alerting(ctx, name, spec.get("alerting"))
    for key in ("partial_response_strategy", "rulenamespace"):
        if key in spec:
            ctx.warn(("spec", key), f"{key} is for Pyrra's rule output; ignored", at_key=True)
    if ctx.error_count() > before or objective is None or window is None or sli is None:
        return None
    return SLO(
        name=name,
        objective=objective,
        window=window,
        sli=sli,
        description=str(spec.get("description") or ""),
        alerting=alerting,
        labels=_propagated(labels),
        origin=Origin(ctx.doc.file, ctx.doc.start.line),
        group_by=group_by or (),
    )


def _target(ctx: Context, raw: object) -> float | None:
    """Pyrra's target: a percent, written as a string (``"99.5"``)."""
    path: YamlPath = ("spec", "target")
    if raw is None:
        ctx.error(("spec",), 'spec.target: the objective in percent, e.g. "99.5"')
        return None
    try:
        number = float(str(raw))
    except ValueError:
        ctx.error(path, f'target must be a percent such as "99.5", got {raw!r}')
        return None
    return fields.objective_from_percent(ctx, path, number, "target")


def _propagated(labels: Mapping[str, str]) -> dict[str, str]:
    """The ``pyrra.dev/`` labels without the prefix (Pyrra puts them on every rule); the
    service label names the service instead."""
    return {
        k.removeprefix(_PREFIX): v
        for k, v in labels.items()
        if k.startswith(_PREFIX) and k != _PREFIX + "service"
    }


def _alerting(ctx: Context, slo: str, raw: object) -> Alerting:
    """Pyrra's alerting: name, on/off, and the labels its alerts carry."""
    data = raw if isinstance(raw, Mapping) else {}
    path: YamlPath = ("spec", "alerting")
    enabled = data.get("burnrates", True) is not False
    if data.get("disabled") is True:
        ctx.warn(
            (*path, "disabled"),
            "disabled is deprecated in Pyrra; read as burnrates: false (no burn-rate alerts)",
            at_key=True,
        )
        enabled = False
    if data.get("burnRateType", "static") != "static":
        ctx.warn(
            (*path, "burnRateType"),
            f"burnRateType {data.get('burnRateType')!r} is not supported: Pyrra's static "
            "table (alert policy pyrra) is used",
            at_key=True,
        )
    if data.get("absent", True) is not False:
        absent = data.get("absentName") or "SLOMetricAbsent"
        ctx.warn(
            (*path, "absent") if "absent" in data else ("spec",),
            f"Pyrra's absent alert {absent!r} is not generated (sloscope reports missing "
            "data as no data)",
            "set alerting.absent: false to say you do not need it",
        )
    name = data.get("name")
    return Alerting(
        policy=POLICY,
        enabled=enabled,
        name=name if isinstance(name, str) and name else DEFAULT_ALERT_NAME,
        labels={"slo": slo},
        page=TierAlert(labels={"severity": "critical"}),
        ticket=TierAlert(labels={"severity": "warning"}),
    )
