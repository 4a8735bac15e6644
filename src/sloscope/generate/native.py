"""Native ``sloscope/v1`` documents from services of any format (``sloscope convert``).

One ``Service`` document per service, services sorted by name, SLOs in spec order; every
field the model holds is written, defaults left out, so reading the output back gives the
same services. Numbers are written without float artefacts (``99.9``, not
``99.90000000000001``); thresholds in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sloscope.generate.yaml_text import dump_yaml
from sloscope.spec.durations import format_duration
from sloscope.spec.model import (
    SLI,
    SLO,
    Alerting,
    CalendarWindow,
    LatencySLI,
    PromQLSLI,
    RatioSLI,
    Service,
    SliceIndicator,
    TierAlert,
    TimeslicesSLI,
    Window,
)

API_VERSION = "sloscope/v1"
_DEFAULT_ALERTING = Alerting()
_DEFAULT_TIER = TierAlert()


def native_document(service: Service) -> dict[str, Any]:
    """The native ``Service`` document of one service."""
    metadata: dict[str, Any] = {"name": service.name}
    if service.owner:
        metadata["owner"] = service.owner
    if service.description:
        metadata["description"] = service.description
    if service.labels:
        metadata["labels"] = dict(service.labels)
    spec: dict[str, Any] = {}
    if service.journeys:
        spec["journeys"] = [
            {"name": j.name, **({"description": j.description} if j.description else {})}
            for j in service.journeys
        ]
    spec["slos"] = [_slo(slo) for slo in service.slos]
    return {"apiVersion": API_VERSION, "kind": "Service", "metadata": metadata, "spec": spec}


def render_native(services: Sequence[Service], comments: Sequence[str] = ()) -> str:
    """Native documents of ``services`` (sorted by name) as YAML, ``comments`` on top."""
    docs = [native_document(s) for s in sorted(services, key=lambda s: s.name)]
    head = "".join(f"# {line}\n" for comment in comments for line in comment.splitlines())
    return head + "---\n".join(dump_yaml(doc) for doc in docs)


def _slo(slo: SLO) -> dict[str, Any]:
    out: dict[str, Any] = {"name": slo.name}
    if slo.journey is not None:
        out["journey"] = slo.journey
    if slo.description:
        out["description"] = slo.description
    out["objective"] = _number(slo.objective * 100)
    out["window"] = _window(slo.window)
    out["sli"] = _sli(slo.sli)
    alerting = _alerting(slo.alerting)
    if alerting:
        out["alerting"] = alerting
    if slo.budget_policy != "default":
        out["budget_policy"] = slo.budget_policy
    if slo.labels:
        out["labels"] = dict(slo.labels)
    if slo.group_by:
        out["group_by"] = list(slo.group_by)
    return out


def _window(window: Window) -> str | dict[str, Any]:
    if isinstance(window, CalendarWindow):
        out: dict[str, Any] = {"calendar": window.unit}
        if window.timezone != "UTC":
            out["timezone"] = window.timezone
        if window.start is not None:
            out["start"] = window.start
        return out
    return format_duration(window.seconds)


def _sli(sli: SLI) -> dict[str, Any]:
    if isinstance(sli, TimeslicesSLI):
        inner = _indicator(sli.indicator)
        return {
            "timeslices": {
                "slice": format_duration(sli.slice_seconds),
                "target": _number(sli.target * 100),
                **inner,
            }
        }
    return _indicator(sli)


def _indicator(sli: SliceIndicator) -> dict[str, Any]:
    if isinstance(sli, RatioSLI):
        part = {"good": str(sli.good)} if sli.good is not None else {"bad": str(sli.bad)}
        return {"ratio": {**part, "total": str(sli.total)}}
    if isinstance(sli, LatencySLI):
        latency: dict[str, Any] = {
            "metric": str(sli.metric),
            "threshold": _number(sli.threshold),
        }
        if sli.buckets is not None:
            latency["buckets"] = [_number(b) for b in sli.buckets]
        return {"latency": latency}
    return {"promql": _promql(sli)}


def _promql(sli: PromQLSLI) -> dict[str, str]:
    pairs = (("good", sli.good), ("bad", sli.bad), ("total", sli.total))
    out = {key: expr for key, expr in pairs if expr is not None}
    if sli.error_ratio is not None:
        out["error_ratio"] = sli.error_ratio
    return out


def _alerting(alerting: Alerting) -> dict[str, Any]:
    """The alerting keys that differ from the defaults."""
    out: dict[str, Any] = {}
    for key in ("runbook", "dashboard", "name"):
        value = getattr(alerting, key)
        if value is not None:
            out[key] = value
    if alerting.policy != _DEFAULT_ALERTING.policy:
        out["policy"] = alerting.policy
    if not alerting.enabled:
        out["enabled"] = False
    if alerting.labels:
        out["labels"] = dict(alerting.labels)
    if alerting.annotations:
        out["annotations"] = dict(alerting.annotations)
    for tier in ("page", "ticket"):
        settings = _tier(alerting.tier(tier))
        if settings:
            out[tier] = settings
    return out


def _tier(tier: TierAlert) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tier.enabled != _DEFAULT_TIER.enabled:
        out["enabled"] = tier.enabled
    for key, value in (("labels", tier.labels), ("annotations", tier.annotations)):
        if value:
            out[key] = dict(value)
    return out


def _number(value: float) -> float | int:
    """A float without artefacts (12 significant digits); whole numbers as ints."""
    number = float(f"{value:.12g}")
    return int(number) if number.is_integer() else number


def policy_snippet(policies: Sequence[Mapping[str, object]]) -> str:
    """``alert_policies`` for sloscope.yaml, as YAML (the policies spec files brought)."""
    return dump_yaml({"alert_policies": [dict(p) for p in policies]})
