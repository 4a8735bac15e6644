"""Deployment and incident settings as written in ``sloscope.yaml`` (``events:``).

::

    events:
      failure_window: 1h       # an incident or page within this after a deploy fails it
      repeat_window: 30d       # same SLO and cause tag within this: a repeat incident
      priorities:              # most severe first; an incident's largest SLO impact decides
        - {priority: P1, budget_percent: 20}
        - {priority: P2, budget_percent: 5}
        - {priority: P3, budget_percent: 1}
      lowest_priority: P4
      open_on_page: false      # a page opens an incident (once per burn)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sloscope.events.defaults import (
    DEFAULT_FAILURE_WINDOW,
    DEFAULT_LOWEST_PRIORITY,
    DEFAULT_PRIORITY_SHARES,
    DEFAULT_REPEAT_WINDOW,
)
from sloscope.spec.durations import format_duration, parse_duration

if TYPE_CHECKING:
    from sloscope.events.priority import PriorityRule


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class PriorityConfig(_Strict):
    """One priority rule: ``priority`` from ``budget_percent`` of an SLO's budget."""

    priority: str = Field(min_length=1, max_length=32)
    budget_percent: float = Field(gt=0, le=1000)


class EventsConfig(_Strict):
    """How deployments and incidents are judged."""

    failure_window: str = format_duration(DEFAULT_FAILURE_WINDOW)
    repeat_window: str = format_duration(DEFAULT_REPEAT_WINDOW)
    priorities: list[PriorityConfig] = Field(
        default_factory=lambda: [
            PriorityConfig(priority=name, budget_percent=round(share * 100, 12))
            for name, share in DEFAULT_PRIORITY_SHARES
        ],
        min_length=1,
    )
    lowest_priority: str = Field(default=DEFAULT_LOWEST_PRIORITY, min_length=1, max_length=32)
    #: Whether a page opens an incident automatically (once per burn).
    open_on_page: bool = False

    @field_validator("failure_window", "repeat_window")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("priorities")
    @classmethod
    def _most_severe_first(cls, value: list[PriorityConfig]) -> list[PriorityConfig]:
        shares = [p.budget_percent for p in value]
        if shares != sorted(shares, reverse=True) or len(set(shares)) != len(shares):
            raise ValueError(
                "list priorities most severe first, each at a lower budget_percent than the "
                "one before (P1 at 20, P2 at 5, ...)"
            )
        names = [p.priority for p in value]
        if len(set(names)) != len(names):
            raise ValueError("each priority is listed once")
        return value

    @property
    def failure_window_seconds(self) -> int:
        """The failure window in seconds."""
        return parse_duration(self.failure_window)

    @property
    def repeat_window_seconds(self) -> int:
        """The repeat window in seconds."""
        return parse_duration(self.repeat_window)

    def priority_rules(self) -> tuple[PriorityRule, ...]:
        """The rules as fractions, most severe first."""
        # Here, not at the top: reading the settings needs none of the figures' modules.
        from sloscope.events.priority import PriorityRule

        return tuple(
            PriorityRule(p.priority, round(p.budget_percent / 100.0, 12)) for p in self.priorities
        )
