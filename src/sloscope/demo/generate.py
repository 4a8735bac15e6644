"""The demo's telemetry: 30 days of the sample services, with incidents to find.

::

    from pathlib import Path
    from sloscope.demo.generate import generate_openmetrics, write_truth

    demo = generate_openmetrics(Path("demo.om"), end=1_763_640_000)
    write_truth(Path("truth.json"), demo.incidents)

:func:`simulate_demo` gives the same data as arrays (per-step counts per route), for
tests and for anyone who wants numbers rather than text. The same ``seed`` and arguments
always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from sloscope.demo.catalog import (
    DEMO_ROUTES,
    Deployment,
    Incident,
    IncidentPlan,
    plan_demo_incidents,
)
from sloscope.demo.exposition import CounterReset, write_openmetrics
from sloscope.demo.traffic import Effect, RouteModel, RouteTraffic, simulate_route
from sloscope.errors import EvaluationError

_DAY = 86400

#: The counter series that restarts once, ``(service, route, code)``.
RESET_SERIES = ("search", "/search", "200")


@dataclass(frozen=True)
class DemoData:
    """Generated traffic as arrays: per-step counts of every route.

    Step ``i`` covers ``(start + i*step, start + (i+1)*step]``; ``end`` is the right edge
    of the last step and the time the demo is "now".
    """

    start: int
    end: int
    step: int
    routes: tuple[RouteTraffic, ...]
    incidents: tuple[Incident, ...]
    deployments: tuple[Deployment, ...]
    reset_index: int

    def route(self, service: str, route: str) -> RouteTraffic:
        """The traffic of one route; :class:`KeyError` when there is none."""
        for traffic in self.routes:
            if (traffic.service, traffic.route) == (service, route):
                return traffic
        raise KeyError(f"no route {route} of service {service}")

    @property
    def step_ends(self) -> NDArray[np.int64]:
        """The right edge (scrape time) of every step."""
        return self.start + self.step * np.arange(1, self.n_steps + 1, dtype=np.int64)

    @property
    def n_steps(self) -> int:
        """How many steps the range has."""
        return (self.end - self.start) // self.step


@dataclass(frozen=True)
class DemoTelemetry:
    """What :func:`generate_openmetrics` wrote and what it injected.

    ``samples`` counts sample lines, ``series`` distinct series, ``bytes`` the size of
    the text. ``incidents`` is the backtest truth; ``deployments`` the releases (the bad
    one included) that the workspace may record; ``reset`` the one counter restart.
    """

    samples: int
    series: int
    bytes: int
    start: int
    end: int
    step: int
    incidents: list[Incident]
    deployments: list[Deployment]
    reset: CounterReset | None


def check_range(end: int, days: int, step: int) -> int:
    """Validate the time range and return the number of steps in it.

    Raises :class:`~sloscope.errors.EvaluationError` with a fix when the arguments
    cannot make a regular grid.
    """
    if isinstance(end, bool) or not isinstance(end, int) or end <= 0:
        raise EvaluationError(f"end must be a positive Unix time in seconds, got {end!r}")
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise EvaluationError(f"days must be a positive whole number, got {days!r}")
    if isinstance(step, bool) or not isinstance(step, int) or step <= 0 or _DAY % step:
        raise EvaluationError(
            f"step must be a whole number of seconds that divides a day (15, 30, 60, 300...), "
            f"got {step!r}"
        )
    return days * _DAY // step


def simulate(
    models: Sequence[RouteModel],
    effects: Sequence[Effect],
    *,
    start: int,
    step: int,
    n_steps: int,
    seed: int,
) -> tuple[RouteTraffic, ...]:
    """Draw the traffic of every route; each route has its own seeded stream.

    Seeding per route (``seed`` and the route's position) keeps a route's numbers the
    same when other routes are added or effects elsewhere change.
    """
    return tuple(
        simulate_route(
            model,
            effects,
            np.random.default_rng([seed, index]),
            start=start,
            step=step,
            n_steps=n_steps,
        )
        for index, model in enumerate(models)
    )


def simulate_demo(*, end: int, days: int = 30, step: int = 60, seed: int = 7) -> DemoData:
    """The demo's traffic as arrays, with its incidents (see ``demo/catalog.py``)."""
    n_steps = check_range(end, days, step)
    start = end - n_steps * step
    plan: IncidentPlan = plan_demo_incidents(start, end, step)
    routes = simulate(DEMO_ROUTES, plan.effects, start=start, step=step, n_steps=n_steps, seed=seed)
    return DemoData(
        start,
        end,
        step,
        routes,
        plan.incidents,
        plan.deployments,
        _reset_index(start, n_steps, step),
    )


def _reset_index(start: int, n_steps: int, step: int) -> int:
    """The sample at which the restarted counter starts again from 0.

    The restart happens at 03:17 UTC (a node upgrade in the maintenance window) of the
    day about 40% into the range, or 40% into the range when that is less than a day.
    """
    target = start + int(n_steps * 0.4) * step
    restart = target - target % _DAY + 3 * 3600 + 17 * 60
    if restart <= start:
        restart += _DAY
    if restart >= start + n_steps * step:
        restart = target
    return min(n_steps, max(1, -(-(restart - start) // step)))


def generate_openmetrics(
    out: Path | TextIO, *, end: int, days: int = 30, step: int = 60, seed: int = 7
) -> DemoTelemetry:
    """Write ``days`` of the demo services' telemetry ending at ``end`` as OpenMetrics.

    ``out`` is a path (written, parent directories created) or a text stream. Samples
    are every ``step`` seconds from ``end - days`` to ``end`` inclusive, timestamps in
    seconds. Returns the figures and the injected incidents.
    """
    data = simulate_demo(end=end, days=days, step=step, seed=seed)
    return write_demo_data(out, data, seed=seed)


def write_demo_data(out: Path | TextIO, data: DemoData, *, seed: int = 7) -> DemoTelemetry:
    """Write simulated demo data as OpenMetrics (see :func:`generate_openmetrics`)."""
    with ExitStack() as stack:
        stream = open_text_output(out, stack)
        written, reset = write_openmetrics(
            stream,
            data.routes,
            start=data.start,
            step=data.step,
            rng=np.random.default_rng([seed, 1_000]),
            reset=(*RESET_SERIES, data.reset_index),
        )
    return DemoTelemetry(
        samples=written.samples,
        series=written.series,
        bytes=written.bytes,
        start=data.start,
        end=data.end,
        step=data.step,
        incidents=list(data.incidents),
        deployments=list(data.deployments),
        reset=reset,
    )


def open_text_output(out: Path | TextIO, stack: ExitStack) -> TextIO:
    """A text stream for ``out``; a path is opened for writing (and closed by ``stack``)."""
    if isinstance(out, str | Path):
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="\n": the format wants LF, even on Windows; a large buffer for speed.
        return stack.enter_context(
            path.open("w", encoding="ascii", newline="\n", buffering=1 << 20)
        )
    return out


def rfc3339(t: int) -> str:
    """Unix seconds as RFC 3339 UTC (``2026-10-03T14:00:00Z``)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def truth_document(incidents: Iterable[Incident]) -> dict[str, list[dict[str, str]]]:
    """The backtest truth of DESIGN.md for ``incidents``."""
    return {
        "incidents": [
            {
                "service": i.service,
                "slo": i.slo,
                "start": rfc3339(i.start),
                "end": rfc3339(i.end),
            }
            for i in sorted(incidents, key=lambda i: (i.start, i.service, i.slo))
        ]
    }


def write_truth(path: Path | str, incidents: Iterable[Incident]) -> Path:
    """Write the backtest truth JSON (``backtest --truth FILE``) and return its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(truth_document(incidents), indent=2) + "\n", encoding="utf-8")
    return target
