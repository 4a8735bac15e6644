"""Alert window tables and burn-rate factors.

Tables are data files beside this module (``google.yaml``), as Sloth keeps them: each row
says which share of the error budget an alert spends within its long window. The factor
is derived from the SLO's own window, never hard-coded::

    factor = budget_percent / 100 * slo_window / long_window

so 2% of a 30-day budget in 1h is 14.4, and of a 28-day budget 13.44.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

import yaml

from sloscope.spec.durations import format_duration, parse_duration

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

AlertSeverity = Literal["page", "ticket"]

#: Lookbacks whose burn rates the report shows by default.
DEFAULT_LOOKBACKS: tuple[int, ...] = (300, 1800, 3600, 7200, 21600, 86400, 259200)


class AlertWindow(NamedTuple):
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


class TrafficGuard(NamedTuple):
    """The low-traffic guard: a window counts only with enough events to mean something.

    A burn rate over a window of a handful of requests is noise: one failed request out
    of 30 on a quiet night burns a 99.9% budget 33 times too fast. A window of an alert
    row counts only when it holds at least ``min_total`` events and ``min_bad`` bad
    events; both of the row's windows must count for the row to fire. The zero guard
    lets every window count (the SRE workbook's rules as written).

    >>> TrafficGuard(min_total=100, min_bad=5).active
    True
    """

    min_total: float = 0.0
    min_bad: float = 0.0

    @property
    def active(self) -> bool:
        """Whether the guard can hold back any window."""
        return self.min_total > 0 or self.min_bad > 0


class AlertPolicy(NamedTuple):
    """A named table of alert windows, with its low-traffic guard.

    ``guard`` is ``None`` when the table declares none; the engine then lets every window
    count, and the project config supplies its default guard (see ``sloscope.config``).
    """

    name: str
    windows: tuple[AlertWindow, ...]
    description: str = ""
    guard: TrafficGuard | None = None

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
        name=name,
        windows=tuple(windows),
        description=str(data.get("description", "")),
        guard=None
        if data.get("guard") is None
        else guard_from_mapping(data.get("guard"), f"{where}: guard of {name!r}"),
    )


def guard_from_mapping(data: object, where: str = "guard") -> TrafficGuard:
    """A :class:`TrafficGuard` from parsed YAML (``{min_total: 100, min_bad: 5}``).

    ``None`` gives the zero guard. Raises :class:`ValueError` naming ``where`` and the
    field when a value is not a non-negative number.
    """
    if data is None:
        return TrafficGuard()
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: must be a mapping such as {{min_total: 100, min_bad: 5}}")
    unknown = sorted(set(map(str, data)) - {"min_total", "min_bad"})
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}; known: min_total, min_bad")
    values: dict[str, float] = {}
    for key in ("min_total", "min_bad"):
        raw = data.get(key, 0)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw >= 0:
            raise ValueError(f"{where}: {key} must be a number of events >= 0, got {raw!r}")
        values[key] = float(raw)
    return TrafficGuard(**values)


#: libyaml's safe loader when PyYAML has it: the bundled tables load on every start.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def bundled_policies() -> Mapping[str, AlertPolicy]:
    """The alert policy tables shipped with sloscope, by name."""
    found: dict[str, AlertPolicy] = {}
    for entry in _table_files():
        if entry.name.endswith(".yaml"):
            data = yaml.load(entry.read_text(encoding="utf-8"), Loader=_LOADER)
            policy = policy_from_mapping(data, where=f"bundled table {entry.name}")
            found[policy.name] = policy
    return found


def _table_files() -> Iterator[Path | Traversable]:
    """The files beside this module: read from its folder when it is one (importlib's
    resource readers, which bring zipfile along, cost a start about 5 ms), else through
    importlib.resources (sloscope imported from a zip)."""
    folder = Path(__file__).parent
    if folder.is_dir():
        return folder.iterdir()
    from importlib import resources

    return resources.files(__name__).iterdir()


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
