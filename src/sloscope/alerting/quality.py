"""Backtest quality: alerts scored against a truth file of known incidents.

The truth file is JSON: ``{"incidents": [{"service": "checkout", "slo":
"place-order-availability", "start": "2026-10-03T14:00:00Z", "end": "..."}]}`` (``slo``
optional: then any SLO of the service counts). The definitions are the contract:

- an alert is *true* when it overlaps an incident of its service (and SLO, if given);
  an alert that stands for folded ones (grouped, held, inhibited) is true when any of
  them is;
- an incident is *detected* when a page or ticket alert overlaps it; detection time runs
  from the incident's start to the first overlapping alert's start;
- reset time runs from the incident's end to the resolution of the last notified alert
  that covered it (itself or a folded one overlapping it; negative when the alerts
  resolved before the incident ended);
- precision = true alerts / alerts, recall = detected incidents / incidents
  (``None`` without alerts or incidents).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sloscope.alerting.model import Alert
from sloscope.errors import ConfigError
from sloscope.timeparse import parse_time

#: Largest truth file read.
MAX_TRUTH_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Incident:
    """A known incident: ``[start, end]`` (Unix seconds) of a service, or one of its SLOs."""

    service: str
    start: int
    end: int
    slo: str | None = None

    def covers(self, service: str, slo: str) -> bool:
        """Whether an alert of ``service``/``slo`` is about this incident."""
        return service == self.service and (self.slo is None or slo == self.slo)


def _field(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}.{key}: must be a non-empty string")
    return value


def _time(data: Mapping[str, Any], key: str, where: str) -> int:
    text = _field(data, key, where)
    assert text is not None
    try:
        return parse_time(text, now=0) if text.strip().lower() != "now" else _no_now(where, key)
    except ValueError as exc:
        raise ValueError(f"{where}.{key}: {exc}") from None


def _no_now(where: str, key: str) -> int:
    raise ValueError(f"{where}.{key}: write a time, not 'now'")


def parse_truth(data: Any, known: Mapping[str, set[str]]) -> tuple[Incident, ...]:
    """Incidents from a parsed truth document; ``known`` maps each service to its SLOs.

    Raises :class:`ValueError` naming the field (``incidents[2].end``) and what is wrong.
    """
    if not isinstance(data, dict) or not isinstance(data.get("incidents"), list):
        raise ValueError('incidents: the truth file must be {"incidents": [...]}')
    extra = sorted(set(data) - {"incidents"})
    if extra:
        raise ValueError(f"{extra[0]}: unknown field; the truth file holds incidents only")
    found = []
    for index, item in enumerate(data["incidents"]):
        where = f"incidents[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be an object with service, start, end (and slo)")
        unknown = sorted(set(item) - {"service", "slo", "start", "end", "description"})
        if unknown:
            raise ValueError(
                f"{where}.{unknown[0]}: unknown field; known: service, slo, start, end"
            )
        service = _field(item, "service", where)
        slo = _field(item, "slo", where, required=False)
        assert service is not None
        if service not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ValueError(
                f"{where}.service: no service {service!r} in the specs (known: {names})"
            )
        if slo is not None and slo not in known[service]:
            names = ", ".join(sorted(known[service]))
            raise ValueError(
                f"{where}.slo: service {service!r} has no SLO {slo!r} (known: {names})"
            )
        start, end = _time(item, "start", where), _time(item, "end", where)
        if end <= start:
            raise ValueError(f"{where}.end: must be after start (the times are inverted)")
        found.append(Incident(service, start, end, slo))
    return tuple(found)


def load_truth(path: Path, known: Mapping[str, set[str]]) -> tuple[Incident, ...]:
    """Read and check a truth file; :class:`ConfigError` names the file and the field."""
    try:
        if path.stat().st_size > MAX_TRUTH_BYTES:
            raise ConfigError(f"{path}: larger than 10 MiB; is this a truth file?")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such truth file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}; the truth file is "
            '{"incidents": [{"service": ..., "slo": ..., "start": ..., "end": ...}]}'
        ) from None
    try:
        return parse_truth(data, known)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class Quality:
    """How alerts compare with the truth (see the module docstring)."""

    precision: float | None
    recall: float | None
    detection_seconds_median: float | None
    reset_seconds_median: float | None
    missed: tuple[Incident, ...]
    false_alerts: tuple[Alert, ...]
    detected: int
    incidents: int


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _overlaps(incident: Incident, service: str, slo: str, start: int, last: int) -> bool:
    """Whether an alert firing at ``start``..``last`` is about ``incident`` and overlaps it."""
    return incident.covers(service, slo) and start <= incident.end and incident.start <= last


#: One alert or folded alert, by service: ``(slo, start, last, notified key, resolved at)``.
_Members = dict[str, list[tuple[str, int, int, str, int]]]


def _members(alerts: Sequence[Alert]) -> _Members:
    found: _Members = {}
    for a in alerts:
        for service, slo, _, start, last in a.members():
            found.setdefault(service, []).append((slo, start, last, a.key, a.resolved_at))
    return found


def _hits(incident: Incident, members: _Members) -> list[tuple[int, str, int]]:
    """``(start, notified key, resolved)`` of every alert or folded alert covering ``incident``."""
    return [
        (start, key, resolved)
        for slo, start, last, key, resolved in members.get(incident.service, ())
        if _overlaps(incident, incident.service, slo, start, last)
    ]


def score(alerts: Sequence[Alert], incidents: Sequence[Incident]) -> Quality:
    """Score notified ``alerts`` (with their folded members) against ``incidents``."""
    members = _members(alerts)
    true_keys: set[str] = set()
    detections, resets, missed = [], [], []
    for incident in incidents:
        hits = _hits(incident, members)
        true_keys.update(key for _, key, _ in hits)
        if not hits:
            missed.append(incident)
            continue
        detections.append(min(s for s, _, _ in hits) - incident.start)
        resets.append(max(r for _, _, r in hits) - incident.end)
    return Quality(
        precision=len(true_keys) / len(alerts) if alerts else None,
        recall=(len(incidents) - len(missed)) / len(incidents) if incidents else None,
        detection_seconds_median=_median(detections),
        reset_seconds_median=_median(resets),
        missed=tuple(missed),
        false_alerts=tuple(a for a in alerts if a.key not in true_keys),
        detected=len(incidents) - len(missed),
        incidents=len(incidents),
    )
