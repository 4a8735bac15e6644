"""Field conversions every spec format shares, reporting problems where the value was written.

Objectives, SLO windows, selectors and names mean the same in native, OpenSLO and Sloth
files, so they are converted (and refused) the same way, with the same messages. Each
function takes a :class:`Context` (one document and its problem list) and the value's
path; it returns the converted value, or None after recording an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sloscope.errors import Problem, Severity
from sloscope.spec.model import CalendarUnit, CalendarWindow, RollingWindow
from sloscope.spec.outputs import LABEL_HINT, RESERVED_LABELS, label_name_problem
from sloscope.spec.selectors import Selector, SelectorSyntaxError, parse_selector
from sloscope.spec.yamlpos import Document, Pos, YamlPath, format_path

#: An error budget below one in a million cannot be measured with the traffic of almost
#: any service, and an alert on it would fire on a single failed request.
MIN_ERROR_BUDGET = 1e-6

CALENDAR_UNITS: tuple[CalendarUnit, ...] = ("week", "month", "quarter")

_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?")
#: The longest rolling SLO window: a (leap) year.
MAX_WINDOW_DAYS = 366
_ROLLING = re.compile(r"^\s*(\d+)\s*([A-Za-z]*)\s*$", re.ASCII)


@dataclass
class Context:
    """One document being converted, and the problems found in it so far."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def _add(self, pos: Pos, message: str, hint: str, severity: Severity) -> None:
        self.problems.append(Problem(self.doc.file, pos.line, pos.column, message, hint, severity))

    def error(self, path: YamlPath, message: str, hint: str = "", *, at_key: bool = False) -> None:
        """Record an error at the value (or its key) at ``path``."""
        pos = self.doc.key_pos(path) if at_key else self.doc.pos(path)
        self._add(pos, message, hint, "error")

    def warn(self, path: YamlPath, message: str, hint: str = "", *, at_key: bool = False) -> None:
        """Record a warning at the value (or its key) at ``path``."""
        pos = self.doc.key_pos(path) if at_key else self.doc.pos(path)
        self._add(pos, message, hint, "warning")

    def error_at(self, pos: Pos, message: str, hint: str = "") -> None:
        """Record an error at an exact position."""
        self._add(pos, message, hint, "error")

    @property
    def failed(self) -> bool:
        """Whether an error was recorded."""
        return any(p.severity == "error" for p in self.problems)

    def error_count(self) -> int:
        """How many errors were recorded (to tell whether a step added one)."""
        return sum(p.severity == "error" for p in self.problems)


# --- names ------------------------------------------------------------------------------


def check_name(ctx: Context, path: YamlPath, name: str, what: str) -> bool:
    """Names go into metric labels, URLs and file names: letters, digits, '.', '_', '-'."""
    if _NAME.fullmatch(name):
        return True
    ctx.error(
        path,
        f"{what} name {name!r} is not a valid name",
        "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, "
        "at most 128 characters (e.g. place-order-availability)",
    )
    return False


def group_by(ctx: Context, path: YamlPath, raw: object) -> tuple[str, ...] | None:
    """Labels a grouped SLO is split by (``group_by: [route]``); None after an error.

    Each is a label the generated rules can carry
    (:func:`~sloscope.spec.outputs.label_name_problem`: a Prometheus label name, not
    one the rules set themselves, not ``__``), not ``le`` (a histogram's bucket, which
    the SLI itself reads), and listed once.
    """
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, Sequence) or not all(isinstance(x, str) for x in raw):
        ctx.error(path, "group_by must be a list of label names", "e.g. group_by: [route]")
        return None
    before = ctx.error_count()
    for index, name in enumerate(raw):
        problem = label_name_problem(name, RESERVED_LABELS)
        if name == "le":
            problem = "is a histogram's bucket boundary, which a latency SLI reads itself"
        if problem:
            ctx.error(
                (*path, index),
                f"group_by label {name!r} {problem}",
                LABEL_HINT if "valid" in problem else "group by a label of the SLI's series",
            )
        elif name in raw[:index]:
            ctx.error((*path, index), f"group_by lists {name!r} twice")
    return None if ctx.error_count() > before else tuple(raw)


# --- objectives -------------------------------------------------------------------------


def objective_from_percent(
    ctx: Context, path: YamlPath, value: object, what: str = "objective"
) -> float | None:
    """A percent objective (``99.9``) as a fraction rounded to 12 digits (``0.999``).

    Refuses 0 and below, 100 and above, and more nines than six (a budget below one in a
    million). Warns about values below 1, which are almost always a fraction written
    where a percent belongs.
    """
    number = _finite_number(ctx, path, value, what, "a percent such as 99.9")
    if number is None:
        return None
    fraction = _objective(ctx, path, number, str(value), what, percent_form=True)
    if fraction is not None and number < 1:
        ctx.warn(
            path,
            f"{what} {value} means {value}% of events good; objectives are percents",
            f"did you mean {_percent(number * 100)}?",
        )
    return fraction


def objective_from_fraction(
    ctx: Context, path: YamlPath, value: object, what: str = "target"
) -> float | None:
    """A fraction objective (OpenSLO ``target: 0.999``), with the same limits as percents."""
    number = _finite_number(ctx, path, value, what, "a fraction such as 0.999")
    if number is None:
        return None
    if 1 < number < 100:
        ctx.error(
            path,
            f"{what} {value} is not a fraction below 1",
            f"write {what}: {_percent(number / 100)} or targetPercent: {_percent(number)}",
        )
        return None
    # 0.999 x 100 is 99.89999999999999 in floats: round before the percent rules.
    percent = float(f"{number * 100:.12g}")
    return _objective(ctx, path, percent, str(value), what, percent_form=False)


def _finite_number(
    ctx: Context, path: YamlPath, value: object, what: str, example: str
) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        ctx.error(path, f"{what} must be a number ({example}), got {value!r}")
        return None
    number = float(value)
    if not math.isfinite(number):
        ctx.error(path, f"{what} must be a finite number ({example}), got {value!r}")
        return None
    return number


def _objective(
    ctx: Context, path: YamlPath, percent: float, shown: str, what: str, *, percent_form: bool
) -> float | None:
    example = "99.9" if percent_form else "0.999"
    if percent == 100:
        ctx.error(
            path,
            f"{what} {shown} leaves no error budget: every failed event breaks the SLO",
            f"aim for what users need, e.g. {what}: {example}",
        )
        return None
    if percent > 100:
        ctx.error(
            path,
            f"{what} {shown} is above 100%",
            f"write {what}: {example} for 99.9% of events good",
        )
        return None
    if percent <= 0:
        ctx.error(
            path,
            f"{what} {shown} must be above 0",
            f"write {what}: {example} for 99.9% of events good",
        )
        return None
    fraction = round(percent / 100.0, 12)
    budget = round(1.0 - fraction, 12)
    if budget < MIN_ERROR_BUDGET:
        ctx.error(
            path,
            f"{what} {shown} has too many nines: its error budget "
            f"({_percent(budget * 100)}%) is below one in a million events",
            "sloscope supports objectives up to 99.9999% (six nines); few services can "
            "measure even that",
        )
        return None
    return fraction


def _percent(value: float) -> str:
    return f"{value:.10g}"


# --- windows ----------------------------------------------------------------------------


def rolling_window(ctx: Context, path: YamlPath, value: object) -> RollingWindow | None:
    """A rolling SLO window: whole days or weeks (``28d``, ``4w``)."""
    hint = "write a number of days or weeks such as 28d or 4w, or {calendar: month}"
    if isinstance(value, bool) or not isinstance(value, str):
        ctx.error(path, f"window must be a duration such as 28d, got {value!r}", hint)
        return None
    match = _ROLLING.match(value)
    if not match or not match.group(2):
        ctx.error(path, f"window {value!r} is not a duration", hint)
        return None
    count, unit = int(match.group(1)), match.group(2)
    if unit in ("s", "m", "h"):
        ctx.error(
            path,
            f"window {value!r} is shorter than a day; an SLO window is whole days or weeks",
            "SLO windows are usually 28d or 30d; short lookbacks belong in alert policies",
        )
        return None
    if unit not in ("d", "w"):
        ctx.error(path, f"unknown unit {unit!r} in window {value!r}", hint)
        return None
    if count <= 0:
        ctx.error(path, f"window {value!r} must be longer than zero", hint)
        return None
    seconds = count * (86400 if unit == "d" else 7 * 86400)
    if seconds > MAX_WINDOW_DAYS * 86400:
        # Every evaluation reads the whole window at the evaluation step; a window of
        # centuries would be billions of steps and exhaust memory instead of answering.
        ctx.error(
            path,
            f"window {value!r} is longer than a year ({MAX_WINDOW_DAYS}d)",
            "SLO windows are usually 28d or 30d; for a longer view use {calendar: quarter}",
        )
        return None
    return RollingWindow(seconds=seconds)


def calendar_window(
    ctx: Context,
    unit_path: YamlPath,
    unit: str,
    tz_path: YamlPath,
    timezone: str,
    *,
    start: str | None = None,
) -> CalendarWindow | None:
    """A calendar window (``week``, ``month``, ``quarter``) in an IANA time zone.

    ``start`` is an OpenSLO ``startTime`` kept for export, as written.
    """
    ok = True
    if unit not in CALENDAR_UNITS:
        ctx.error(
            unit_path,
            f"unknown calendar window {unit!r}",
            f"use one of {', '.join(CALENDAR_UNITS)}",
        )
        ok = False
    if not valid_timezone(timezone):
        ctx.error(
            tz_path,
            f"unknown time zone {timezone!r}",
            "use an IANA time zone name such as UTC, Europe/Berlin or America/New_York",
        )
        ok = False
    if not ok:
        return None
    return CalendarWindow(unit=unit, timezone=timezone, start=start)  # type: ignore[arg-type]


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone known to this Python (with tzdata)."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


# --- selectors --------------------------------------------------------------------------


def selector(ctx: Context, path: YamlPath, text: object, what: str = "selector") -> Selector | None:
    """Parse a PromQL series selector, pointing errors at the exact character in the file."""
    if not isinstance(text, str):
        ctx.error(path, f'{what} must be a string such as http_requests_total{{job="api"}}')
        return None
    try:
        return parse_selector(text)
    except SelectorSyntaxError as exc:
        pos = ctx.doc.char_pos(path, exc.column - 1)
        hint = exc.hint
        if "(" in text or "[" in text:
            hint = 'a selector is name{label="value"}; functions and ranges belong in a promql: SLI'
        ctx.error_at(pos, f"invalid {what} {text!r}: {exc.message}", hint)
        return None


# --- PromQL templates -------------------------------------------------------------------

_RATE_OVER_WINDOW = re.compile(
    # rate( <selector, quoted values may hold any character> [{{window}}] )
    r"\brate\s*\(((?:[^()\[\]\"']|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')*?)"
    r"\[\s*\{\{window\}\}\s*\]\s*\)"
)


def rate_to_increase(expr: str) -> str:
    r"""``rate(x[{{window}}])`` → ``increase(x[{{window}}])``.

    A PromQL SLI's expressions count events over the window (see
    :class:`~sloscope.spec.model.PromQLSLI`); Sloth and many OpenSLO files write per-second
    rates instead. Over the same range ``increase = rate * range``, so the rewrite keeps
    every ratio and makes the counts real counts.

    >>> rate_to_increase("sum(rate(x_total{a='b'}[{{window}}]))")
    "sum(increase(x_total{a='b'}[{{window}}]))"
    """
    return _RATE_OVER_WINDOW.sub(lambda m: f"increase({m.group(1)}[{{{{window}}}}])", expr)


# --- lenient mappings (imports) ---------------------------------------------------------


def string_map(ctx: Context, path: YamlPath, value: object, what: str) -> dict[str, str]:
    """A mapping of strings for imported formats: numbers and booleans become strings.

    Lists (OpenSLO allows label values to be lists) are joined with commas, with a warning.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        ctx.error(path, f"{what} must be a mapping of names to values")
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        text = _scalar_string(item)
        if text is not None:
            out[str(key)] = text
        elif isinstance(item, Sequence) and all(isinstance(v, str | int | float) for v in item):
            out[str(key)] = ",".join(str(v) for v in item)
            ctx.warn(
                (*path, str(key)),
                f"{what} {key!r} is a list; imported as the comma-separated string "
                f"{out[str(key)]!r}",
            )
        else:
            ctx.error((*path, str(key)), f"{what} {key!r} must be a string")
    return out


def _scalar_string(item: object) -> str | None:
    """A scalar as the string it stands for (``true``, ``3``, ``""`` for null); else None."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str | int | float):
        return str(item)
    return "" if item is None else None


def describe(path: YamlPath) -> str:
    """A path for messages (``spec.slos[0]``)."""
    return format_path(path)
