"""OpenSLO v1 documents from SLO specs (``sloscope generate openslo``).

Per service (sorted by name) one ``Service`` document, then one ``SLO`` document per SLO
(in spec order) with its indicator inline, so the file stands alone: no ``SLI``,
``DataSource`` or ``AlertPolicy`` objects to resolve. Reading the file back with
:func:`sloscope.spec.load.load_text` gives the same services. What other OpenSLO tools
may refuse, or what sloscope reads back differently, is listed in
:attr:`OpenSLODocuments.warnings`, and :func:`render_openslo` prints them as
``# warning:`` comments on top.

How the model maps onto OpenSLO v1 (``github.com/OpenSLO/OpenSLO`` README):

- objective → ``objectives: [{target: 0.999}]`` (a fraction, written without float
  artefacts); one objective per SLO, so the import keeps the SLO's name.
- rolling window → ``timeWindow: [{duration: 28d, isRolling: true}]``; calendar window →
  ``{duration: 1w|1M|1Q, isRolling: false, calendar: {startTime: "2024-01-01 00:00:00",
  timeZone: ...}}``. 2024-01-01 is a Monday, so the start lies on a week, month and
  quarter boundary, which is where sloscope's calendar windows start anyway.
- ratio SLI → ``ratioMetric`` (``counter: true``, ``good`` or ``bad``, and ``total``),
  each ``metricSource: {type: Prometheus, spec: {query: <selector>}}``.
- latency SLI → a portable ``ratioMetric``: good ``<metric>_bucket{..., le="<threshold>"}``,
  total ``<metric>_count{...}``, with ``sloscope.dev/latency-threshold`` (and
  ``buckets``) so sloscope's import reads it back as the same latency SLI.
- PromQL SLI → ``ratioMetric`` with the queries, ``{{window}}`` replaced by the SLO
  window (``[28d]``): OpenSLO has no window template, so the exported query is one any
  tool can run; ``sloscope.dev/promql`` keeps the template, which sloscope reads back.
  An ``error_ratio`` becomes ``raw`` with ``rawType: failure``.
- time slices → ``budgetingMethod: Timeslices`` and the objective's ``timeSliceTarget``
  and ``timeSliceWindow``; every other SLO is ``Occurrences``.
- description → ``spec.description``; labels → ``metadata.labels``.

What OpenSLO has no field for is kept in ``sloscope.dev/`` annotations, which
sloscope's import reads back (:mod:`sloscope.spec.openslo.annotations`) and other
OpenSLO tools ignore:

- Service: ``sloscope.dev/owner`` (the owner; ``""`` when the service has none but
  labels ``owner`` or ``team`` that the import would otherwise take for one) and
  ``sloscope.dev/journeys``.
- SLO: ``sloscope.dev/runbook``, ``dashboard``, ``name`` (when the OpenSLO name had to
  differ), ``journey``, ``buckets``, ``budget-policy``, ``alert-policy``,
  ``alerting-enabled``, ``alert-labels`` and ``alert-annotations``.

No OpenSLO ``AlertPolicy`` is written: a valid one needs exactly one alert condition and
at least one notification target, which a sloscope SLO does not have to give, so the
alerting settings stay in annotations rather than in an invalid or invented object.
"""

from __future__ import annotations

import dataclasses
import json
import re
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
    TimeslicesSLI,
    Window,
)
from sloscope.spec.openslo.windows import CALENDAR_START
from sloscope.spec.selectors import Matcher

API_VERSION = "openslo/v1"
#: The metric source type written for every query (sloscope's queries are PromQL).
METRIC_SOURCE_TYPE = "Prometheus"
#: Prefix of the annotations that carry what OpenSLO has no field for.
ANNOTATION_PREFIX = "sloscope.dev/"
CALENDAR_DURATIONS: Mapping[str, str] = {"week": "1w", "month": "1M", "quarter": "1Q"}

#: OpenSLO descriptions hold at most this many characters.
DESCRIPTION_MAX = 1050
#: Names every OpenSLO implementation must support (RFC 1123 DNS labels).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
#: OpenSLO label keys: up to 63 characters, alphanumeric at both ends, -_. between.
_LABEL_KEY = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")
_WINDOW = "{{window}}"

_DEFAULT_ALERTING = Alerting()
#: What an SLO written without ``budget_policy`` gets (the model's default).
_DEFAULT_BUDGET_POLICY = str(
    next(f.default for f in dataclasses.fields(SLO) if f.name == "budget_policy")
)


class OpenSLODocuments(list[dict[str, Any]]):
    """Generated OpenSLO v1 documents (plain dicts, in file order) and what was lost.

    ``warnings`` says, per service or SLO, what other OpenSLO tools may refuse or what
    sloscope's OpenSLO import reads back differently; :func:`render_openslo` prints them
    as comments at the top of the file.
    """

    def __init__(self, documents: Sequence[dict[str, Any]], warnings: Sequence[str] = ()) -> None:
        super().__init__(documents)
        self.warnings: tuple[str, ...] = tuple(warnings)


def generate_openslo(services: Sequence[Service]) -> OpenSLODocuments:
    """OpenSLO v1 documents of ``services``: per service a Service, then its SLOs.

    Services are sorted by name, SLOs keep their spec order. Never raises for a spec
    that loaded: what OpenSLO cannot carry exactly is listed in
    :attr:`OpenSLODocuments.warnings` instead.
    """
    warnings: list[str] = []
    ordered = sorted(services, key=lambda s: s.name)
    names = _unique_slo_names(ordered, warnings)
    documents: list[dict[str, Any]] = []
    for service in ordered:
        documents.append(_service_document(service, warnings))
        for slo in service.slos:
            documents.append(_slo_document(service, slo, names[service.name, slo.name], warnings))
    return OpenSLODocuments(documents, warnings)


def render_openslo(documents: Sequence[Mapping[str, Any]]) -> str:
    """Multi-document YAML of generated OpenSLO documents, ``---`` between documents.

    A header comment and one ``# warning:`` comment per warning come first.
    """
    comments = ["OpenSLO v1, generated by sloscope from SLO specs; regenerate instead of editing."]
    comments.extend(f"warning: {w}" for w in getattr(documents, "warnings", ()))
    head = "".join(f"# {line}\n" for comment in comments for line in comment.splitlines())
    return head + "---\n".join(dump_yaml(doc) for doc in documents)


# --- names ------------------------------------------------------------------------------


def _unique_slo_names(
    services: Sequence[Service], warnings: list[str]
) -> dict[tuple[str, str], str]:
    """The metadata.name of every SLO: its own, unless another service's SLO has it.

    OpenSLO SLO names are unique in a file set (sloscope's import refuses a second one),
    while sloscope's are unique per service. A clash keeps the first (by service name)
    and writes the others as ``<service>-<slo>``.
    """
    taken = {slo.name for service in services for slo in service.slos}
    first: dict[str, str] = {}
    out: dict[tuple[str, str], str] = {}
    for service in services:
        for slo in service.slos:
            if slo.name not in first:
                first[slo.name] = service.name
                out[service.name, slo.name] = slo.name
                continue
            base = f"{service.name}-{slo.name}"
            name, count = base, 1
            while name in taken:
                count += 1
                name = f"{base}-{count}"
            taken.add(name)
            out[service.name, slo.name] = name
            warnings.append(
                f"{service.name}/{slo.name}: service {first[slo.name]!r} has an SLO of the "
                f"same name and OpenSLO SLO names are unique, so it is written as {name!r}; "
                f"{ANNOTATION_PREFIX}name keeps the original, which only sloscope reads"
            )
    return out


def _check_name(name: str, what: str, warnings: list[str]) -> None:
    if not _DNS_LABEL.fullmatch(name):
        warnings.append(
            f"{what} name {name!r} is not an RFC 1123 name (lowercase letters, digits and "
            "'-', at most 63 characters), the only names every OpenSLO tool must accept; "
            "sloscope reads it back"
        )


def _check_metadata(
    who: str, labels: Mapping[str, str], description: str, warnings: list[str]
) -> None:
    bad = [key for key in labels if not _LABEL_KEY.fullmatch(key)]
    if bad:
        warnings.append(
            f"{who}: label keys {', '.join(repr(k) for k in bad)} are not OpenSLO label keys "
            "(at most 63 characters, letters and digits at both ends, '-', '_', '.' "
            "between); sloscope reads them back"
        )
    if len(description) > DESCRIPTION_MAX:
        warnings.append(
            f"{who}: the description has {len(description)} characters; OpenSLO allows "
            f"{DESCRIPTION_MAX} (sloscope reads it back whole)"
        )


# --- documents --------------------------------------------------------------------------


def _service_document(service: Service, warnings: list[str]) -> dict[str, Any]:
    _check_name(service.name, "service", warnings)
    _check_metadata(f"service {service.name}", service.labels, service.description, warnings)
    metadata: dict[str, Any] = {"name": service.name}
    if service.labels:
        metadata["labels"] = dict(service.labels)
    annotations: dict[str, str] = {}
    # Without the annotation the import takes the owner from the label owner or team,
    # so an owner-less service with such a label says so with an empty owner.
    if service.owner or service.labels.get("owner") or service.labels.get("team"):
        annotations[ANNOTATION_PREFIX + "owner"] = service.owner
    if service.journeys:
        journeys = [
            {"name": j.name, **({"description": j.description} if j.description else {})}
            for j in service.journeys
        ]
        annotations[ANNOTATION_PREFIX + "journeys"] = _json(journeys)
    if annotations:
        metadata["annotations"] = annotations
    spec: dict[str, Any] = {}
    if service.description:
        spec["description"] = service.description
    return {"apiVersion": API_VERSION, "kind": "Service", "metadata": metadata, "spec": spec}


def _slo_document(service: Service, slo: SLO, name: str, warnings: list[str]) -> dict[str, Any]:
    who = f"{service.name}/{slo.name}"
    _check_name(name, f"SLO {who}:", warnings)
    _check_metadata(who, slo.labels, slo.description, warnings)
    annotations = _slo_annotations(slo, name)
    metadata: dict[str, Any] = {"name": name}
    if slo.labels:
        metadata["labels"] = dict(slo.labels)
    if annotations:
        metadata["annotations"] = annotations
    sli: SLI = slo.sli
    indicator: SliceIndicator = sli.indicator if isinstance(sli, TimeslicesSLI) else sli
    spec: dict[str, Any] = {}
    if slo.description:
        spec["description"] = slo.description
    spec["service"] = service.name
    spec["indicator"] = {
        "metadata": {"name": name},
        "spec": _indicator_spec(indicator, _range(slo.window)),
    }
    spec["timeWindow"] = [_time_window(slo.window)]
    spec["budgetingMethod"] = "Timeslices" if isinstance(sli, TimeslicesSLI) else "Occurrences"
    spec["objectives"] = [_objective(slo, indicator, who, warnings)]
    return {"apiVersion": API_VERSION, "kind": "SLO", "metadata": metadata, "spec": spec}


def _slo_annotations(slo: SLO, name: str) -> dict[str, str]:
    """The SLO's ``sloscope.dev/`` annotations: what OpenSLO has no field for."""
    out = _link_annotations(slo.alerting)
    inner = slo.sli.indicator if isinstance(slo.sli, TimeslicesSLI) else slo.sli
    if isinstance(inner, PromQLSLI):
        template = {k: v for k, v in inner._asdict().items() if v and k != "kind"}
        out[ANNOTATION_PREFIX + "promql"] = _json(template)
    out.update(_identity_annotations(slo, name))
    out.update(_alerting_annotations(slo.alerting))
    return out


def _link_annotations(alerting: Alerting) -> dict[str, str]:
    """The runbook and dashboard links of an SLO, as annotations."""
    out: dict[str, str] = {}
    if alerting.runbook:
        out[ANNOTATION_PREFIX + "runbook"] = alerting.runbook
    if alerting.dashboard:
        out[ANNOTATION_PREFIX + "dashboard"] = alerting.dashboard
    return out


def _identity_annotations(slo: SLO, name: str) -> dict[str, str]:
    """The SLO's own name, journey, latency buckets and budget policy, as annotations."""
    out: dict[str, str] = {}
    if name != slo.name:
        out[ANNOTATION_PREFIX + "name"] = slo.name
    if slo.journey is not None:
        out[ANNOTATION_PREFIX + "journey"] = slo.journey
    latency = _latency(slo.sli)
    if latency is not None:
        out[ANNOTATION_PREFIX + "latency-threshold"] = repr(_number(latency.threshold))
    buckets = _buckets(slo.sli)
    if buckets is not None:
        out[ANNOTATION_PREFIX + "buckets"] = _json([_number(b) for b in buckets])
    # Defaults are left out: the import gives them back when the annotation is absent.
    if slo.budget_policy != _DEFAULT_BUDGET_POLICY:
        out[ANNOTATION_PREFIX + "budget-policy"] = slo.budget_policy
    if slo.group_by:
        out[ANNOTATION_PREFIX + "group-by"] = _json(list(slo.group_by))
    return out


def _alerting_annotations(alerting: Alerting) -> dict[str, str]:
    """The SLO's alerting settings that differ from the defaults, as annotations."""
    out: dict[str, str] = {}
    if alerting.policy != _DEFAULT_ALERTING.policy:
        out[ANNOTATION_PREFIX + "alert-policy"] = alerting.policy
    if not alerting.enabled:
        out[ANNOTATION_PREFIX + "alerting-enabled"] = "false"
    if alerting.labels:
        out[ANNOTATION_PREFIX + "alert-labels"] = _json(dict(alerting.labels))
    if alerting.annotations:
        out[ANNOTATION_PREFIX + "alert-annotations"] = _json(dict(alerting.annotations))
    if alerting.name:
        out[ANNOTATION_PREFIX + "alert-name"] = alerting.name
    for tier, settings in (("page", alerting.page), ("ticket", alerting.ticket)):
        written: dict[str, object] = {}
        if not settings.enabled:
            written["enabled"] = False
        if settings.labels:
            written["labels"] = dict(settings.labels)
        if settings.annotations:
            written["annotations"] = dict(settings.annotations)
        if written:
            out[ANNOTATION_PREFIX + f"{tier}-alert"] = _json(written)
    return out


def _latency(sli: SLI) -> LatencySLI | None:
    inner = sli.indicator if isinstance(sli, TimeslicesSLI) else sli
    return inner if isinstance(inner, LatencySLI) else None


def _buckets(sli: SLI) -> tuple[float, ...] | None:
    latency = _latency(sli)
    return latency.buckets if latency is not None else None


# --- indicators, windows, objectives ----------------------------------------------------


def _query(text: str) -> dict[str, Any]:
    return {"metricSource": {"type": METRIC_SOURCE_TYPE, "spec": {"query": text}}}


def _range(window: Window) -> str:
    """The SLO window as a PromQL range, what ``{{window}}`` becomes in an export."""
    return format_duration(window.nominal_seconds)


def _indicator_spec(sli: SliceIndicator, window: str) -> dict[str, Any]:
    if isinstance(sli, RatioSLI):
        part = "good" if sli.good is not None else "bad"
        selector = sli.good if sli.good is not None else sli.bad
        return {
            "ratioMetric": {
                "counter": True,
                part: _query(str(selector)),
                "total": _query(str(sli.total)),
            }
        }
    if isinstance(sli, LatencySLI):
        # Portable: any OpenSLO tool can count bucket over count; the threshold
        # annotation tells sloscope's import it was a latency SLI.
        good = sli.bucket_selector.with_matcher(Matcher("le", "=", _le(sli.threshold)))
        return {
            "ratioMetric": {
                "counter": True,
                "good": _query(str(good)),
                "total": _query(str(sli.count_selector)),
            }
        }
    return _promql_spec(sli, window)


def _le(threshold: float) -> str:
    """A histogram boundary as Prometheus clients write it in ``le`` (``0.3``, ``1.0``)."""
    return repr(_number(threshold))


def _promql_spec(sli: PromQLSLI, window: str) -> dict[str, Any]:
    given = {
        key: expr
        for key, expr in (("good", sli.good), ("bad", sli.bad), ("total", sli.total))
        if expr is not None
    }
    if sli.error_ratio is not None:
        given = {"error_ratio": sli.error_ratio}
    if sli.error_ratio is not None:
        # rawType failure: the query is bad/total, what error_ratio is.
        raw = _query(_over(sli.error_ratio, window))
        return {"ratioMetric": {"rawType": "failure", "raw": raw}}
    ratio: dict[str, Any] = {"counter": True}
    ratio.update({key: _query(_over(expr, window)) for key, expr in given.items()})
    return {"ratioMetric": ratio}


def _over(expr: str, window: str) -> str:
    """A PromQL template with ``{{window}}`` replaced by the SLO window: runnable as is."""
    return expr.replace(_WINDOW, window)


def _time_window(window: Window) -> dict[str, Any]:
    if isinstance(window, CalendarWindow):
        return {
            "duration": CALENDAR_DURATIONS[window.unit],
            "isRolling": False,
            "calendar": {"startTime": window.start or CALENDAR_START, "timeZone": window.timezone},
        }
    return {"duration": format_duration(window.seconds), "isRolling": True}


def _objective(
    slo: SLO, indicator: SliceIndicator, who: str, warnings: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["target"] = _number(slo.objective)
    if isinstance(slo.sli, TimeslicesSLI):
        out["timeSliceTarget"] = _number(slo.sli.target)
        out["timeSliceWindow"] = _slice_window(slo.sli.slice_seconds, who, warnings)
    return out


def _slice_window(seconds: int, who: str, warnings: list[str]) -> str | float:
    """A slice length as OpenSLO writes it: a duration (m, h, d) or a number of minutes."""
    if seconds % 60 == 0:
        return format_duration(seconds)
    minutes = seconds / 60
    # OpenSLO durations have no seconds; a bare number is minutes. The import reads it as
    # int(minutes * 60), so use it only when that gives the seconds back exactly.
    if int(minutes * 60) == seconds:
        return minutes
    warnings.append(
        f"{who}: the slice of {seconds}s is neither whole minutes nor an exact number of "
        f"minutes; written as {seconds}s, which sloscope reads but OpenSLO durations lack"
    )
    return f"{seconds}s"


def _number(value: float) -> float:
    """A float without artefacts: 12 significant digits (``0.30000000000000004`` → ``0.3``)."""
    return float(f"{value:.12g}")


def _json(value: object) -> str:
    """Structured annotation values as compact JSON (annotations are strings)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
