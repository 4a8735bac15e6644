"""The one plain model every spec format loads into.

Native ``sloscope/v1`` YAML, OpenSLO v1 and Sloth files are parsed and validated at the
edge (``spec/native/``, ``spec/openslo/``, ``spec/sloth/``) and produce these frozen
objects; nothing past the loaders knows which format a spec came from.

Units inside the model: objectives and targets are fractions (``0.999``), durations and
thresholds are seconds. Specs write percents (``objective: 99.9``) and durations (``28d``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from sloscope.spec.durations import format_duration
from sloscope.spec.selectors import Selector

CalendarUnit = Literal["week", "month", "quarter"]

#: Nominal length of calendar windows, used where a length is needed for a factor
#: (burn-rate alert factors); the budget itself is always the real period.
CALENDAR_NOMINAL_SECONDS: Mapping[str, int] = {
    "week": 7 * 86400,
    "month": 30 * 86400,
    "quarter": 90 * 86400,
}


class Origin(NamedTuple):
    """Where a model object was written: file and 1-based line (0: unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


# --- SLIs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioSLI:
    """Good events over total events. Exactly one of ``good`` and ``bad`` is set."""

    total: Selector
    good: Selector | None = None
    bad: Selector | None = None
    kind: Literal["ratio"] = "ratio"

    def __post_init__(self) -> None:
        if (self.good is None) == (self.bad is None):
            raise ValueError("a ratio SLI needs exactly one of good and bad")


class LatencySLI(NamedTuple):
    """Requests faster than a threshold, from a Prometheus histogram.

    Good is the ``{metric}_bucket{le="<threshold>"}`` counter, total the
    ``{metric}_count`` counter (the ``le="+Inf"`` bucket). ``buckets``, when the spec
    declares them, are the histogram's boundaries and the threshold must be one of them.
    """

    metric: Selector
    threshold: float
    buckets: tuple[float, ...] | None = None
    kind: Literal["latency"] = "latency"

    @property
    def bucket_selector(self) -> Selector:
        """The selector of the histogram's bucket series (without the ``le`` matcher)."""
        return self.metric.with_metric(self.metric.metric + "_bucket")

    @property
    def count_selector(self) -> Selector:
        """The selector of the histogram's ``_count`` series (all requests)."""
        return self.metric.with_metric(self.metric.metric + "_count")


class PromQLSLI(NamedTuple):
    """Raw PromQL, for Prometheus-only SLIs. ``{{window}}`` is replaced by a range.

    Either ``error_ratio`` alone, or ``total`` with one of ``good`` and ``bad``; each an
    expression giving the number of events over ``{{window}}`` (e.g. ``sum(increase(...))``).
    """

    good: str | None = None
    bad: str | None = None
    total: str | None = None
    error_ratio: str | None = None
    kind: Literal["promql"] = "promql"


#: What a timeslices SLI judges each slice with.
SliceIndicator = RatioSLI | LatencySLI | PromQLSLI


class TimeslicesSLI(NamedTuple):
    """Good time slices over all slices with events.

    A slice (``slice_seconds`` long) is good when its ratio of good events is at least
    ``target`` (a fraction). Slices without events count neither way.
    """

    indicator: SliceIndicator
    slice_seconds: int
    target: float
    kind: Literal["timeslices"] = "timeslices"


SLI = RatioSLI | LatencySLI | PromQLSLI | TimeslicesSLI


# --- windows ----------------------------------------------------------------------------


class RollingWindow(NamedTuple):
    """A rolling window: the last ``seconds`` before the evaluation time."""

    seconds: int
    kind: Literal["rolling"] = "rolling"

    @property
    def label(self) -> str:
        """How the window is written (``28d``)."""
        return format_duration(self.seconds)

    @property
    def nominal_seconds(self) -> int:
        """The window's length, for burn-rate factors."""
        return self.seconds


class CalendarWindow(NamedTuple):
    """A calendar window: from the start of the current week/month/quarter in ``timezone``.

    Weeks start on Monday (ISO 8601). ``start`` is an OpenSLO ``calendar.startTime`` as
    written (``2025-01-06 00:00:00``), kept so an export writes it back; evaluation does
    not use it.
    """

    unit: CalendarUnit
    timezone: str = "UTC"
    start: str | None = None
    kind: Literal["calendar"] = "calendar"

    @property
    def label(self) -> str:
        """How the window is written (``month``, or ``month@Europe/Berlin``)."""
        return self.unit if self.timezone == "UTC" else f"{self.unit}@{self.timezone}"

    @property
    def nominal_seconds(self) -> int:
        """Nominal length (week 7d, month 30d, quarter 90d), for burn-rate factors."""
        return CALENDAR_NOMINAL_SECONDS[self.unit]


Window = RollingWindow | CalendarWindow


# --- alerting and the SLO ---------------------------------------------------------------


@dataclass(frozen=True)
class TierAlert:
    """One tier's alert (page or ticket): on or off, and its own labels and annotations.

    They are added over the SLO's alerting labels and annotations, so an imported
    Sloth ``page_alert: {labels: {severity: critical}}`` keeps routing as it did.
    """

    enabled: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Alerting:
    """How an SLO alerts: which alert policy, where the runbook is, extra labels.

    ``policy`` names an alert policy of the project config (default ``google``: the SRE
    workbook's multi-window multi-burn-rate table). ``enabled=False`` keeps the SLO in
    reports and gates but generates no alerts. ``name`` replaces the alert name of both
    tiers (Sloth's ``alerting.name``: page and ticket share it, told apart by labels);
    ``page`` and ``ticket`` turn one tier off or add labels and annotations to it.
    """

    runbook: str | None = None
    dashboard: str | None = None
    policy: str = "google"
    enabled: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    page: TierAlert = field(default_factory=TierAlert)
    ticket: TierAlert = field(default_factory=TierAlert)

    def tier(self, tier: str) -> TierAlert:
        """The page or ticket alert's settings."""
        return self.page if tier == "page" else self.ticket


class PolicyRow(NamedTuple):
    """One row of an alert policy a spec file brings, as sloscope.yaml writes rows."""

    severity: Literal["page", "ticket"]
    budget_percent: float
    long: str
    short: str


@dataclass(frozen=True)
class SpecAlertPolicy:
    """An alert policy that comes with spec files rather than sloscope.yaml: Sloth's
    ``AlertWindows``, slo-generator's error-budget policy steps. SLOs name it in
    ``alerting.policy`` like any other; the engine builds the table from ``rows``."""

    name: str
    rows: tuple[PolicyRow, ...]
    description: str = ""
    origin: Origin | None = field(default=None, compare=False)

    def as_mapping(self) -> dict[str, object]:
        """The policy as sloscope.yaml's ``alert_policies`` writes one."""
        return {
            "name": self.name,
            "description": self.description,
            "windows": [
                {
                    "severity": r.severity,
                    "budget_percent": r.budget_percent,
                    "long": r.long,
                    "short": r.short,
                }
                for r in self.rows
            ],
        }


class Journey(NamedTuple):
    """A critical user journey of a service."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class SLO:
    """One objective for one SLI over one window.

    ``group_by`` names labels of the SLI's series: a grouped SLO has one status per value
    of those labels (``route="/orders"``), an absent label reading as ``""`` as in
    Prometheus. Empty: one status over all series.
    """

    name: str
    objective: float
    window: Window
    sli: SLI
    journey: str | None = None
    description: str = ""
    alerting: Alerting = field(default_factory=Alerting)
    budget_policy: str = "default"
    labels: Mapping[str, str] = field(default_factory=dict)
    origin: Origin | None = field(default=None, compare=False)
    group_by: tuple[str, ...] = ()

    @property
    def error_budget(self) -> float:
        """The budget as a fraction of events: ``1 - objective``.

        Rounded to 12 significant digits, so 99.9% gives exactly 0.001 (the engine does
        the same), not the float artefact 0.0010000000000000009.
        """
        return float(f"{1.0 - self.objective:.12g}")


@dataclass(frozen=True)
class Service:
    """A deployable unit with an owner, its journeys and its SLOs."""

    name: str
    slos: tuple[SLO, ...]
    owner: str = ""
    description: str = ""
    journeys: tuple[Journey, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    origin: Origin | None = field(default=None, compare=False)

    def slo(self, name: str) -> SLO | None:
        """The SLO of this name, or None."""
        return next((s for s in self.slos if s.name == name), None)
