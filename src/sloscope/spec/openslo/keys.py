"""The keys OpenSLO v1 defines, per kind, for the unknown-key check.

A misspelt key (``descripton``, ``budgetingMetod``, ``isRoling``) would otherwise be
dropped without a word and change what the SLO means; each is a warning with a "did you
mean" hint (:mod:`sloscope.spec.keys`). v1alpha and v2alpha documents are checked after
they are read as v1 (:mod:`~sloscope.spec.openslo.versions`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sloscope.spec.fields import Context
from sloscope.spec.keys import Schema, check_schema
from sloscope.spec.yamlpos import YamlPath

_ANY: None = None

METADATA: Schema = {
    "name": _ANY,
    "displayName": _ANY,
    "labels": _ANY,
    "annotations": _ANY,
    "namespace": _ANY,
}
_SOURCE: Schema = {"metricSourceRef": _ANY, "type": _ANY, "spec": _ANY}
_METRIC: Schema = {"metricSource": _SOURCE}
SLI_SPEC: Schema = {
    "description": _ANY,
    "thresholdMetric": _METRIC,
    "ratioMetric": {
        "counter": _ANY,
        "good": _METRIC,
        "bad": _METRIC,
        "total": _METRIC,
        "rawType": _ANY,
        "raw": _METRIC,
    },
}
_INLINE: Schema = {"apiVersion": _ANY, "kind": _ANY, "metadata": METADATA}
_SLI: Schema = {**_INLINE, "spec": SLI_SPEC}
_CONDITION_SPEC: Schema = {
    "description": _ANY,
    "severity": _ANY,
    "condition": {
        "kind": _ANY,
        "op": _ANY,
        "threshold": _ANY,
        "lookbackWindow": _ANY,
        "alertAfter": _ANY,
    },
}
_TARGET_SPEC: Schema = {"target": _ANY, "description": _ANY}
_POLICY_SPEC: Schema = {
    "description": _ANY,
    "alertWhenNoData": _ANY,
    "alertWhenResolved": _ANY,
    "alertWhenBreaching": _ANY,
    "conditions": [{**_INLINE, "conditionRef": _ANY, "spec": _CONDITION_SPEC}],
    "notificationTargets": [{**_INLINE, "targetRef": _ANY, "spec": _TARGET_SPEC}],
}
_OBJECTIVE: Schema = {
    "displayName": _ANY,
    "op": _ANY,
    "value": _ANY,
    "target": _ANY,
    "targetPercent": _ANY,
    "timeSliceTarget": _ANY,
    "timeSliceWindow": _ANY,
    "indicator": _SLI,
    "indicatorRef": _ANY,
    "compositeWeight": _ANY,
}
_SLO_SPEC: Schema = {
    "description": _ANY,
    "service": _ANY,
    "indicator": _SLI,
    "indicatorRef": _ANY,
    "budgetingMethod": _ANY,
    "timeWindow": [
        {"duration": _ANY, "isRolling": _ANY, "calendar": {"startTime": _ANY, "timeZone": _ANY}}
    ],
    "objectives": [_OBJECTIVE],
    "alertPolicies": [{**_INLINE, "alertPolicyRef": _ANY, "spec": _POLICY_SPEC}],
}

#: The spec of each kind.
SPECS: Mapping[str, Schema] = {
    "SLO": _SLO_SPEC,
    "SLI": SLI_SPEC,
    "Service": {"description": _ANY},
    "DataSource": {"description": _ANY, "type": _ANY, "connectionDetails": _ANY},
    "AlertPolicy": _POLICY_SPEC,
    "AlertCondition": _CONDITION_SPEC,
    "AlertNotificationTarget": _TARGET_SPEC,
}


#: The OpenSLO v1 kinds sloscope reads.
KINDS: tuple[str, ...] = tuple(SPECS)


def check_keys(ctx: Context, kind: str, data: Mapping[str, object], path: YamlPath = ()) -> None:
    """Warn about every key of an OpenSLO object of ``kind`` that v1 does not define."""
    schema: Schema = {"apiVersion": _ANY, "kind": _ANY, "metadata": METADATA}
    spec = SPECS.get(kind)
    if spec is not None:
        schema = {**schema, "spec": spec}
    check_schema(ctx, data, path, schema, f"an OpenSLO {kind}")
