"""The one exception hierarchy of sloscope.

Every error sloscope raises on purpose derives from :class:`SloscopeError`, so a caller
can catch that one class; the faces (CLI, server) turn it into a message and an exit code
and never show a traceback for it.

::

    SloscopeError
     ├── SpecError              a spec file is wrong (carries every Problem found)
     ├── ConfigError            sloscope.yaml or a SLOSCOPE_* variable is wrong
     ├── IngestError            a telemetry file cannot be loaded (nothing was stored)
     ├── SourceError            a telemetry source cannot answer
     │    ├── UnsupportedSLIError   this source cannot evaluate this kind of SLI
     │    └── TooManyGroupsError    a grouped SLI has more groups than allowed
     ├── EvaluationError        the data cannot give an answer (window, alignment, units)
     ├── RequestError           a request breaks a rule (an exception kind the policy
     │                          does not allow, an incident resolved before it opened)
     ├── StateError             the state store cannot be opened, migrated or written
     └── NotFoundError          a named service, SLO or file does not exist
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Problem(NamedTuple):
    """One thing wrong (or suspicious) in an input file.

    ``line`` and ``column`` are 1-based; 0 means "the file as a whole".
    Rendered as ``FILE:LINE:COL: severity: message (hint: ...)``.
    """

    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class SloscopeError(Exception):
    """Base class of every error sloscope raises on purpose. Catch this one."""


class SpecError(SloscopeError):
    """One or more spec files are invalid; ``problems`` lists every one found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in spec files"
        super().__init__(head + "".join(f"\n  {p}" for p in errors))


class ConfigError(SloscopeError):
    """The project configuration (``sloscope.yaml`` or ``SLOSCOPE_*``) is invalid."""


class IngestError(SloscopeError):
    """A telemetry file cannot be ingested; the store was left as it was."""


class SourceError(SloscopeError):
    """A telemetry source (embedded store, Prometheus) cannot answer a query."""


class UnsupportedSLIError(SourceError):
    """The configured source cannot evaluate this kind of SLI (e.g. raw PromQL on DuckDB)."""


class TooManyGroupsError(SourceError):
    """A grouped SLI's series have more distinct label values (``count``) than
    ``limit`` (sloscope.yaml ``max_groups``); the caller names the SLO."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} groups, more than max_groups ({limit})")
        self.count = count
        self.limit = limit


class EvaluationError(SloscopeError):
    """The inputs cannot give an answer (bad time range, misaligned step, bad units)."""


class RequestError(SloscopeError):
    """A request is not valid as asked (a gate exception without a reason or of a kind
    the budget policy does not allow, an incident resolved before it opened); nothing
    was decided or written."""


class StateError(SloscopeError):
    """The state store (SQLite or PostgreSQL) cannot be opened, migrated or written."""


class NotFoundError(SloscopeError):
    """A named service, SLO or file does not exist in the workspace."""
