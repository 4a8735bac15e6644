"""Sloth specs: ``version: "prometheus/v1"`` files and the ``PrometheusServiceLevel`` CRD.

Sloth SLIs are PromQL with a ``{{.window}}`` template, so they become
:class:`~sloscope.spec.model.PromQLSLI` with sloscope's ``{{window}}``: only a Prometheus
source can answer them. ``sli.plugin`` cannot be imported (the plugin's Go code makes the
query). Sloth's own files spell keys in snake_case (``error_query``) and its Kubernetes
CRD in camelCase (``errorQuery``); both are read in both forms. Keys Sloth knows but
sloscope does not use are warned about and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.formats import FormatResult, LoadedService, load_each
from sloscope.spec.model import SLO, Alerting, Origin, PromQLSLI, Service
from sloscope.spec.yamlpos import Document, YamlPath

API_VERSION = "sloth.slok.dev/v1"
PLAIN_VERSION = "prometheus/v1"

#: Sloth's default SLO period when a spec does not give one (``--default-slo-period``).
DEFAULT_PERIOD = "30d"

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")

# Keys Sloth defines that have no meaning in sloscope: warned about, then ignored.
_IGNORED = {"slo_plugins", "sloPlugins", "infoLabels", "info_labels", "interval", "plugins"}


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


def pick(
    ctx: Context, data: Mapping[str, object], path: YamlPath, *names: str
) -> tuple[YamlPath, object]:
    """The value of the first of several spellings of a key (``error_query``, ``errorQuery``)."""
    present = [name for name in names if name in data]
    if len(present) > 1:
        ctx.warn(
            (*path, present[1]),
            f"both {present[0]!r} and {present[1]!r} are given; {present[0]!r} is used",
            at_key=True,
        )
    if not present:
        return (*path, names[0]), None
    return (*path, present[0]), data[present[0]]


def _check_keys(
    ctx: Context, data: Mapping[str, object], path: YamlPath, known: set[str], where: str
) -> None:
    for key in data:
        if key in _IGNORED:
            ctx.warn((*path, key), f"Sloth's {key!r} is not used by sloscope; ignored", at_key=True)
        elif key not in known:
            ctx.warn(
                (*path, key),
                f"unknown key {key!r} in {where}; ignored",
                "allowed keys: " + ", ".join(sorted(known)),
                at_key=True,
            )


def _mapping(ctx: Context, path: YamlPath, value: object, what: str) -> Mapping[str, object] | None:
    if isinstance(value, Mapping):
        return value
    ctx.error(path, f"{what} must be a mapping, got {_kind(value)}")
    return None


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"


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
        _check_keys(ctx, data, (), known, "a Sloth spec")
        return (), data
    _check_keys(ctx, data, (), {"apiVersion", "kind", "metadata", "spec", "status"}, "the document")
    spec = _mapping(ctx, ("spec",), data.get("spec"), "spec")
    if spec is None:
        return None
    known = {"service", "labels", "slos", "slo_period", "sloPeriod"}
    _check_keys(ctx, spec, ("spec",), known, "a Sloth spec")
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
        slo = _slo(ctx, path, raw, default_period)
        if slo is not None:
            slos.append(slo)
    return slos


def _slo(
    ctx: Context, path: YamlPath, raw: object, default_period: tuple[YamlPath, object]
) -> SLO | None:
    data = _mapping(ctx, path, raw, "an SLO")
    if data is None:
        return None
    before = ctx.error_count()
    _check_keys(
        ctx,
        data,
        path,
        {
            "name",
            "description",
            "objective",
            "labels",
            "sli",
            "alerting",
            "slo_period",
            "sloPeriod",
        },
        "a Sloth SLO",
    )
    name = data.get("name")
    if not isinstance(name, str) or not name:
        ctx.error(path, "an SLO needs a name")
    else:
        fields.check_name(ctx, (*path, "name"), name, "SLO")
    if "objective" not in data:
        ctx.error(path, "missing objective (a percent such as 99.9)")
        objective = None
    else:
        objective = fields.objective_from_percent(ctx, (*path, "objective"), data["objective"])
    period_path, period = pick(ctx, data, path, "slo_period", "sloPeriod")
    if period is None:
        period_path, period = default_period
    window = fields.rolling_window(
        ctx, period_path, period if period is not None else DEFAULT_PERIOD
    )
    sli = _sli(ctx, (*path, "sli"), data.get("sli"))
    alerting = _alerting(ctx, (*path, "alerting"), data.get("alerting"))
    description = data.get("description") or ""
    labels = fields.string_map(ctx, (*path, "labels"), data.get("labels"), "label")
    if ctx.error_count() > before or objective is None or window is None or sli is None:
        return None
    assert isinstance(name, str)
    assert alerting is not None
    return SLO(
        name=name,
        objective=objective,
        window=window,
        sli=sli,
        description=str(description),
        alerting=alerting,
        labels=labels,
        origin=Origin(ctx.doc.file, ctx.doc.pos(path).line),
    )


def _sli(ctx: Context, path: YamlPath, raw: object) -> PromQLSLI | None:
    data = _mapping(ctx, path, raw, "sli")
    if data is None:
        return None
    kinds = [k for k in ("events", "raw", "plugin") if k in data]
    if len(kinds) != 1:
        ctx.error(
            path,
            "an SLI needs exactly one of events, raw and plugin"
            + (f", found {', '.join(kinds)}" if kinds else ""),
        )
        return None
    kind = kinds[0]
    if kind == "plugin":
        plugin = data["plugin"]
        plugin_id = plugin.get("id") if isinstance(plugin, Mapping) else None
        ctx.error(
            (*path, "plugin"),
            f"Sloth SLI plugins are not supported (plugin {plugin_id!r})",
            "write the plugin's queries as sli.events with error_query and total_query, "
            "or as a native sloscope SLI",
            at_key=True,
        )
        return None
    body = _mapping(ctx, (*path, kind), data[kind], f"sli.{kind}")
    if body is None:
        return None
    if kind == "events":
        _check_keys(
            ctx,
            body,
            (*path, kind),
            {"error_query", "errorQuery", "total_query", "totalQuery"},
            "sli.events",
        )
        bad = _query(
            ctx, *pick(ctx, body, (*path, kind), "error_query", "errorQuery"), (*path, kind)
        )
        total = _query(
            ctx, *pick(ctx, body, (*path, kind), "total_query", "totalQuery"), (*path, kind)
        )
        if bad is None or total is None:
            return None
        return PromQLSLI(bad=bad, total=total)
    _check_keys(ctx, body, (*path, kind), {"error_ratio_query", "errorRatioQuery"}, "sli.raw")
    ratio = _query(
        ctx, *pick(ctx, body, (*path, kind), "error_ratio_query", "errorRatioQuery"), (*path, kind)
    )
    return None if ratio is None else PromQLSLI(error_ratio=ratio)


def _query(ctx: Context, path: YamlPath, value: object, parent: YamlPath) -> str | None:
    key = str(path[-1])
    if value is None:
        ctx.error(parent, f"missing {key}")
        return None
    if not isinstance(value, str) or not value.strip():
        ctx.error(path, f"{key} must be a PromQL query")
        return None
    if not _WINDOW.search(value):
        ctx.error(
            path,
            f"{key} has no {{{{.window}}}}: Sloth queries count events over a window",
            "write the range as [{{.window}}], e.g. sum(rate(x_total[{{.window}}]))",
        )
        return None
    return fields.rate_to_increase(_WINDOW.sub("{{window}}", value.strip()))


def _alerting(ctx: Context, path: YamlPath, raw: object) -> Alerting | None:
    if raw is None:
        return Alerting()
    data = _mapping(ctx, path, raw, "alerting")
    if data is None:
        return None
    _check_keys(
        ctx,
        data,
        path,
        {"name", "labels", "annotations", "page_alert", "pageAlert", "ticket_alert", "ticketAlert"},
        "alerting",
    )
    labels = fields.string_map(ctx, (*path, "labels"), data.get("labels"), "label")
    annotations = fields.string_map(
        ctx, (*path, "annotations"), data.get("annotations"), "annotation"
    )
    runbook = annotations.pop("runbook", None) or annotations.pop("runbook_url", None)
    dashboard = annotations.pop("dashboard", None) or annotations.pop("dashboard_url", None)
    disabled, specific, severity_runbook = _severity_alerts(ctx, data, path)
    runbook = runbook or severity_runbook
    if specific:
        ctx.warn(
            path,
            "labels and annotations of page_alert/ticket_alert are not imported per severity: "
            + ", ".join(specific),
            "sloscope labels its alerts severity=page or severity=ticket; route on that label",
        )
    enabled = len(disabled) < 2
    if len(disabled) == 1:
        ctx.warn(
            path,
            f"Sloth disables only the {disabled[0]} alert; sloscope imports the SLO with all "
            "alerts enabled",
            f"use an alert policy without {disabled[0]} rows (alerting.policy) to match",
        )
    return Alerting(
        runbook=runbook,
        dashboard=dashboard,
        enabled=enabled,
        labels=labels,
        annotations=annotations,
    )


def _severity_alerts(
    ctx: Context, data: Mapping[str, object], path: YamlPath
) -> tuple[list[str], list[str], str | None]:
    """What ``page_alert`` and ``ticket_alert`` say: the severities they disable, their
    labels and annotations (``name=value (severity)``, not imported) and the first runbook.
    """
    disabled: list[str] = []
    specific: list[str] = []
    runbook: str | None = None
    for severity, names in (
        ("page", ("page_alert", "pageAlert")),
        ("ticket", ("ticket_alert", "ticketAlert")),
    ):
        alert_path, alert = pick(ctx, data, path, *names)
        if alert is None:
            continue
        body = _mapping(ctx, alert_path, alert, str(alert_path[-1]))
        if body is None:
            continue
        _check_keys(
            ctx, body, alert_path, {"disable", "labels", "annotations"}, str(alert_path[-1])
        )
        if body.get("disable") is True:
            disabled.append(severity)
            continue
        for what in ("labels", "annotations"):
            extra = fields.string_map(ctx, (*alert_path, what), body.get(what), what[:-1])
            specific.extend(f"{k}={v} ({severity})" for k, v in extra.items())
            if what == "annotations":
                runbook = runbook or extra.get("runbook") or extra.get("runbook_url")
    return disabled, specific, runbook
