"""Sloth SLOs → sloscope SLOs: objective, period, SLI and alerting.

Sloth SLIs are PromQL with a ``{{.window}}`` template, so they become
:class:`~sloscope.spec.model.PromQLSLI` with sloscope's ``{{window}}``: only a Prometheus
source can answer them. ``sli.plugin`` cannot be imported (the plugin's Go code makes the
query). Sloth's page and ticket alerts become the SLO's alerting: labels and annotations
per severity are not imported (with a warning).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.model import SLO, Alerting, Origin, PromQLSLI, RollingWindow
from sloscope.spec.sloth.keys import check_keys, mapping, pick
from sloscope.spec.yamlpos import YamlPath

#: Sloth's default SLO period when a spec does not give one (``--default-slo-period``).
DEFAULT_PERIOD = "30d"

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")


_SLO_KEYS = {
    "name",
    "description",
    "objective",
    "labels",
    "sli",
    "alerting",
    "slo_period",
    "sloPeriod",
}


def slo(
    ctx: Context, path: YamlPath, raw: object, default_period: tuple[YamlPath, object]
) -> SLO | None:
    """The Sloth SLO at ``path``; None after an error (which it records).

    ``default_period`` is the service's ``slo_period`` and where it was written.
    """
    data = mapping(ctx, path, raw, "an SLO")
    if data is None:
        return None
    before = ctx.error_count()
    check_keys(ctx, data, path, _SLO_KEYS, "a Sloth SLO")
    name = _name(ctx, path, data)
    objective = _objective(ctx, path, data)
    window = _window(ctx, path, data, default_period)
    sli = _sli(ctx, (*path, "sli"), data.get("sli"))
    alerting = _alerting(ctx, (*path, "alerting"), data.get("alerting"))
    description = data.get("description") or ""
    labels = fields.string_map(ctx, (*path, "labels"), data.get("labels"), "label")
    if ctx.error_count() > before:
        return None
    if name is None or objective is None or window is None or sli is None or alerting is None:
        return None
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


def _name(ctx: Context, path: YamlPath, data: Mapping[str, object]) -> str | None:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        ctx.error(path, "an SLO needs a name")
        return None
    return name if fields.check_name(ctx, (*path, "name"), name, "SLO") else None


def _objective(ctx: Context, path: YamlPath, data: Mapping[str, object]) -> float | None:
    if "objective" not in data:
        ctx.error(path, "missing objective (a percent such as 99.9)")
        return None
    return fields.objective_from_percent(ctx, (*path, "objective"), data["objective"])


def _window(
    ctx: Context,
    path: YamlPath,
    data: Mapping[str, object],
    default_period: tuple[YamlPath, object],
) -> RollingWindow | None:
    """The SLO's period, else the service's, else Sloth's default (30d)."""
    period_path, period = pick(ctx, data, path, "slo_period", "sloPeriod")
    if period is None:
        period_path, period = default_period
    return fields.rolling_window(ctx, period_path, period if period is not None else DEFAULT_PERIOD)


def _sli(ctx: Context, path: YamlPath, raw: object) -> PromQLSLI | None:
    data = mapping(ctx, path, raw, "sli")
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
    body = mapping(ctx, (*path, kind), data[kind], f"sli.{kind}")
    if body is None:
        return None
    if kind == "events":
        return _events(ctx, (*path, kind), body)
    return _raw(ctx, (*path, kind), body)


def _events(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> PromQLSLI | None:
    """``sli.events``: an error query and a total query."""
    check_keys(
        ctx, body, path, {"error_query", "errorQuery", "total_query", "totalQuery"}, "sli.events"
    )
    bad = _query(ctx, *pick(ctx, body, path, "error_query", "errorQuery"), path)
    total = _query(ctx, *pick(ctx, body, path, "total_query", "totalQuery"), path)
    if bad is None or total is None:
        return None
    return PromQLSLI(bad=bad, total=total)


def _raw(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> PromQLSLI | None:
    """``sli.raw``: an error ratio query."""
    check_keys(ctx, body, path, {"error_ratio_query", "errorRatioQuery"}, "sli.raw")
    ratio = _query(ctx, *pick(ctx, body, path, "error_ratio_query", "errorRatioQuery"), path)
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
    data = mapping(ctx, path, raw, "alerting")
    if data is None:
        return None
    check_keys(
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
        body = mapping(ctx, alert_path, alert, str(alert_path[-1]))
        if body is None:
            continue
        check_keys(ctx, body, alert_path, {"disable", "labels", "annotations"}, str(alert_path[-1]))
        if body.get("disable") is True:
            disabled.append(severity)
            continue
        for what in ("labels", "annotations"):
            extra = fields.string_map(ctx, (*alert_path, what), body.get(what), what[:-1])
            specific.extend(f"{k}={v} ({severity})" for k, v in extra.items())
            if what == "annotations":
                runbook = runbook or extra.get("runbook") or extra.get("runbook_url")
    return disabled, specific, runbook
