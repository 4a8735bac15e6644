"""The native spec's document models: the shape of ``apiVersion: sloscope/v1`` YAML.

pydantic checks types, required keys and unknown keys (``extra="forbid"``); what the
shape cannot say (objective ranges, durations, selectors, journeys, duplicates) is checked
by :mod:`sloscope.spec.native.convert`. The same models give editors a JSON Schema
(:func:`native_json_schema`, for ``yaml-language-server``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
)


def _scalar_to_str(value: object) -> object:
    """Thresholds may be written as a number (seconds) or a string (300ms)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return value


_Threshold = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}],
            "description": "Latency threshold: 300ms, 0.3s or seconds as a number.",
        }
    ),
]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class MetadataDoc(_Doc):
    """``metadata`` of a native Service."""

    name: str = Field(description="Service name, unique across all specs.")
    owner: str = Field("", description="Owning team.")
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)


class JourneyDoc(_Doc):
    """A critical user journey."""

    name: str
    description: str = ""


class RatioDoc(_Doc):
    """Good (or bad) events over total events, as PromQL series selectors."""

    good: str | None = Field(None, description="Selector of good events (or give bad).")
    bad: str | None = Field(None, description="Selector of bad events (or give good).")
    total: str = Field(description="Selector of all events.")


class LatencyDoc(_Doc):
    """Requests faster than a threshold, from a Prometheus histogram."""

    metric: str = Field(description="Selector of the histogram's base name (no _bucket).")
    threshold: _Threshold
    buckets: list[float] | None = Field(
        None, description="The histogram's bucket boundaries in seconds (optional)."
    )


class PromQLDoc(_Doc):
    """Raw PromQL with ``{{window}}``: only a Prometheus source can answer it."""

    good: str | None = None
    bad: str | None = None
    total: str | None = None
    error_ratio: str | None = None


class TimeslicesDoc(_Doc):
    """Good time slices over slices with events."""

    slice: str = Field(description="Slice length, e.g. 1m.")
    target: float = Field(description="Percent of good events that makes a slice good.")
    ratio: RatioDoc | None = None
    latency: LatencyDoc | None = None
    promql: PromQLDoc | None = None


class SLIDoc(_Doc):
    """Exactly one of ratio, latency, timeslices or promql."""

    ratio: RatioDoc | None = None
    latency: LatencyDoc | None = None
    timeslices: TimeslicesDoc | None = None
    promql: PromQLDoc | None = None


class CalendarDoc(_Doc):
    """A calendar window: ``{calendar: month, timezone: Europe/Berlin}``."""

    calendar: str = Field(description="week, month or quarter.")
    timezone: str = Field("UTC", description="IANA time zone.")
    start: str | None = Field(
        None, description="OpenSLO calendar startTime, kept for export (not evaluated)."
    )


def _window_tag(value: object) -> str | None:
    if isinstance(value, str):
        return "rolling window"
    if isinstance(value, dict):
        return "calendar window"
    return None


_WindowField = Annotated[
    Annotated[str, Tag("rolling window")] | Annotated[CalendarDoc, Tag("calendar window")],
    Discriminator(_window_tag),
]


class TierAlertDoc(_Doc):
    """One tier's alert (page or ticket): on or off, its own labels and annotations."""

    enabled: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class AlertingDoc(_Doc):
    """How an SLO alerts."""

    runbook: str | None = None
    dashboard: str | None = None
    policy: str = Field("google", description="Alert policy name.")
    enabled: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    name: str | None = Field(None, description="Alert name of both tiers (e.g. Sloth's).")
    page: TierAlertDoc = Field(default_factory=TierAlertDoc)
    ticket: TierAlertDoc = Field(default_factory=TierAlertDoc)


class SLODoc(_Doc):
    """One SLO of a native Service."""

    name: str
    journey: str | None = None
    description: str = ""
    objective: float = Field(description="Percent, e.g. 99.9.")
    window: _WindowField
    sli: SLIDoc
    alerting: AlertingDoc = Field(default_factory=AlertingDoc)
    budget_policy: str = "default"
    labels: dict[str, str] = Field(default_factory=dict)
    group_by: list[str] = Field(
        default_factory=list,
        description="Labels of the SLI's series: one SLO status per value (e.g. [route]).",
    )


class ServiceSpecDoc(_Doc):
    """``spec`` of a native Service."""

    journeys: list[JourneyDoc] = Field(default_factory=list)
    slos: list[SLODoc]


class ServiceDoc(_Doc):
    """A native ``sloscope/v1`` Service document."""

    apiVersion: Literal["sloscope/v1"]  # noqa: N815 - the YAML key
    kind: Literal["Service"]
    metadata: MetadataDoc
    spec: ServiceSpecDoc


def native_json_schema() -> dict[str, Any]:
    """JSON Schema of the native format, for editors (``yaml-language-server``)."""
    schema = ServiceDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sloscope/v1 Service"
    return schema
