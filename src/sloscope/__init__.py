"""sloscope: SLO-driven observability and error budgets.

The curated public API. Names load lazily, so ``import sloscope`` (and the CLI's start)
stays fast and the heavy parts (DuckDB, numpy) load only when used::

    import sloscope

    ws = sloscope.Workspace.open("my-project")
    report = ws.report(at=1795176000)
    for result in report.results:
        print(result.slo.name, result.status.sli, result.decision.state)

Every model is immutable. The value records (``SLOStatus``, ``Report``, the windows,
most SLIs, the policies, ``Selector``, ``Problem``...) are named tuples: a changed copy
is ``record._replace(field=...)``; ``Service``, ``SLO``, ``RatioSLI``, ``Alerting`` and
``CountSeries`` are frozen dataclasses: ``dataclasses.replace(record, field=...)``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → module that defines it.
_EXPORTS: dict[str, str] = {
    # errors
    "SloscopeError": "sloscope.errors",
    "SpecError": "sloscope.errors",
    "ConfigError": "sloscope.errors",
    "IngestError": "sloscope.errors",
    "SourceError": "sloscope.errors",
    "UnsupportedSLIError": "sloscope.errors",
    "EvaluationError": "sloscope.errors",
    "NotFoundError": "sloscope.errors",
    "Problem": "sloscope.errors",
    # the spec model
    "Service": "sloscope.spec.model",
    "Journey": "sloscope.spec.model",
    "SLO": "sloscope.spec.model",
    "RatioSLI": "sloscope.spec.model",
    "LatencySLI": "sloscope.spec.model",
    "PromQLSLI": "sloscope.spec.model",
    "TimeslicesSLI": "sloscope.spec.model",
    "RollingWindow": "sloscope.spec.model",
    "CalendarWindow": "sloscope.spec.model",
    "Alerting": "sloscope.spec.model",
    "Selector": "sloscope.spec.selectors",
    "Matcher": "sloscope.spec.selectors",
    "parse_selector": "sloscope.spec.selectors",
    "load_paths": "sloscope.spec.load",
    "load_text": "sloscope.spec.load",
    "LoadResult": "sloscope.spec.load",
    # engine
    "evaluate_slo": "sloscope.engine.evaluate",
    "evaluate_range": "sloscope.engine.evaluate",
    "SLOStatus": "sloscope.engine.evaluate",
    "AlertPolicy": "sloscope.engine.windows",
    "AlertWindow": "sloscope.engine.windows",
    "alert_policy": "sloscope.engine.windows",
    "burn_factor": "sloscope.engine.windows",
    # policy
    "BudgetPolicy": "sloscope.policy.budget",
    "BudgetStep": "sloscope.policy.budget",
    "PolicyDecision": "sloscope.policy.budget",
    "decide": "sloscope.policy.budget",
    # sources and telemetry
    "CountSeries": "sloscope.sources.base",
    "Source": "sloscope.sources.base",
    "EmbeddedSource": "sloscope.sources.embedded",
    "TelemetryStore": "sloscope.telemetry.store",
    "ingest_file": "sloscope.telemetry.ingest",
    "IngestResult": "sloscope.telemetry.ingest",
    # orchestration and reports
    "Workspace": "sloscope.workspace",
    "Report": "sloscope.report.model",
    "SLOResult": "sloscope.report.model",
    "report_to_dict": "sloscope.report.json",
}

__all__ = [
    "SLO",
    "AlertPolicy",
    "AlertWindow",
    "Alerting",
    "BudgetPolicy",
    "BudgetStep",
    "CalendarWindow",
    "ConfigError",
    "CountSeries",
    "EmbeddedSource",
    "EvaluationError",
    "IngestError",
    "IngestResult",
    "Journey",
    "LatencySLI",
    "LoadResult",
    "Matcher",
    "NotFoundError",
    "PolicyDecision",
    "Problem",
    "PromQLSLI",
    "RatioSLI",
    "Report",
    "RollingWindow",
    "SLOResult",
    "SLOStatus",
    "Selector",
    "Service",
    "SloscopeError",
    "Source",
    "SourceError",
    "SpecError",
    "TelemetryStore",
    "TimeslicesSLI",
    "UnsupportedSLIError",
    "Workspace",
    "__version__",
    "alert_policy",
    "burn_factor",
    "decide",
    "evaluate_range",
    "evaluate_slo",
    "ingest_file",
    "load_paths",
    "load_text",
    "parse_selector",
    "report_to_dict",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sloscope' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from sloscope.engine.evaluate import SLOStatus, evaluate_range, evaluate_slo
    from sloscope.engine.windows import AlertPolicy, AlertWindow, alert_policy, burn_factor
    from sloscope.errors import (
        ConfigError,
        EvaluationError,
        IngestError,
        NotFoundError,
        Problem,
        SloscopeError,
        SourceError,
        SpecError,
        UnsupportedSLIError,
    )
    from sloscope.policy.budget import BudgetPolicy, BudgetStep, PolicyDecision, decide
    from sloscope.report.json import report_to_dict
    from sloscope.report.model import Report, SLOResult
    from sloscope.sources.base import CountSeries, Source
    from sloscope.sources.embedded import EmbeddedSource
    from sloscope.spec.load import LoadResult, load_paths, load_text
    from sloscope.spec.model import (
        SLO,
        Alerting,
        CalendarWindow,
        Journey,
        LatencySLI,
        PromQLSLI,
        RatioSLI,
        RollingWindow,
        Service,
        TimeslicesSLI,
    )
    from sloscope.spec.selectors import Matcher, Selector, parse_selector
    from sloscope.telemetry.ingest import IngestResult, ingest_file
    from sloscope.telemetry.store import TelemetryStore
    from sloscope.workspace import Workspace
