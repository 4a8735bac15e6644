"""What a notification says, whatever the channel.

One :class:`Notification` per alert transition (firing or resolved). Every channel
renders the same facts: the SLO and its journey, severity, burn rate and the windows that
saw it, budget consumed and remaining, the projected exhaustion time, runbook and
dashboard links, and the related alerts it grouped or held. It is a pydantic model so the
outbox can store it as JSON and read it back checked.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sloscope import conventions as names

Transition = Literal["firing", "resolved"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BurnWindow(_Frozen):
    """One window pair of the alert policy: long and short window, threshold, what burned."""

    long: str
    short: str
    factor: float = Field(ge=0)
    long_burn_rate: float | None = None
    short_burn_rate: float | None = None


class RelatedAlert(_Frozen):
    """Another alert this notification speaks for: grouped into it, or held behind it."""

    service: str
    slo: str
    severity: str
    relation: Literal["grouped", "held"]
    reason: str = ""


class Notification(_Frozen):
    """One alert transition to tell people about.

    Fractions (``budget_consumed``, ``budget_remaining``) are of the SLO's error budget:
    0.25 is a quarter of it. Times are Unix seconds.
    """

    service: str
    slo: str
    journey: str | None = None
    severity: str
    transition: Transition
    at: int
    started_at: int
    dedup_key: str
    burn_rate: float = Field(ge=0)
    windows: tuple[BurnWindow, ...] = ()
    objective: float | None = None
    budget_consumed: float | None = None
    budget_remaining: float | None = None
    exhaustion_at: int | None = None
    runbook_url: str | None = None
    dashboard_url: str | None = None
    related: tuple[RelatedAlert, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    test: bool = False

    @property
    def slo_id(self) -> str:
        """The SLO's ``sloscope_id``."""
        return names.slo_id(self.service, self.slo)

    def routing_labels(self) -> dict[str, str]:
        """The labels routes and silences match: the alert's own plus its identity."""
        found = dict(self.labels)
        found.update(
            {
                "service": self.service,
                "slo": self.slo,
                "severity": self.severity,
                names.LABEL_SERVICE: self.service,
                names.LABEL_SLO: self.slo,
                names.LABEL_ID: self.slo_id,
                names.LABEL_TIER: self.severity,
            }
        )
        if self.journey:
            found["journey"] = self.journey
        return found

    def to_payload(self) -> dict[str, Any]:
        """As stored in the outbox (plain JSON)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Notification:
        """Read an outbox payload back (raises pydantic's ValidationError when damaged)."""
        return cls.model_validate(payload)


def sample_notification(at: int) -> Notification:
    """A clearly marked test message (``notify test``): what a real page looks like."""
    return Notification(
        service="sloscope",
        slo="notification-test",
        journey="notification test",
        severity="page",
        transition="firing",
        at=at,
        started_at=at,
        dedup_key=f"sloscope-notification-test-{at}",
        burn_rate=14.4,
        windows=(BurnWindow(long="1h", short="5m", factor=14.4),),
        budget_consumed=0.02,
        budget_remaining=0.98,
        annotations={"summary": "sloscope test notification: no action needed"},
        test=True,
    )
