"""Expected alerts of a rule test: labels and annotations exactly as Prometheus sets them.

Annotations hold Go templates; ``{{ $value | humanize }}`` and
``{{ $value | humanizePercentage }}`` are expanded here as Go formats them.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sloscope import conventions as names
from sloscope.engine.windows import AlertSeverity
from sloscope.generate import promql
from sloscope.generate.prometheus.alerts import alert_annotations, alert_labels
from sloscope.generate.prometheus.plan import SLOPlan, alert_name
from sloscope.generate.rule_tests.events import UntestableError
from sloscope.generate.rule_tests.scenarios import Expect

# --- Go's template functions ------------------------------------------------------------


def _go_g4(value: float) -> str:
    """Go's ``fmt.Sprintf("%.4g", v)`` (same rules as Python's for finite numbers)."""
    return f"{value:.4g}"


def humanize(value: float) -> str:
    """Prometheus' ``humanize`` template function (SI prefixes, 4 significant digits).

    >>> humanize(14.784), humanize(1.0), humanize(0.5)
    ('14.78', '1', '500m')
    """
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _go_g4(value)
    prefix = ""
    if abs(value) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix = p
            value /= 1000
        return _go_g4(value) + prefix
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix = p
        value *= 1000
    return _go_g4(value) + prefix


def humanize_percentage(value: float) -> str:
    """Prometheus' ``humanizePercentage``: ``0.25`` → ``25%``."""
    return _go_g4(value * 100) + "%"


def _expand(template: str, value: float, labels: dict[str, str]) -> str | None:
    """An annotation as Prometheus renders it, or None when it uses other templates.

    ``{{ $labels.route }}`` (a grouped SLO's summary) is the alert's label, ``""`` when
    the series have none (Prometheus expands alert templates with ``missingkey=zero``).
    """
    for label in re.findall(r"\{\{ \$labels\.(\w+) \}\}", template):
        template = template.replace(f"{{{{ $labels.{label} }}}}", labels.get(label, ""))
    text = template.replace("{{ $value | humanize }}", humanize(value))
    text = text.replace("{{ $value | humanizePercentage }}", humanize_percentage(value))
    return None if "{{" in text else text


def expected_alert_tests(
    plan: SLOPlan, expect: Expect, dashboard_url: str | None
) -> list[dict[str, Any]]:
    """promtool ``alert_rule_test`` entries of one check: every alert, firing or not.

    Page and ticket may share one alert name (an imported Sloth ``alerting.name``); then
    one entry expects both.
    """
    by_name: dict[str, list[dict[str, Any]]] = {}
    for key, value in expect.values.items():
        if key == names.ALERT_EXHAUSTED:
            alertname = key
        else:
            alertname = alert_name(plan, "page" if key == "page" else "ticket")
        exp_alerts = by_name.setdefault(alertname, [])
        if value is not None:
            exp_alerts.append(_expected_alert(plan, key, value, dashboard_url))
    return [
        {"eval_time": promql.window_text(expect.at), "alertname": name, "exp_alerts": alerts}
        for name, alerts in by_name.items()
    ]


def _expected_alert(
    plan: SLOPlan, key: str, value: float, dashboard_url: str | None
) -> dict[str, Any]:
    """One firing alert's labels and annotations, as Prometheus renders them."""
    if key == names.ALERT_EXHAUSTED:
        labels = {**plan.window_labels(plan.slo_window), **alert_labels(plan, "ticket")}
        templates = alert_annotations(plan, "exhausted", dashboard_url)
    else:
        tier: AlertSeverity = "page" if key == "page" else "ticket"
        labels = {**plan.labels, **alert_labels(plan, tier)}
        templates = alert_annotations(plan, tier, dashboard_url)
    annotations = {}
    for name, template in templates.items():
        text = _expand(template, value, labels)
        if text is None:
            raise UntestableError(f"annotation {name!r} uses templates sloscope cannot expand")
        annotations[name] = text
    return {"exp_labels": dict(sorted(labels.items())), "exp_annotations": annotations}
