"""Sloth SLOs → sloscope SLOs: objective, period, SLI and alerting.

Sloth SLIs are PromQL with a ``{{.window}}`` template, so they become
:class:`~sloscope.spec.model.PromQLSLI` with sloscope's ``{{window}}``: only a Prometheus
source can answer them. ``sli.plugin`` cannot be imported (the plugin's Go code makes the
query). Sloth's alerting keeps its routing: the alert name, each tier's labels and
annotations, and Sloth's ``sloth_*`` labels on the generated alerts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.model import SLO, Alerting, Origin, PromQLSLI, RollingWindow, TierAlert
from sloscope.spec.sloth.keys import check_keys, mapping, pick
from sloscope.spec.yamlpos import YamlPath

#: Sloth's default SLO period when a spec does not give one (``--default-slo-period``).
DEFAULT_PERIOD = "30d"

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
#: ``by (a, b)`` / ``without (a, b)`` of a PromQL aggregation.
_GROUPING = re.compile(r"\b(by|without)\s*\(([^)]*)\)")


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
    ctx: Context,
    path: YamlPath,
    raw: object,
    default_period: tuple[YamlPath, object],
    service: str | None,
) -> SLO | None:
    """The Sloth SLO at ``path`` of ``service``; None after an error (which it records).

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
    group_by = _group_by(ctx, (*path, "sli"), sli)
    slo_id = f"{service}/{name}"
    alerting = _alerting(ctx, (*path, "alerting"), data.get("alerting"), slo_id)
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
        group_by=group_by,
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
    bad_path, bad_text = pick(ctx, body, path, "error_query", "errorQuery")
    bad = _query(ctx, bad_path, bad_text, path)
    total = _query(ctx, *pick(ctx, body, path, "total_query", "totalQuery"), path)
    if bad is None or total is None:
        return None
    if not _same_grouping(ctx, bad_path, bad, total):
        return None
    return PromQLSLI(bad=bad, total=total)


def _grouping(query: str) -> tuple[tuple[str, ...], bool]:
    """The labels a query aggregates ``by`` (in written order), and whether it aggregates
    ``without``."""
    labels: dict[str, None] = {}
    without = False
    for kind, names in _GROUPING.findall(query):
        if kind == "without":
            without = True
        else:
            labels.update(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
    return tuple(labels), without


def _group_by(ctx: Context, path: YamlPath, sli: PromQLSLI | None) -> tuple[str, ...]:
    """A grouped Sloth SLI (``sum by (route)`` in both queries) makes a grouped SLO: one
    status per route, as Sloth's rules give one series per route."""
    if sli is None or sli.total is None:
        return ()
    labels, _ = _grouping(sli.total)
    return fields.group_by(ctx, path, list(labels)) or ()


def _same_grouping(ctx: Context, path: YamlPath, bad: str, total: str) -> bool:
    """Grouped Sloth SLIs (``sum by (route)``): both queries must group by the same
    labels (the SLO is grouped by them); different groupings are an error."""
    bad_by, bad_without = _grouping(bad)
    total_by, total_without = _grouping(total)
    if set(bad_by) != set(total_by):
        ctx.error(
            path,
            f"{path[-1]} groups by ({', '.join(sorted(bad_by))}) but the total query by "
            f"({', '.join(sorted(total_by))}); both must group by the same labels",
        )
        return False
    if not bad_by and (bad_without or total_without):
        ctx.warn(
            path,
            "aggregation without (...) is read as ungrouped: the SLO is evaluated over all "
            "series together",
        )
    return True


def _raw(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> PromQLSLI | None:
    """``sli.raw``: an error ratio query."""
    check_keys(ctx, body, path, {"error_ratio_query", "errorRatioQuery"}, "sli.raw")
    query_path, value = pick(ctx, body, path, "error_ratio_query", "errorRatioQuery")
    if isinstance(value, str) and value.strip() and not _WINDOW.search(value):
        ctx.warn(
            query_path,
            f"{query_path[-1]} has no {{{{.window}}}}: the same ratio is used for every window",
        )
        return PromQLSLI(error_ratio=value.strip())
    ratio = _query(ctx, query_path, value, path)
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


def _alerting(ctx: Context, path: YamlPath, raw: object, slo_id: str) -> Alerting | None:
    """Sloth's alerting, routing kept: its alert name for both tiers, each tier's labels
    and annotations over the shared ones, and the labels Sloth's alerts carry
    (``sloth_id``, ``sloth_service``, ``sloth_slo``, ``sloth_severity``), so existing
    Alertmanager routes, silences and inhibitions keep matching."""
    service, _, slo_name = slo_id.partition("/")
    identity = {
        "sloth_id": f"{service}-{slo_name}",
        "sloth_service": service,
        "sloth_slo": slo_name,
    }
    data = {} if raw is None else mapping(ctx, path, raw, "alerting")
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
    runbook = annotations.get("runbook") or annotations.get("runbook_url")
    dashboard = annotations.get("dashboard") or annotations.get("dashboard_url")
    page = _tier(ctx, data, path, "page", ("page_alert", "pageAlert"))
    ticket = _tier(ctx, data, path, "ticket", ("ticket_alert", "ticketAlert"))
    name = data.get("name")
    return Alerting(
        runbook=runbook,
        dashboard=dashboard,
        enabled=page.enabled or ticket.enabled,
        labels={**identity, **labels},
        annotations=annotations,
        name=name if isinstance(name, str) and name else None,
        page=page,
        ticket=ticket,
    )


def _tier(
    ctx: Context, data: Mapping[str, object], path: YamlPath, tier: str, names: tuple[str, str]
) -> TierAlert:
    """``page_alert`` or ``ticket_alert``: on or off, its labels and annotations."""
    alert_path, alert = pick(ctx, data, path, *names)
    base = {"sloth_severity": tier}
    if alert is None:
        return TierAlert(labels=base)
    body = mapping(ctx, alert_path, alert, str(alert_path[-1]))
    if body is None:
        return TierAlert(labels=base)
    check_keys(
        ctx, body, alert_path, {"disable", "labels", "annotations", "for"}, str(alert_path[-1])
    )
    if "for" in body:
        ctx.warn(
            (*alert_path, "for"),
            f"{alert_path[-1]}.for is not used: sloscope's multi-window rows need no for",
            "the short window already stops a brief spike from alerting",
            at_key=True,
        )
    labels = fields.string_map(ctx, (*alert_path, "labels"), body.get("labels"), "label")
    if "disable" in labels:
        ctx.warn(
            (*alert_path, "labels", "disable"),
            "disable under labels is a label (as in Sloth), not a switch: the alert is "
            "generated with the label disable",
            f"did you mean {alert_path[-1]}.disable: true?",
            at_key=True,
        )
    annotations = fields.string_map(
        ctx, (*alert_path, "annotations"), body.get("annotations"), "annotation"
    )
    return TierAlert(
        enabled=body.get("disable") is not True,
        labels={**base, **labels},
        annotations=annotations,
    )
