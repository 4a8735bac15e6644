"""Grafana dashboards from SLO specs: one dashboard per service.

The dashboards read the series that the generated Prometheus recording rules write
(:mod:`sloscope.conventions`), never the raw SLI metrics, so a panel shows exactly what the
alerts evaluate. Every threshold comes from the spec and the alert policy: the objective,
the budget bands, and each alert row's burn factor for the SLO's own window (a 28d SLO
pages at 13.44, a 30d one at 14.4)::

    from sloscope.engine.windows import bundled_policies
    from sloscope.generate.grafana.dashboard import generate_dashboard, render_dashboard

    doc = generate_dashboard(service, bundled_policies())
    Path(f"{service.name}.json").write_text(render_dashboard(doc), encoding="utf-8")

The document is the classic dashboard JSON model (``schemaVersion`` 39, Grafana 10.4 and
later), importable through the UI or file provisioning. Queries go through a
``datasource`` variable, so the same file works against any Prometheus-compatible
datasource. Layout, per service: an overview row (about the service, its firing SLO
alerts), then one row per SLO:

====================  =========================================================
panel                 shows
====================  =========================================================
stat: SLI             1 - error ratio over the SLO window, red below the objective
stat: budget left     share of the budget left; red < 10%, yellow < 50%
stat: burn rate       current burn rate; yellow >= 1, red at the highest page factor
text: about           journey, description, owner, runbook, the alert rows
timeseries: SLI       SLO window and the shortest alert window; objective line
timeseries: budget    budget left over time with the same bands as the stat
timeseries: burn      burn rate of every alert window; a dashed line per factor
                      (page red, ticket orange); legends say which line is whose
table: alerts         the SLO's pending and firing burn-rate alerts (``ALERTS``)
====================  =========================================================

A grouped SLO (``group_by: [route]``) gets a ``route`` variable (its values read from
the recorded series, all chosen) and its row repeats per route; every panel of the row
selects ``route=~"$route"``.

Spec text is user input: everything that reaches a Markdown panel is escaped for
Markdown and HTML, ``$`` cannot reach Grafana's variable interpolation, and only
``http``/``https`` URLs become links (percent-encoded so they cannot break out).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from sloscope import conventions as conv
from sloscope.engine.windows import AlertPolicy
from sloscope.generate.grafana.panels import (
    DATASOURCE,
    GRID_WIDTH,
    Layout,
    alerts_table_panel,
    row_panel,
    text_panel,
)
from sloscope.generate.grafana.slo_row import add_slo_row, group_variable
from sloscope.generate.grafana.text import (
    MARKDOWN_NONE,
    alerts_selector,
    markdown_literal,
    promql_selector,
)
from sloscope.generate.prometheus.plan import PolicyOf, policy_for
from sloscope.spec.model import Service

#: The classic dashboard JSON model version written (Grafana 10.4+ reads it unchanged).
SCHEMA_VERSION = 39
_UID_MAX = 40
_UID_PREFIX = "sloscope-"
_UID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def dashboard_uid(service_name: str) -> str:
    """The dashboard uid of a service: ``sloscope-<name>``, stable and Grafana-valid.

    Grafana uids are at most 40 characters of ``[a-zA-Z0-9-_]``. When the name has other
    characters or is too long, a hash of the full name keeps names that shorten alike
    apart.

    >>> dashboard_uid("checkout")
    'sloscope-checkout'
    """
    plain = _UID_CHARS.sub("-", service_name)
    uid = _UID_PREFIX + plain
    if plain == service_name and len(uid) <= _UID_MAX:
        return uid
    digest = hashlib.sha256(service_name.encode("utf-8")).hexdigest()[:8]
    return f"{uid[: _UID_MAX - len(digest) - 1]}-{digest}"


def _journey_groups(service: Service) -> list[tuple[str, str, list[str]]]:
    """Each journey (name and description as Markdown) with its SLOs; then SLOs of none."""
    groups: list[tuple[str, str, list[str]]] = [
        (
            markdown_literal(j.name),
            markdown_literal(j.description),
            [s.name for s in service.slos if s.journey == j.name],
        )
        for j in service.journeys
    ]
    known = {j.name for j in service.journeys}
    loose = [s.name for s in service.slos if s.journey not in known]
    if loose:
        groups.append(("_no journey_", "", loose))
    return groups


def _journey_table(service: Service) -> list[str]:
    """Markdown table lines: each journey, what the customer does, its SLOs."""
    lines = ["| journey | what the customer does | SLOs |", "| --- | --- | --- |"]
    for name, description, slos in _journey_groups(service):
        listed = ", ".join(markdown_literal(s) for s in slos) or MARKDOWN_NONE
        lines.append(f"| {name} | {description or MARKDOWN_NONE} | {listed} |")
    return lines


def _service_about(service: Service) -> str:
    """Markdown for the overview text panel: the service, its journeys and their SLOs."""
    lines = [f"### {markdown_literal(service.name)}", ""]
    if service.description:
        lines += [markdown_literal(service.description), ""]
    lines += [f"**Owner** {markdown_literal(service.owner) or MARKDOWN_NONE}", ""]
    lines += _journey_table(service)
    lines += [
        "",
        "_Generated by `sloscope generate grafana` from the service's spec: change the spec, "
        "not this dashboard._",
    ]
    return "\n".join(lines) + "\n"


def generate_dashboard(
    service: Service,
    policies: Mapping[str, AlertPolicy],
    *,
    datasource_uid: str | None = None,
    title_prefix: str = "SLOs / ",
    policy_of: PolicyOf | None = None,
) -> dict[str, Any]:
    """The Grafana dashboard of one service, as a JSON-ready dict.

    ``policies``: the project's alert policies by name (the bundled ``google`` table is
    always known); each SLO's ``alerting.policy`` picks its alert rows and burn factors.
    ``datasource_uid``: the Prometheus datasource the ``datasource`` variable selects by
    default (Grafana's default datasource when None). Raises :class:`ConfigError` when an
    SLO names an alert policy that is not defined. ``policy_of`` picks each SLO's policy
    as the rules do (:func:`~sloscope.generate.prometheus.plan.plan_slo`).
    """
    resolved = [
        (slo, policy_of(service, slo) if policy_of else policy_for(slo, service, policies))
        for slo in service.slos
    ]
    layout = Layout()
    # "$slo" is the one variable in a query: Grafana expands it to a regex of the chosen SLOs.
    chosen = (conv.LABEL_SLO, "=~", "$slo")
    service_alerts = alerts_selector(chosen, **{conv.LABEL_SERVICE: service.name})
    layout.line(1, (GRID_WIDTH, row_panel(f"{service.name}: overview")))
    layout.line(
        8,
        (10, text_panel(f"About {service.name}", _service_about(service))),
        (
            14,
            alerts_table_panel(
                "Pending and firing SLO alerts",
                "Burn-rate and budget alerts of the SLOs chosen in the slo variable.",
                service_alerts,
                hidden=(conv.LABEL_ID, conv.LABEL_SERVICE),
            ),
        ),
    )
    for slo, policy in resolved:
        add_slo_row(layout, service, slo, policy)

    datasource_current: dict[str, Any] = {}
    if datasource_uid is not None:
        datasource_current = {"selected": True, "text": datasource_uid, "value": datasource_uid}
    names = [slo.name for slo in service.slos]
    return {
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                },
                {
                    "datasource": dict(DATASOURCE),
                    "enable": True,
                    "expr": alerts_selector(
                        ("alertstate", "=", "firing"), chosen, **{conv.LABEL_SERVICE: service.name}
                    ),
                    "hide": False,
                    "iconColor": "red",
                    "name": "SLO alerts firing",
                    "step": "1m",
                    "tagKeys": f"{conv.LABEL_SLO},{conv.LABEL_SEVERITY}",
                    "textFormat": "",
                    "titleFormat": "{{alertname}}",
                    "useValueForTime": False,
                },
            ]
        },
        "description": service.description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [
            {
                "asDropdown": True,
                "icon": "external link",
                "includeVars": False,
                "keepTime": True,
                "tags": ["sloscope"],
                "targetBlank": False,
                "title": "SLO dashboards",
                "tooltip": "",
                "type": "dashboards",
                "url": "",
            }
        ],
        "liveNow": False,
        "panels": layout.panels,
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["sloscope", service.name],
        "templating": {
            "list": [
                {
                    "current": datasource_current,
                    "hide": 0,
                    "includeAll": False,
                    "label": "Data source",
                    "multi": False,
                    "name": "datasource",
                    "options": [],
                    "query": "prometheus",
                    "refresh": 1,
                    "regex": "",
                    "skipUrlSync": False,
                    "type": "datasource",
                },
                {
                    "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
                    "description": "SLOs whose alerts the overview shows",
                    "hide": 0,
                    "includeAll": True,
                    "label": "SLO",
                    "multi": True,
                    "name": "slo",
                    "options": [
                        {"selected": True, "text": "All", "value": "$__all"},
                        *({"selected": False, "text": n, "value": n} for n in names),
                    ],
                    "query": ",".join(names),
                    "skipUrlSync": False,
                    "type": "custom",
                },
                *_group_variables(service),
            ]
        },
        "time": {"from": "now-7d", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": f"{title_prefix}{service.name}",
        "uid": dashboard_uid(service.name),
        "version": 1,
        "weekStart": "",
    }


def _group_variables(service: Service) -> list[dict[str, Any]]:
    """A variable per label a grouped SLO of the service groups by (``route``): its values
    are read from the recorded burn rates, all chosen, and grouped rows repeat over them."""
    labels = dict.fromkeys(label for slo in service.slos for label in slo.group_by)
    out = []
    for label in labels:
        source = promql_selector(conv.CURRENT_BURN_RATE, **{conv.LABEL_SERVICE: service.name})
        query = f"label_values({source}, {label})"
        out.append(
            {
                "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
                "datasource": dict(DATASOURCE),
                "definition": query,
                "description": f"Groups of the grouped SLOs (group_by {label})",
                "hide": 0,
                "includeAll": True,
                "label": label,
                "multi": True,
                "name": group_variable(label),
                "options": [],
                "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                "refresh": 2,
                "regex": "",
                "skipUrlSync": False,
                "sort": 1,
                "type": "query",
            }
        )
    return out


def render_dashboard(doc: Mapping[str, Any]) -> str:
    """The dashboard as stable JSON: keys sorted, 2-space indent, a trailing newline.

    Lists keep their order (panels are in grid order); the same spec always renders the
    same bytes, so generated files diff cleanly and golden tests compare them exactly.
    """
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
