"""Many SLOs at once, for benchmarks: ``make bench`` times ``report --json`` on these.

:func:`generate_many` writes ``n_slos`` ratio SLOs (native YAML, ten to a service) and
their telemetry: one route per SLO with two or three ``http_requests_total`` series
(``code`` 200, 500 and on every third route 503), on the demo's diurnal traffic model,
at ``step`` seconds. One SLO in ten has a fast burn and another one in ten a slow burn,
so a backtest over the bench data has alerts to find.

Size at the defaults (100 SLOs, 30 days, 60 s): 234 series, 10.1 million samples, 872 MB
of text, written in about 5 s (ingesting it takes about 27 s on two cores); use a larger
``step`` or fewer ``days`` for a smaller file.

:func:`store_many` puts the same SLOs' samples straight into a telemetry store, a chunk
of routes at a time, for thousands of SLOs whose text would not fit on a disk.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import yaml

from sloscope.demo.catalog import Incident, IncidentKind
from sloscope.demo.exposition import write_openmetrics
from sloscope.demo.generate import (
    DemoTelemetry,
    check_range,
    open_text_output,
    simulate,
    write_truth,
)
from sloscope.demo.traffic import Effect, RouteModel, simulate_route
from sloscope.errors import EvaluationError
from sloscope.telemetry.openmetrics.numbers import Columns
from sloscope.telemetry.openmetrics.series import SeriesKey
from sloscope.telemetry.store import TelemetryStore

_OBJECTIVES = (99.9, 99.5, 99.0, 99.95)
_WINDOWS = ("28d", "30d")
_MINUTE = 60
_HOUR = 3600


def _route_models(n_slos: int, per_service: int, rng: np.random.Generator) -> list[RouteModel]:
    """One route per SLO, with a volume between a few and a few hundred requests/s."""
    models = []
    for k in range(n_slos):
        objective = _OBJECTIVES[k % len(_OBJECTIVES)]
        budget = 1.0 - objective / 100.0
        models.append(
            RouteModel(
                service=f"svc-{k // per_service:03d}",
                route=f"/api/r{k:03d}",
                mean_rps=float(np.exp(rng.uniform(np.log(5.0), np.log(300.0)))),
                # A healthy SLO spends a fifth to a third of its budget.
                error_ratio=budget * float(rng.uniform(0.2, 0.33)),
                diurnal_depth=float(rng.uniform(0.5, 0.9)),
                error_codes={"500": 0.7, "503": 0.3} if k % 3 == 0 else {"500": 1.0},
            )
        )
    return models


def _slo_name(k: int) -> str:
    return f"r{k:03d}-availability"


def _plan(
    models: list[RouteModel], start: int, end: int, rng: np.random.Generator
) -> tuple[list[Effect], list[Incident]]:
    """Fast burns on SLOs 3, 13, 23...; slow burns on SLOs 8, 18, 28..., at random times."""
    effects: list[Effect] = []
    incidents: list[Incident] = []
    for k, model in enumerate(models):
        budget = 1.0 - _OBJECTIVES[k % len(_OBJECTIVES)] / 100.0
        kind: IncidentKind
        if k % 10 == 3:
            kind, length, share = "fast-burn", int(rng.integers(20, 61)) * _MINUTE, 0.3
        elif k % 10 == 8:
            kind, length, share = "slow-burn", int(rng.integers(24, 49)) * _HOUR, 4.0 * budget
        else:
            continue
        room = end - start - length - 3 * 86400
        if room <= 0:
            continue
        begin = start + 3 * 86400 + int(rng.integers(0, room)) // _MINUTE * _MINUTE
        effects.append(Effect(model.service, model.route, "errors", begin, begin + length, share))
        incidents.append(Incident(model.service, _slo_name(k), begin, begin + length, kind))
    return effects, incidents


def _service_documents(models: list[RouteModel]) -> dict[str, dict[str, Any]]:
    """Native spec documents, one per service."""
    docs: dict[str, dict[str, Any]] = {}
    for k, model in enumerate(models):
        doc = docs.setdefault(
            model.service,
            {
                "apiVersion": "sloscope/v1",
                "kind": "Service",
                "metadata": {"name": model.service, "owner": f"team-{model.service}"},
                "spec": {"journeys": [{"name": "use-api"}], "slos": []},
            },
        )
        route = f'service="{model.service}", route="{model.route}"'
        doc["spec"]["slos"].append(
            {
                "name": _slo_name(k),
                "journey": "use-api",
                "objective": _OBJECTIVES[k % len(_OBJECTIVES)],
                "window": _WINDOWS[k % len(_WINDOWS)],
                "sli": {
                    "ratio": {
                        "good": f'http_requests_total{{{route}, code!~"5.."}}',
                        "total": f"http_requests_total{{{route}}}",
                    }
                },
                "alerting": {
                    "runbook": f"https://runbooks.example.com/{model.service}/{_slo_name(k)}"
                },
            }
        )
    return docs


@dataclass(frozen=True)
class _Scenario:
    """The SLOs, their traffic models and incidents, with their specs written."""

    start: int
    n_steps: int
    models: list[RouteModel]
    effects: list[Effect]
    incidents: list[Incident]
    rng: np.random.Generator

    @classmethod
    def write(
        cls,
        specs_dir: Path | str,
        *,
        end: int,
        n_slos: int,
        days: int,
        step: int,
        seed: int,
        per_service: int,
    ) -> _Scenario:
        """Check the sizes, draw the SLOs and write their specs to ``specs_dir``."""
        n_steps = check_range(end, days, step)
        if n_slos <= 0 or per_service <= 0:
            raise EvaluationError(
                "n_slos and per_service must be positive whole numbers, got "
                f"{n_slos} and {per_service}"
            )
        start = end - n_steps * step
        rng = np.random.default_rng([seed, 2_000])
        models = _route_models(n_slos, per_service, rng)
        effects, incidents = _plan(models, start, end, rng)
        target = Path(specs_dir)
        target.mkdir(parents=True, exist_ok=True)
        for service, doc in _service_documents(models).items():
            text = yaml.safe_dump(doc, sort_keys=False, width=120)
            (target / f"{service}.yaml").write_text(text, encoding="utf-8")
        return cls(start, n_steps, models, effects, incidents, rng)


def generate_many(
    specs_dir: Path | str,
    out: Path | TextIO,
    *,
    end: int,
    n_slos: int = 100,
    days: int = 30,
    step: int = 60,
    seed: int = 7,
    per_service: int = 10,
) -> DemoTelemetry:
    """Write ``n_slos`` ratio SLOs to ``specs_dir`` and their telemetry to ``out``.

    Specs go to ``specs_dir/svc-000.yaml``, ``svc-001.yaml``... (``per_service`` SLOs
    each); the telemetry is OpenMetrics like :func:`generate_openmetrics` writes.
    Returns the figures and the injected incidents (the backtest truth).
    """
    scenario = _Scenario.write(specs_dir, end=end, n_slos=n_slos, days=days, step=step,
                               seed=seed, per_service=per_service)  # fmt: skip
    start, n_steps = scenario.start, scenario.n_steps
    routes = simulate(
        scenario.models, scenario.effects, start=start, step=step, n_steps=n_steps, seed=seed
    )
    with ExitStack() as stack:
        written, _ = write_openmetrics(
            open_text_output(out, stack), routes, start=start, step=step, rng=scenario.rng
        )
    return DemoTelemetry(
        samples=written.samples,
        series=written.series,
        bytes=written.bytes,
        start=start,
        end=end,
        step=step,
        incidents=sorted(scenario.incidents, key=lambda i: i.start),
        deployments=[],
        reset=None,
    )


def store_many(
    specs_dir: Path | str,
    store: TelemetryStore,
    *,
    end: int,
    n_slos: int = 100,
    days: int = 30,
    step: int = 60,
    seed: int = 7,
    per_service: int = 10,
    chunk: int = 50,
    truth: Path | None = None,
) -> int:
    """Write the specs of :func:`generate_many` and store their samples directly.

    The same SLOs and traffic (each route has its own seeded stream), with counters that
    start at 0 and no text in between; ``chunk`` routes are simulated and stored per
    transaction, so memory stays bounded. ``truth``, when given, receives the injected
    incidents as a backtest truth file. Returns the number of samples stored.
    """
    if chunk <= 0:
        raise EvaluationError(f"chunk must be a positive whole number, got {chunk}")
    scenario = _Scenario.write(specs_dir, end=end, n_slos=n_slos, days=days, step=step,
                               seed=seed, per_service=per_service)  # fmt: skip
    start, n_steps, models = scenario.start, scenario.n_steps, scenario.models
    if truth is not None:
        write_truth(truth, scenario.incidents)
    times = (start + step * np.arange(n_steps + 1, dtype=np.int64)) * 1000
    stored = 0
    for first in range(0, n_slos, chunk):
        keys: list[SeriesKey] = []
        values: list[np.ndarray] = []
        for index in range(first, min(first + chunk, n_slos)):
            traffic = simulate_route(
                models[index],
                scenario.effects,
                np.random.default_rng([seed, index]),
                start=start,
                step=step,
                n_steps=n_steps,
            )
            for code, counts in zip(traffic.codes, traffic.by_code, strict=True):
                labels = (("code", code), ("route", traffic.route), ("service", traffic.service))
                keys.append(SeriesKey("http_requests_total", labels, "counter"))
                values.append(np.concatenate(([0.0], np.cumsum(counts, dtype=np.float64))))
        index_of = np.repeat(np.arange(len(keys), dtype=np.int32), n_steps + 1)
        batch = Columns(index_of, np.tile(times, len(keys)), np.concatenate(values))
        result = store.add(keys, [batch])
        stored += result.new_samples
    return stored
