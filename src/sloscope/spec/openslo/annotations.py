"""The ``sloscope.dev/`` annotations: what OpenSLO has no field for, read back.

``sloscope generate openslo`` keeps what OpenSLO cannot say in annotations (annotation
values are strings, so structured values are compact JSON). This module reads them back
and checks them, with problems at the annotation's line (and, for JSON, at the character
where it goes wrong):

On an SLO:

============================== ========================================================
``sloscope.dev/name``          the SLO's name in sloscope, when OpenSLO's had to differ
``sloscope.dev/journey``       the journey (declared in the Service's journeys)
``sloscope.dev/buckets``       a latency SLI's histogram buckets: ``[0.1,0.3,1.0]``
``sloscope.dev/latency-threshold`` a latency SLI exported as a ``ratioMetric``
                               (good ``_bucket{le=...}``, total ``_count``): its threshold
                               in seconds, read back as the latency SLI it was
``sloscope.dev/promql``        a PromQL SLI's queries with their ``{{window}}`` template
                               (``{"bad":"...","total":"..."}``): exports run the queries
                               over the SLO window, sloscope reads the template back
``sloscope.dev/budget-policy`` the budget policy's name (one of sloscope.yaml)
``sloscope.dev/alert-policy``  the alert policy's name (one of sloscope.yaml)
``sloscope.dev/alerting-enabled`` ``true`` or ``false``
``sloscope.dev/alert-labels``  ``{"team":"payments"}``
``sloscope.dev/alert-annotations`` ``{"summary":"Orders fail"}``
``sloscope.dev/alert-name``    the alert name of both tiers (an imported Sloth name)
``sloscope.dev/page-alert``    the page alert's own settings:
                               ``{"enabled":false,"labels":{...},"annotations":{...}}``
``sloscope.dev/ticket-alert``  the same for the ticket alert
``sloscope.dev/runbook``       the runbook URL
``sloscope.dev/dashboard``     the dashboard URL
``sloscope.dev/group-by``      a grouped SLO's labels: ``["route"]`` (one status per value)
============================== ========================================================

On a Service: ``sloscope.dev/journeys`` (``[{"name":"pay","description":"..."}]``) and
``sloscope.dev/owner`` (the owner, over the labels ``owner`` and ``team``).

Another ``sloscope.dev/`` annotation is a warning (a typo, or a newer sloscope's), not an
error. Annotations of other prefixes are not read here: the SLO's keep their handling
(runbook and dashboard links, see :mod:`~sloscope.spec.openslo.alerts`).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sloscope.spec import fields
from sloscope.spec.buckets import declared_buckets
from sloscope.spec.fields import Context
from sloscope.spec.model import Journey, TierAlert
from sloscope.spec.yamlpos import YamlPath

PREFIX = "sloscope.dev/"
NAME, JOURNEY, BUCKETS = PREFIX + "name", PREFIX + "journey", PREFIX + "buckets"
BUDGET_POLICY, ALERT_POLICY = PREFIX + "budget-policy", PREFIX + "alert-policy"
ALERTING_ENABLED = PREFIX + "alerting-enabled"
ALERT_LABELS, ALERT_ANNOTATIONS = PREFIX + "alert-labels", PREFIX + "alert-annotations"
RUNBOOK, DASHBOARD = PREFIX + "runbook", PREFIX + "dashboard"
JOURNEYS, OWNER = PREFIX + "journeys", PREFIX + "owner"
LATENCY_THRESHOLD = PREFIX + "latency-threshold"
PROMQL = PREFIX + "promql"
GROUP_BY = PREFIX + "group-by"
ALERT_NAME, PAGE_ALERT, TICKET_ALERT = (
    PREFIX + "alert-name",
    PREFIX + "page-alert",
    PREFIX + "ticket-alert",
)

#: The annotations sloscope reads, by the kind of object that carries them.
KNOWN: Mapping[str, tuple[str, ...]] = {
    "SLO": (
        NAME,
        JOURNEY,
        BUCKETS,
        LATENCY_THRESHOLD,
        PROMQL,
        BUDGET_POLICY,
        ALERT_POLICY,
        ALERTING_ENABLED,
        ALERT_LABELS,
        ALERT_ANNOTATIONS,
        ALERT_NAME,
        PAGE_ALERT,
        TICKET_ALERT,
        RUNBOOK,
        DASHBOARD,
        GROUP_BY,
    ),
    "Service": (JOURNEYS, OWNER),
}


@dataclass(frozen=True)
class Annotations:
    """The ``sloscope.dev/`` annotations of one object that were given and are valid.

    ``paths`` says where each given one was written (valid or not), for later checks
    that need the rest of the file (a journey's declaration, a bucket's threshold).
    ``others`` holds the SLO's annotations of other prefixes, as strings.
    """

    values: Mapping[str, object] = field(default_factory=dict)
    paths: Mapping[str, YamlPath] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)

    def text(self, key: str) -> str | None:
        """A valid string-valued annotation, or None."""
        value = self.values.get(key)
        return value if isinstance(value, str) else None

    def string_map(self, key: str) -> dict[str, str] | None:
        """A valid JSON-object annotation (labels, annotations), or None."""
        value = self.values.get(key)
        return dict(value) if isinstance(value, dict) else None

    @property
    def alerting_enabled(self) -> bool | None:
        """``sloscope.dev/alerting-enabled``, or None when not given (or invalid)."""
        value = self.values.get(ALERTING_ENABLED)
        return value if isinstance(value, bool) else None

    @property
    def buckets(self) -> tuple[float, ...] | None:
        """``sloscope.dev/buckets``, or None when not given (or invalid)."""
        value = self.values.get(BUCKETS)
        return value if isinstance(value, tuple) else None

    def tier_alert(self, key: str) -> TierAlert | None:
        """``sloscope.dev/page-alert`` or ``ticket-alert``, or None when not given."""
        value = self.values.get(key)
        return value if isinstance(value, TierAlert) else None

    @property
    def latency_threshold(self) -> float | None:
        """``sloscope.dev/latency-threshold`` in seconds, or None when not given (or invalid)."""
        value = self.values.get(LATENCY_THRESHOLD)
        return value if isinstance(value, float) else None

    @property
    def group_by(self) -> tuple[str, ...]:
        """``sloscope.dev/group-by``, or ``()`` when not given (or invalid)."""
        value = self.values.get(GROUP_BY)
        return value if isinstance(value, tuple) else ()

    @property
    def journeys(self) -> tuple[Journey, ...] | None:
        """``sloscope.dev/journeys``, or None when not given (or invalid)."""
        value = self.values.get(JOURNEYS)
        return value if isinstance(value, tuple) else None


def read_annotations(
    ctx: Context, path: YamlPath, value: object, kind: Literal["SLO", "Service"]
) -> Annotations:
    """Read and check the ``sloscope.dev/`` annotations of an SLO or Service.

    For an SLO, the other annotations are read as before (strings; problems as
    :func:`~sloscope.spec.fields.string_map` reports them); a Service's are not read.
    """
    if not isinstance(value, Mapping):
        as_before = fields.string_map(ctx, path, value, "annotation") if kind == "SLO" else {}
        return Annotations(others=as_before)
    ours = {k: v for k, v in value.items() if isinstance(k, str) and k.startswith(PREFIX)}
    others: dict[str, str] = {}
    if kind == "SLO":
        rest = {k: v for k, v in value.items() if k not in ours}
        others = fields.string_map(ctx, path, rest, "annotation")
    values, paths = _read_ours(ctx, path, ours, kind)
    return Annotations(values, paths, others)


def _read_ours(
    ctx: Context, path: YamlPath, ours: Mapping[str, object], kind: Literal["SLO", "Service"]
) -> tuple[dict[str, object], dict[str, YamlPath]]:
    """The ``sloscope.dev/`` annotations read (those without error), and where each is."""
    values: dict[str, object] = {}
    paths: dict[str, YamlPath] = {}
    for key, raw in ours.items():
        at = (*path, key)
        if key not in KNOWN[kind]:
            _unknown(ctx, at, key, kind)
            continue
        paths[key] = at
        text = _scalar_text(ctx, at, key, raw)
        if text is None:
            continue
        converted = _READERS[key](ctx, at, key, text)
        if converted is not None:
            values[key] = converted
    return values, paths


def _unknown(ctx: Context, path: YamlPath, key: str, kind: str) -> None:
    other = "Service" if kind == "SLO" else "SLO"
    if key in KNOWN[other]:
        ctx.warn(
            path,
            f"{key} is read on an OpenSLO {other}, not on an {kind}; ignored",
            f"move it to the {other}'s metadata.annotations",
            at_key=True,
        )
        return
    close = difflib.get_close_matches(key, KNOWN[kind], n=1)
    ctx.warn(
        path,
        f"unknown annotation {key!r}; sloscope does not read it"
        + (f" (did you mean {close[0]!r}?)" if close else ""),
        f"sloscope reads on an {kind}: {', '.join(KNOWN[kind])}",
        at_key=True,
    )


def _scalar_text(ctx: Context, path: YamlPath, key: str, raw: object) -> str | None:
    """The annotation's value as a string, as OpenSLO means it (numbers and booleans too)."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str | int | float):
        return str(raw)
    if raw is None:
        return ""
    ctx.error(
        path,
        f"annotation {key!r} must be a string",
        "OpenSLO annotations are strings; write structured values as JSON in quotes, "
        "e.g. '[0.1,0.3,1]'",
    )
    return None


# --- one reader per annotation ----------------------------------------------------------


def _text(ctx: Context, path: YamlPath, key: str, text: str) -> str:
    del ctx, path, key  # any text: a URL or an owner's name
    return text


def _name(ctx: Context, path: YamlPath, key: str, text: str) -> str | None:
    what = {JOURNEY: "journey", ALERT_NAME: "alert"}.get(key, "SLO")
    return text if fields.check_name(ctx, path, text, what) else None


def _policy(ctx: Context, path: YamlPath, key: str, text: str) -> str | None:
    what, example = ("a budget", "default") if key == BUDGET_POLICY else ("an alert", "google")
    if text.strip() and text == text.strip() and "\n" not in text:
        return text
    ctx.error(
        path,
        f"{key} must be the name of {what} policy, got {text!r}",
        f"write the name of {what} policy of sloscope.yaml (no spaces around it), e.g. {example}",
    )
    return None


def _enabled(ctx: Context, path: YamlPath, key: str, text: str) -> bool | None:
    word = text.strip().lower()
    if word in ("true", "false"):
        return word == "true"
    ctx.error(
        path,
        f"{key} must be true or false, got {text!r}",
        "false keeps the SLO in reports and gates but generates no alerts",
    )
    return None


def _buckets(ctx: Context, path: YamlPath, key: str, text: str) -> tuple[float, ...] | None:
    found, value = _json(ctx, path, key, text, "[0.1,0.3,1]")
    if not found:
        return None
    numbers = value if isinstance(value, list) else []
    if not numbers or not all(_is_number(v) for v in numbers):
        ctx.error(
            path,
            f"{key} must be a JSON list of numbers (seconds), got {text!r}",
            "list the histogram's le boundaries in seconds, e.g. [0.1,0.3,1]",
        )
        return None
    buckets = declared_buckets(numbers)
    if buckets is None:
        ctx.error(
            path,
            f"{key}: buckets must be positive and increasing, each once, got {text!r}",
            "list the histogram's le boundaries in seconds, e.g. [0.1,0.3,1]",
        )
        return None
    return buckets


def _threshold(ctx: Context, path: YamlPath, key: str, text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        ctx.error(path, f"{key} must be a positive number of seconds, got {text!r}")
        return None
    return value


def _group_by(ctx: Context, path: YamlPath, key: str, text: str) -> tuple[str, ...] | None:
    found, value = _json(ctx, path, key, text, '["route"]')
    if not found:
        return None
    if not isinstance(value, list) or not value:
        ctx.error(path, f"{key} must be a JSON list of label names, got {text!r}", 'e.g. ["route"]')
        return None
    return fields.group_by(ctx, path, value)


def _string_map(ctx: Context, path: YamlPath, key: str, text: str) -> dict[str, str] | None:
    found, value = _json(ctx, path, key, text, '{"team":"payments"}')
    if not found:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        ctx.error(
            path,
            f"{key} must be a JSON object of strings, got {text!r}",
            'write e.g. {"team":"payments"}',
        )
        return None
    return value


def _tier_alert(ctx: Context, path: YamlPath, key: str, text: str) -> TierAlert | None:
    found, value = _json(ctx, path, key, text, '{"enabled":false}')
    if not found:
        return None
    hint = 'write e.g. {"enabled":true,"labels":{"severity":"critical"},"annotations":{}}'
    if not _is_tier_alert(value):
        ctx.error(path, f"{key} must be a JSON object of enabled, labels, annotations", hint)
        return None
    assert isinstance(value, dict)
    return TierAlert(
        enabled=value.get("enabled", True),
        labels=dict(value.get("labels", {})),
        annotations=dict(value.get("annotations", {})),
    )


def _is_tier_alert(value: object) -> bool:
    if not isinstance(value, dict) or not set(value) <= {"enabled", "labels", "annotations"}:
        return False
    maps = [value.get(k, {}) for k in ("labels", "annotations")]
    return isinstance(value.get("enabled", True), bool) and all(
        isinstance(m, dict) and all(isinstance(v, str) for v in m.values()) for m in maps
    )


def _journeys(ctx: Context, path: YamlPath, key: str, text: str) -> tuple[Journey, ...] | None:
    found, value = _json(ctx, path, key, text, '[{"name":"place-order"}]')
    if not found:
        return None
    hint = 'write e.g. [{"name":"place-order","description":"Customer orders"},{"name":"pay"}]'
    if not isinstance(value, list):
        ctx.error(path, f"{key} must be a JSON list of journeys, got {text!r}", hint)
        return None
    out: list[Journey] = []
    for index, item in enumerate(value):
        journey = _journey(ctx, path, f"{key} item {index + 1}", item, hint)
        if journey is None:
            return None
        if journey.name in {j.name for j in out}:
            ctx.error(path, f"{key}: duplicate journey name {journey.name!r}", "rename one")
            return None
        out.append(journey)
    return tuple(out)


def _journey(ctx: Context, path: YamlPath, where: str, item: object, hint: str) -> Journey | None:
    """One journey of the JSON list; None after an error (at the annotation)."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        ctx.error(path, f"{where} must be an object with a name, got {item!r}", hint)
        return None
    extra = sorted(set(item) - {"name", "description"})
    if extra:
        ctx.error(path, f"{where} has unknown keys {', '.join(extra)}", hint)
        return None
    description = item.get("description", "")
    if not isinstance(description, str):
        ctx.error(path, f"{where}: description must be a string", hint)
        return None
    if not fields.check_name(ctx, path, item["name"], "journey"):
        return None
    return Journey(item["name"], description)


_Reader = Callable[[Context, YamlPath, str, str], object]

_READERS: Mapping[str, _Reader] = {
    NAME: _name,
    JOURNEY: _name,
    BUCKETS: _buckets,
    LATENCY_THRESHOLD: _threshold,
    PROMQL: _string_map,
    BUDGET_POLICY: _policy,
    ALERT_POLICY: _policy,
    ALERTING_ENABLED: _enabled,
    ALERT_LABELS: _string_map,
    ALERT_ANNOTATIONS: _string_map,
    ALERT_NAME: _name,
    PAGE_ALERT: _tier_alert,
    TICKET_ALERT: _tier_alert,
    RUNBOOK: _text,
    DASHBOARD: _text,
    JOURNEYS: _journeys,
    OWNER: _text,
    GROUP_BY: _group_by,
}


# --- JSON -------------------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _json(ctx: Context, path: YamlPath, key: str, text: str, example: str) -> tuple[bool, object]:
    """(True, value) of JSON text; (False, None) after an error at the offending character."""
    try:
        return True, json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        ctx.error_at(
            ctx.doc.char_pos(path, exc.pos),
            f"{key} is not valid JSON: {exc.msg} (at character {exc.pos + 1})",
            f"write JSON, e.g. {example} (in quotes, so YAML keeps it a string)",
        )
    except _DuplicateKeyError as exc:
        ctx.error(path, f"{key} gives the key {exc.key!r} twice", "keep one")
    return False, None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
