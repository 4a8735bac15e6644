"""The ``alerting:`` and ``adjustments:`` settings of ``sloscope.yaml``.

::

    alerting:
      interval: 1m                     # evaluation interval (default: step)
      pending_for: 0s                  # fire once the condition held this long
      resolve_after: 15m               # resolve this long after the condition stopped
      guard: {min_total: 100, min_bad: 5}   # low-traffic guard of every window
      slos:                            # per service (slo omitted) or per SLO
        - {service: checkout, depends_on: [payments]}
        - {service: search, slo: search-availability, policy: fast,
           guard: {min_total: 500, min_bad: 10}}
    adjustments:                       # excluded from the budget and from alerting
      - reason: weekly database maintenance
        matchers: ['service="checkout"']    # none: every SLO
        start: 2026-11-01T02:00:00Z
        duration: 1h                   # or end: RFC 3339
        rrule: FREQ=WEEKLY;BYDAY=SU    # RFC 5545; omit for a one-off
        kind: maintenance              # or bad-data
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sloscope.spec.durations import parse_duration
from sloscope.timeparse import parse_time

if TYPE_CHECKING:
    # Imported on first use: adjustments bring RFC 5545 rules (dateutil) and matchers
    # (RE2), which a project without adjustments never needs.
    from sloscope.alerting.adjustments import Adjustment
    from sloscope.engine.windows import TrafficGuard


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class GuardConfig(_Strict):
    """The low-traffic guard: minimum events and bad events for a window to count."""

    min_total: float = Field(default=100, ge=0, le=1e15)
    min_bad: float = Field(default=5, ge=0, le=1e15)

    def to_guard(self) -> TrafficGuard:
        """The engine's guard."""
        from sloscope.engine.windows import TrafficGuard

        return TrafficGuard(min_total=self.min_total, min_bad=self.min_bad)


def duration_or_zero(value: str) -> int:
    """A duration in seconds, where ``0``/``0s``/``0m`` mean none."""
    if value.strip() in ("0", "0s", "0m", "0h"):
        return 0
    return parse_duration(value)


class SLOAlertingConfig(_Strict):
    """Alerting settings of one service (``slo`` omitted) or one SLO."""

    service: str = Field(min_length=1)
    slo: str | None = None
    policy: str | None = None
    guard: GuardConfig | None = None
    depends_on: list[str] = Field(default_factory=list)


class AlertingConfig(_Strict):
    """How alerts live: evaluation interval, pending time, hysteresis, guard, per-SLO settings."""

    interval: str | None = None
    pending_for: str = "0s"
    resolve_after: str = "15m"
    guard: GuardConfig = Field(default_factory=GuardConfig)
    slos: list[SLOAlertingConfig] = Field(default_factory=list)

    @field_validator("interval", "pending_for", "resolve_after")
    @classmethod
    def _is_duration(cls, value: str | None) -> str | None:
        if value is not None:
            duration_or_zero(value)
        return value

    def settings(self, service: str, slo: str) -> SLOAlertingConfig | None:
        """The most specific entry for an SLO: its own, else its service's, else None."""
        own = next((e for e in self.slos if e.service == service and e.slo == slo), None)
        return own or next((e for e in self.slos if e.service == service and e.slo is None), None)

    def depends_on(self) -> dict[str, tuple[str, ...]]:
        """Service → the services it depends on (from entries without ``slo``)."""
        found: dict[str, tuple[str, ...]] = {}
        for entry in self.slos:
            if entry.depends_on:
                found[entry.service] = tuple(
                    dict.fromkeys((*found.get(entry.service, ()), *entry.depends_on))
                )
        return found


class AdjustmentConfig(_Strict):
    """A budget adjustment as written in ``sloscope.yaml`` (see ``alerting.adjustments``)."""

    reason: str = Field(min_length=1, max_length=1000)
    start: str
    duration: str | None = None
    end: str | None = None
    rrule: str | None = Field(default=None, max_length=1000)
    matchers: list[str] = Field(default_factory=list)
    kind: Literal["maintenance", "bad-data"] = "maintenance"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _yaml_times(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-11-01T02:00:00Z as a datetime; take it as written.
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return aware.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    def to_adjustment(self) -> Adjustment:
        """The pure model; :class:`ValueError` names the field that is wrong."""
        start = _time_field("start", self.start)
        end = None if self.end is None else _time_field("end", self.end)
        try:
            duration = None if self.duration is None else parse_duration(self.duration)
        except ValueError as exc:
            raise ValueError(f"duration: {exc}") from None
        from sloscope.alerting.adjustments import Adjustment

        return Adjustment.create(
            start=start,
            end=end,
            duration=duration,
            reason=self.reason,
            matchers=self.matchers,
            rrule=self.rrule,
            kind=self.kind,
        )

    @model_validator(mode="after")
    def _valid(self) -> AdjustmentConfig:
        self.to_adjustment()
        return self


def _time_field(name: str, text: str) -> int:
    if text.strip().lower() == "now":
        raise ValueError(f"{name}: write a time (RFC 3339 or Unix seconds), not 'now'")
    try:
        return parse_time(text, now=0)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
