"""OpenSLO alerting → sloscope's :class:`~sloscope.spec.model.Alerting` of an SLO.

sloscope alerts with multi-window multi-burn-rate policies, so OpenSLO alert conditions
are not imported (each is warned about once). What an SLO's ``alertPolicies`` do carry
over:

- notification targets become the ``notification_target`` alert label (comma-separated
  names when there are several);
- the policies' annotations become alert annotations, except runbook and dashboard links
  (``runbook``, ``x.io/runbook_url``, ``dashboard``...), which become the alerting's links;
- ``alertWhenBreaching: false`` disables the SLO's alerts.

The SLO's own annotations come first: the ``sloscope.dev/`` ones that ``sloscope
generate openslo`` writes (links, alert policy, ``alerting-enabled``, alert labels and
annotations; read by :mod:`~sloscope.spec.openslo.annotations`), then runbook and
dashboard links of other prefixes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.model import Alerting, TierAlert
from sloscope.spec.openslo.annotations import (
    ALERT_ANNOTATIONS,
    ALERT_LABELS,
    ALERT_NAME,
    ALERT_POLICY,
    DASHBOARD,
    PAGE_ALERT,
    RUNBOOK,
    TICKET_ALERT,
    Annotations,
)
from sloscope.spec.openslo.objects import ObjectKey, OpenSLOObject, Registry, object_key
from sloscope.spec.yamlpos import YamlPath

#: The alert policy of an SLO that names none (the model's default).
_DEFAULT_POLICY = Alerting().policy


@dataclass(frozen=True)
class PolicyParts:
    """What one AlertPolicy gives an SLO's alerting."""

    labels: dict[str, str]
    annotations: dict[str, str]
    breaching: bool


#: What happens without an alert policy an SLO names: sloscope alerts with its own.
_NO_POLICY = "not needed: sloscope alerts with its own burn-rate policy (default 'google')"


class AlertReader:
    """Reads alert policies, conditions and targets, each policy once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._policies: dict[ObjectKey, PolicyParts | None] = {}
        self._warned: set[ObjectKey] = set()

    def alerting(self, obj: OpenSLOObject, notes: Annotations) -> Alerting:
        """The alerting of the SLO ``obj``: its annotations and its alert policies.

        The ``sloscope.dev/`` annotations come first: the links, then the alert policy,
        ``enabled``, labels and annotations, which policies' labels and annotations add to.
        """
        runbook, dashboard = links(dict(notes.others))
        labels = notes.string_map(ALERT_LABELS) or {}
        annotations: dict[str, str] = {}
        enabled = notes.alerting_enabled is not False
        for parts in self.policies_of(obj):
            _merge_labels(labels, parts.labels)
            annotations.update(parts.annotations)
            enabled = enabled and parts.breaching
        link_runbook, link_dashboard = links(annotations)
        annotations.update(notes.string_map(ALERT_ANNOTATIONS) or {})
        return Alerting(
            runbook=notes.text(RUNBOOK) or runbook or link_runbook,
            dashboard=notes.text(DASHBOARD) or dashboard or link_dashboard,
            enabled=enabled,
            labels=labels,
            annotations=annotations,
            policy=notes.text(ALERT_POLICY) or _DEFAULT_POLICY,
            name=notes.text(ALERT_NAME),
            page=notes.tier_alert(PAGE_ALERT) or TierAlert(),
            ticket=notes.tier_alert(TICKET_ALERT) or TierAlert(),
        )

    def policies_of(self, obj: OpenSLOObject) -> list[PolicyParts]:
        """What each of the SLO's ``alertPolicies`` gives (those read without error)."""
        policies = obj.get("spec", "alertPolicies")
        if policies is None:
            return []
        if not isinstance(policies, list):
            obj.ctx.error(obj.at("spec", "alertPolicies"), "alertPolicies must be a list")
            return []
        out: list[PolicyParts] = []
        for index, item in enumerate(policies):
            policy = self.policy_ref(obj.ctx, obj.at("spec", "alertPolicies", index), item)
            parts = None if policy is None else self.alert_policy(policy)
            if parts is not None:
                out.append(parts)
        return out

    def policy_ref(self, ctx: Context, path: YamlPath, item: object) -> OpenSLOObject | None:
        """The AlertPolicy an ``alertPolicies`` item gives: inline or ``alertPolicyRef``."""
        if isinstance(item, str):
            # The older OpenSLO Go type reads plain names (OpenSLO issue 133).
            return self.registry.resolve(ctx, path, "AlertPolicy", item, _NO_POLICY)
        if not isinstance(item, Mapping):
            ctx.error(path, "an alert policy is a mapping: inline, or {alertPolicyRef: name}")
            return None
        if "alertPolicyRef" in item:
            return self.registry.resolve(
                ctx, (*path, "alertPolicyRef"), "AlertPolicy", item["alertPolicyRef"], _NO_POLICY
            )
        if "kind" in item and item.get("kind") != "AlertPolicy":
            ctx.error(
                (*path, "kind"),
                f"alertPolicies items are AlertPolicy objects, not {item.get('kind')!r}",
            )
            return None
        return OpenSLOObject(ctx, path, "AlertPolicy")

    def alert_policy(self, obj: OpenSLOObject) -> PolicyParts | None:
        """What an AlertPolicy gives its SLOs, checked on first use only."""
        if obj.key not in self._policies:
            self._policies[obj.key] = self._alert_policy(obj)
        return self._policies[obj.key]

    def _alert_policy(self, obj: OpenSLOObject) -> PolicyParts | None:
        ctx = obj.ctx
        annotations = fields.string_map(
            ctx, obj.at("metadata", "annotations"), obj.get("metadata", "annotations"), "annotation"
        )
        spec = obj.get("spec")
        if not isinstance(spec, Mapping):
            ctx.error(
                obj.at("spec") if "spec" in obj.data else obj.path, "an AlertPolicy needs a spec"
            )
            return None
        breaching = _breaching(obj, spec)
        for index, cond in enumerate(spec.get("conditions") or []):
            self.condition(ctx, obj.at("spec", "conditions", index), cond)
        targets: list[str] = []
        for index, target in enumerate(spec.get("notificationTargets") or []):
            name = self.target(ctx, obj.at("spec", "notificationTargets", index), target)
            if name:
                targets.append(name)
        labels: dict[str, str] = {}
        if targets:
            labels["notification_target"] = ",".join(sorted(set(targets)))
        return PolicyParts(labels, annotations, breaching)

    def condition(self, ctx: Context, path: YamlPath, item: object) -> None:
        """Warn (once per condition) that an alert condition is not imported."""
        if not isinstance(item, Mapping):
            ctx.error(path, "a condition is a mapping: inline, or {conditionRef: name}")
            return
        if "conditionRef" in item:
            found = self.registry.resolve(
                ctx,
                (*path, "conditionRef"),
                "AlertCondition",
                item["conditionRef"],
                "alert conditions are not imported anyway (sloscope alerts with its burn-rate "
                "policy)",
            )
            if found is None:
                return
            ctx, path, item = found.ctx, found.path, found.data
        cond = item.get("spec", {})
        cond = cond.get("condition", {}) if isinstance(cond, Mapping) else {}
        if not isinstance(cond, Mapping):
            cond = {}
        what = (
            f"burn rate {cond.get('threshold')} over {cond.get('lookbackWindow')}"
            if cond.get("threshold") is not None
            else "its condition"
        )
        name = item.get("metadata", {})
        name = name.get("name") if isinstance(name, Mapping) else None
        key = object_key(ctx, path)
        if key in self._warned:  # a condition shared by several policies warns once
            return
        self._warned.add(key)
        label = f"alert condition {name!r}" if name else "alert condition"
        ctx.warn(
            path,
            f"{label} ({what}) is not imported: sloscope alerts with multi-window burn-rate "
            "policies (default 'google')",
            "define an alert policy in sloscope.yaml and set alerting.policy to match",
        )

    def target(self, ctx: Context, path: YamlPath, item: object) -> str | None:
        """The name of a notification target: inline, or ``targetRef``."""
        if not isinstance(item, Mapping):
            ctx.error(path, "a notification target is a mapping: inline, or {targetRef: name}")
            return None
        if "targetRef" in item:
            found = self.registry.resolve(
                ctx,
                (*path, "targetRef"),
                "AlertNotificationTarget",
                item["targetRef"],
                "the notification_target alert label leaves it out",
            )
            return found.name if found is not None else None
        meta = item.get("metadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("name"), str):
            return str(meta["name"])
        spec = item.get("spec")
        if isinstance(spec, Mapping) and isinstance(spec.get("target"), str):
            return str(spec["target"])
        return None


def _breaching(obj: OpenSLOObject, spec: Mapping[str, object]) -> bool:
    """Whether the policy alerts when breaching; what it asks that sloscope does not do
    is warned about."""
    if spec.get("alertWhenNoData") is True:
        obj.ctx.warn(
            obj.at("spec", "alertWhenNoData"),
            "alertWhenNoData is not supported; sloscope reports missing data in validate "
            "and report, not as alerts",
        )
    breaching = spec.get("alertWhenBreaching") is not False
    if not breaching:
        obj.ctx.warn(
            obj.at("spec", "alertWhenBreaching"),
            "alertWhenBreaching: false: SLOs with this policy are imported with alerts disabled",
        )
    return breaching


def links(annotations: dict[str, str]) -> tuple[str | None, str | None]:
    """Runbook and dashboard URLs, taken out of ``annotations``.

    The first key whose last segment is ``runbook``/``runbook_url`` (``dashboard``/
    ``dashboard_url``), ignoring case and with ``-`` read as ``_``, gives each link.
    """
    runbook = dashboard = None
    for key in list(annotations):
        last = key.rsplit("/", 1)[-1].lower().replace("-", "_")
        if last in ("runbook", "runbook_url") and runbook is None:
            runbook = annotations.pop(key)
        elif last in ("dashboard", "dashboard_url") and dashboard is None:
            dashboard = annotations.pop(key)
    return runbook, dashboard


def _merge_labels(labels: dict[str, str], more: Mapping[str, str]) -> None:
    """Add ``more`` to ``labels``; a label two policies set holds both values."""
    for key, value in more.items():
        if key in labels and labels[key] != value:
            labels[key] = ",".join(sorted({*labels[key].split(","), *value.split(",")}))
        else:
            labels[key] = value
