"""What the generated outputs need of the names in a spec: the one owner of those rules.

``validate`` and the generators both ask here, so ``validate`` exit 0 means the rules,
their tests and the dashboards can be written: a label ``"we ird"`` or an annotation
``"weird key"`` (promtool refuses both), or a service and SLO whose names make a file
name over 255 bytes, are refused by ``validate`` with the same words ``generate`` uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from sloscope import conventions as names
from sloscope.spec.model import SLO, Origin, Service

#: A Prometheus label name (annotation names follow the same rule in promtool).
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: Labels the generated rules set themselves.
RESERVED_LABELS = frozenset(
    {
        names.LABEL_SERVICE,
        names.LABEL_SLO,
        names.LABEL_ID,
        names.LABEL_WINDOW,
        names.LABEL_TIER,
        names.LABEL_SEVERITY,
        "alertname",
    }
)
#: An alert's own labels may set ``severity``: routes match on the user's value.
RESERVED_ON_ALERTS = RESERVED_LABELS - {names.LABEL_SEVERITY}
#: The longest file name most file systems hold (ext4, APFS, NTFS: 255 bytes or units).
MAX_FILE_NAME_BYTES = 255
#: The longest suffix a generated per-SLO file gets (``generate prometheus-tests``).
LONGEST_SUFFIX = ".rules.yaml"

LABEL_HINT = "use letters, digits and '_', not starting with a digit"


def label_name_problem(key: str, reserved: frozenset[str] = RESERVED_LABELS) -> str | None:
    """Why ``key`` cannot be a label of the generated rules, or None when it can.

    >>> label_name_problem("team"), label_name_problem("we ird")
    (None, 'is not a valid Prometheus label name')
    """
    if not _LABEL_NAME.fullmatch(key):
        return "is not a valid Prometheus label name"
    if key in reserved or key.startswith("__"):
        return "is reserved for the generated rules"
    return None


def annotation_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an alert annotation's name (promtool's rule), or None."""
    if not _LABEL_NAME.fullmatch(key):
        return "is not a valid annotation name (promtool wants a label name)"
    return None


def file_name_problem(service: str, slo: str) -> str | None:
    """Why the files named for this SLO (``<service>-<slo>.rules.yaml``) cannot be
    written, or None."""
    name = names.slo_id(service, slo) + LONGEST_SUFFIX
    size = len(name.encode("utf-8"))
    if size > MAX_FILE_NAME_BYTES:
        return (
            f"the file names generated for it ({name[:40]}...{LONGEST_SUFFIX}) would be "
            f"{size} bytes, over the {MAX_FILE_NAME_BYTES} a file system allows"
        )
    return None


def output_problems(service: Service, slo: SLO) -> Iterator[tuple[Origin | None, str, str]]:
    """Every (where, message, hint) of one SLO that some output would refuse; ``where``
    is the service's origin for the service's own labels, else the SLO's."""
    alerting = slo.alerting
    labels: list[tuple[Origin | None, str, Mapping[str, str], frozenset[str]]] = [
        (service.origin, f"service {service.name!r}:", service.labels, RESERVED_LABELS),
        (slo.origin, f"SLO {slo.name!r}:", slo.labels, RESERVED_LABELS),
        (slo.origin, f"SLO {slo.name!r} alerting:", alerting.labels, RESERVED_ON_ALERTS),
    ]
    annotations = [(f"SLO {slo.name!r} alerting:", alerting.annotations)]
    for tier in ("page", "ticket"):
        what = f"SLO {slo.name!r} alerting.{tier}:"
        labels.append((slo.origin, what, alerting.tier(tier).labels, RESERVED_ON_ALERTS))
        annotations.append((what, alerting.tier(tier).annotations))
    for where, what, found, reserved in labels:
        for key in found:
            problem = label_name_problem(key, reserved)
            if problem:
                hint = LABEL_HINT if "valid" in problem else "rename the label"
                yield where, f"{what} label {key!r} {problem}", hint
    for what, keys in annotations:
        for key in keys:
            problem = annotation_key_problem(key)
            if problem:
                yield slo.origin, f"{what} annotation {key!r} {problem}", LABEL_HINT
    problem = file_name_problem(service.name, slo.name)
    if problem:
        yield slo.origin, f"SLO {slo.name!r}: {problem}", "shorten the service or SLO name"
