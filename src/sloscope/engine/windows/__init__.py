"""Alert window tables and burn-rate factors.

Tables are data files beside this module (``google.yaml``), as Sloth keeps them: each row
says which share of the error budget an alert spends within its long window. The factor
is derived from the SLO's own window, never hard-coded::

    factor = budget_percent / 100 * slo_window / long_window

so 2% of a 30-day budget in 1h is 14.4, and of a 28-day budget 13.44.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml

from sloscope.spec.durations import format_duration, parse_duration

AlertSeverity = Literal["page", "ticket"]

#: Lookbacks whose burn rates the report shows by default.
DEFAULT_LOOKBACKS: tuple[int, ...] = (300, 1800, 3600, 7200, 21600, 86400, 259200)


@dataclass(frozen=True)
class AlertWindow:
    """One row of an alert policy: spend ``budget_percent`` within ``long_seconds``."""

    severity: AlertSeverity
    budget_percent: float
    long_seconds: int
    short_seconds: int

    @property
    def long_label(self) -> str:
        """The long window as written (``1h``)."""
        return format_duration(self.long_seconds)

    @property
    def short_label(self) -> str:
        """The short window as written (``5m``)."""
        return format_duration(self.short_seconds)

    def factor(self, slo_window_seconds: int) -> float:
        """The burn-rate factor of this row for an SLO window.

        >>> AlertWindow("page", 2, 3600, 300).factor(30 * 86400)
        14.4
        """
        return burn_factor(self.budget_percent, slo_window_seconds, self.long_seconds)


@dataclass(frozen=True)
class AlertPolicy:
    """A named table of alert windows."""

    name: str
    windows: tuple[AlertWindow, ...]
    description: str = ""

    @property
    def lookbacks(self) -> tuple[int, ...]:
        """Every long and short window of the table, shortest first, once each."""
        return tuple(sorted({s for w in self.windows for s in (w.long_seconds, w.short_seconds)}))


def burn_factor(budget_percent: float, slo_window_seconds: int, long_seconds: int) -> float:
    """Burn rate that spends ``budget_percent`` of the budget in ``long_seconds``.

    Rounded to 10 significant digits so 2% * 30d / 1h is exactly 14.4, not a float artefact.
    """
    raw = budget_percent / 100.0 * slo_window_seconds / long_seconds
    return float(f"{raw:.10g}")


def policy_from_mapping(data: Mapping[str, object], where: str = "alert policy") -> AlertPolicy:
    """Build an :class:`AlertPolicy` from parsed YAML (a bundled table or project config).

    Raises :class:`ValueError` naming ``where`` and the row when the data is wrong.
    """
    name = str(data.get("name", "")).strip()
    if not name:
        raise ValueError(f"{where}: an alert policy needs a name")
    rows = data.get("windows")
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{where}: alert policy {name!r} needs a non-empty list of windows")
    windows: list[AlertWindow] = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"{where}: window {index + 1} of {name!r} must be a mapping")
        severity = row.get("severity")
        if severity not in ("page", "ticket"):
            raise ValueError(
                f"{where}: window {index + 1} of {name!r}: severity must be page or ticket, "
                f"got {severity!r}"
            )
        try:
            percent = float(row["budget_percent"])
            long_s = parse_duration(str(row["long"]))
            short_s = parse_duration(str(row["short"]))
        except KeyError as exc:
            raise ValueError(
                f"{where}: window {index + 1} of {name!r} lacks {exc.args[0]!r}"
            ) from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: window {index + 1} of {name!r}: {exc}") from None
        if not 0 < percent <= 100:
            raise ValueError(
                f"{where}: window {index + 1} of {name!r}: budget_percent must be in (0, 100]"
            )
        if short_s >= long_s:
            raise ValueError(
                f"{where}: window {index + 1} of {name!r}: the short window must be shorter "
                "than the long window"
            )
        windows.append(AlertWindow(severity, percent, long_s, short_s))
    return AlertPolicy(
        name=name, windows=tuple(windows), description=str(data.get("description", ""))
    )


@cache
def bundled_policies() -> Mapping[str, AlertPolicy]:
    """The alert policy tables shipped with sloscope, by name."""
    found: dict[str, AlertPolicy] = {}
    folder = resources.files(__name__)
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            policy = policy_from_mapping(data, where=f"bundled table {entry.name}")
            found[policy.name] = policy
    return found


def alert_policy(name: str = "google", extra: Iterable[AlertPolicy] = ()) -> AlertPolicy:
    """The alert policy of this name, from ``extra`` (project config) or the bundled tables.

    Raises :class:`KeyError` listing the known names when there is none.
    """
    known = dict(bundled_policies())
    known.update({p.name: p for p in extra})
    try:
        return known[name]
    except KeyError:
        raise KeyError(
            f"unknown alert policy {name!r}; known: {', '.join(sorted(known))}"
        ) from None
