"""One slo-generator ``sre.google.com/v2`` SLO → a sloscope SLO.

- Service: label ``service_name``, else ``service``, else the first ``-``-part of
  ``metadata.name`` (a warning says so). SLO name: ``<feature>-<slo_name>`` when both
  labels are given (``feature_name``/``feature``), else ``metadata.name``; the feature is
  the SLO's journey.
- ``goal`` (a fraction) → the objective; the window comes from the error-budget policy
  (:mod:`~sloscope.spec.slogen.config`).
- ``good_bad_ratio``: ``filter_good`` over ``filter_valid`` → a ratio SLI on the selectors
  (``[window]`` dropped); with ``filter_bad`` or non-default ``operators`` → PromQL.
- ``query_sli``: the SLI ratio → a PromQL error ratio ``1 - (<expression>)``.
- ``distribution_cut``: a ``_bucket`` expression and ``threshold_bucket`` → a latency SLI.
- A backend whose class is not ``prometheus`` is an error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.keys import Schema, check_schema
from sloscope.spec.model import (
    SLI,
    SLO,
    Alerting,
    LatencySLI,
    Origin,
    PromQLSLI,
    RatioSLI,
    RollingWindow,
)
from sloscope.spec.selectors import Selector
from sloscope.spec.slogen.config import DEFAULT_WINDOW_DAYS, SharedConfig
from sloscope.spec.yamlpos import YamlPath

_RANGE = re.compile(r"\[\s*window\s*\]")
_DEFAULT_OPERATORS = ["increase", "sum"]
_SCHEMA: Schema = {
    "apiVersion": None,
    "kind": None,
    "metadata": {"name": None, "labels": None, "annotations": None, "namespace": None},
    "spec": dict.fromkeys(
        (
            "description",
            "goal",
            "backend",
            "method",
            "service_level_indicator",
            "error_budget_policy",
            "exporters",
        )
    ),
}


def service_and_name(ctx: Context) -> tuple[str, str, str | None] | None:
    """(service, SLO name, journey) of an SLO document; None after an error."""
    data = ctx.doc.data
    assert isinstance(data, Mapping)
    check_schema(ctx, data, (), _SCHEMA, "an slo-generator SLO")
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        ctx.error(("metadata",), "metadata.name: the SLO's name")
        return None
    labels = fields.string_map(ctx, ("metadata", "labels"), meta.get("labels"), "label")  # type: ignore[union-attr]
    service = labels.get("service_name") or labels.get("service")
    if not service:
        service = name.split("-")[0]
        ctx.warn(
            ("metadata", "name"),
            f"no label service_name: the service is {service!r}, the first part of the name",
            "label the SLO service_name: <service>",
        )
    feature = labels.get("feature_name") or labels.get("feature")
    slo_name = f"{feature}-{labels['slo_name']}" if feature and labels.get("slo_name") else name
    if not fields.check_name(ctx, ("metadata", "labels"), service, "service"):
        return None
    if not fields.check_name(ctx, ("metadata", "name"), slo_name, "SLO"):
        return None
    return service, slo_name, feature


def slo(ctx: Context, name: str, journey: str | None, shared: SharedConfig) -> SLO | None:
    """The SLO of one document (its service read by :func:`service_and_name`)."""
    data = ctx.doc.data
    assert isinstance(data, Mapping)
    spec = data.get("spec")
    if not isinstance(spec, Mapping):
        ctx.error((), "an slo-generator SLO needs spec")
        return None
    before = ctx.error_count()
    if not _backend(ctx, spec.get("backend"), shared):
        return None  # a non-Prometheus SLI's filters are not PromQL: one error is enough
    policy, days = _policy(ctx, spec, shared)
    goal = spec.get("goal")
    objective = fields.objective_from_fraction(ctx, ("spec", "goal"), goal, "goal")
    sli = _sli(ctx, spec.get("method"), spec.get("service_level_indicator"))
    if "exporters" in spec:
        ctx.warn(("spec", "exporters"), "exporters are not imported", at_key=True)
    if ctx.error_count() > before or objective is None or sli is None:
        return None
    return SLO(
        name=name,
        objective=objective,
        window=RollingWindow(days * 86400),
        sli=sli,
        journey=journey,
        description=str(spec.get("description") or ""),
        alerting=Alerting(policy=policy),
        origin=Origin(ctx.doc.file, ctx.doc.start.line),
    )


def _backend(ctx: Context, backend: object, shared: SharedConfig) -> bool:
    """Whether the backend is a Prometheus one (an error when it is not)."""
    path: YamlPath = ("spec", "backend")
    if not isinstance(backend, str) or not backend:
        ctx.error(("spec",), "spec.backend: a backend of config.yaml, e.g. prometheus")
        return False
    kind = backend.split("/")[0]
    if kind != "prometheus":
        ctx.error(
            path,
            f"slo-generator backend {backend!r} (class {kind}) is not supported: only "
            "Prometheus backends can be imported",
            "sloscope reads PromQL; write the SLO for a Prometheus-compatible backend",
        )
        return False
    if shared.loaded and backend not in shared.backends:
        ctx.error(
            path,
            f"backend {backend!r} is not defined in config.yaml backends "
            f"(defined: {', '.join(shared.backends) or 'none'})",
        )
    return True


def _policy(ctx: Context, spec: Mapping[str, object], shared: SharedConfig) -> tuple[str, int]:
    """The SLO's alert policy name and window in days."""
    name = str(spec.get("error_budget_policy") or "default")
    if not shared.loaded:
        ctx.warn(
            ("spec",),
            "slo-generator's config.yaml is not loaded: the SLO window is "
            f"{DEFAULT_WINDOW_DAYS}d and alerts use sloscope's google policy",
            "pass config.yaml with the SLO files to read its error budget policies",
        )
        return "google", DEFAULT_WINDOW_DAYS
    policy = shared.policies.get(name)
    if policy is None:
        ctx.error(
            ("spec", "error_budget_policy") if "error_budget_policy" in spec else ("spec",),
            f"error budget policy {name!r} is not defined in config.yaml "
            f"(defined: {', '.join(shared.policies) or 'none'})",
        )
        return "google", DEFAULT_WINDOW_DAYS
    alert = policy.alert_policy.name if policy.alert_policy else "google"
    return alert, policy.window_days


def _sli(ctx: Context, method: object, raw: object) -> SLI | None:
    path: YamlPath = ("spec", "service_level_indicator")
    if not isinstance(raw, Mapping):
        ctx.error(("spec",), "spec.service_level_indicator: the queries of the SLI")
        return None
    if method == "good_bad_ratio":
        return _good_bad(ctx, path, raw)
    if method == "query_sli":
        expr = raw.get("expression")
        if not isinstance(expr, str) or not expr.strip():
            ctx.error(path, "query_sli needs expression")
            return None
        ctx.warn(
            (*path, "expression"),
            "query_sli gives a ratio, not event counts: read as a PromQL error ratio "
            "(Prometheus only)",
        )
        return PromQLSLI(error_ratio=f"1 - ({_RANGE.sub('[{{window}}]', expr.strip())})")
    if method == "distribution_cut":
        return _distribution_cut(ctx, path, raw)
    ctx.error(
        ("spec", "method"),
        f"unknown method {method!r}",
        "the Prometheus backend has good_bad_ratio, query_sli and distribution_cut",
    )
    return None


def _filter(ctx: Context, path: YamlPath, raw: object) -> Selector | None:
    if not isinstance(raw, str):
        ctx.error(path, "a filter is a PromQL selector")
        return None
    return fields.selector(ctx, path, _RANGE.sub("", raw).strip())


def _good_bad(ctx: Context, path: YamlPath, raw: Mapping[str, object]) -> SLI | None:
    good = _filter(ctx, (*path, "filter_good"), raw.get("filter_good"))
    other = "filter_valid" if "filter_valid" in raw else "filter_bad"
    if other not in raw:
        ctx.error(path, "good_bad_ratio needs filter_good and one of filter_valid, filter_bad")
        return None
    second = _filter(ctx, (*path, other), raw.get(other))
    if good is None or second is None:
        return None
    operators = raw.get("operators", _DEFAULT_OPERATORS)
    if operators == _DEFAULT_OPERATORS and other == "filter_valid":
        return RatioSLI(total=second, good=good)
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        ctx.error((*path, "operators"), "operators is a list of PromQL functions")
        return None
    ctx.warn(
        path,
        "read as PromQL (Prometheus only): "
        + ("non-default operators" if operators != _DEFAULT_OPERATORS else "filter_bad"),
    )

    def wrap(sel: Selector) -> str:
        text = f"{sel}[{{{{window}}}}]"
        for op in operators:
            text = f"{op}({text})"
        return fields.rate_to_increase(text)

    if other == "filter_valid":
        return PromQLSLI(good=wrap(good), total=wrap(second))
    return PromQLSLI(good=wrap(good), total=f"({wrap(good)} + {wrap(second)})")


def _distribution_cut(ctx: Context, path: YamlPath, raw: Mapping[str, object]) -> SLI | None:
    hist = _filter(ctx, (*path, "expression"), raw.get("expression"))
    threshold = raw.get("threshold_bucket")
    if "good_below_threshold" in raw:
        ctx.warn(
            (*path, "good_below_threshold"),
            "good_below_threshold is ignored by slo-generator's Prometheus backend; ignored",
            at_key=True,
        )
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
        ctx.error(path, "distribution_cut needs threshold_bucket: the le value in seconds")
        return None
    if hist is None:
        return None
    if not hist.metric.endswith("_bucket"):
        ctx.error((*path, "expression"), "distribution_cut's expression is a _bucket selector")
        return None
    metric = Selector(hist.metric.removesuffix("_bucket"), hist.matchers)
    return LatencySLI(metric=metric, threshold=float(threshold))
