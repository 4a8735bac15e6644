"""``sloscope demo``: a workspace with sample specs and 30 days of telemetry in it.

The demo only ever writes into a folder that is new, empty, or an earlier demo (it leaves
a marker in ``.sloscope/demo.json``), so it cannot overwrite a real project's telemetry.
Running it again regenerates the data so that it ends at the new ``end``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sloscope.demo.generate import DemoTelemetry, generate_openmetrics, write_truth
from sloscope.demo.spec_files import write_demo_specs
from sloscope.errors import ConfigError

MARKER = "demo.json"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo put things, and what it generated."""

    specs: list[Path]
    telemetry: Path
    truth: Path
    generated: DemoTelemetry


def prepare_demo(root: Path, telemetry_store: Path, *, end: int, days: int, seed: int) -> DemoFiles:
    """Write the demo's specs and telemetry file into ``root``; remove an old demo store.

    Raises :class:`ConfigError` when ``root`` holds a telemetry store the demo did not
    create, or spec files of the same names with other content.
    """
    state = root / ".sloscope"
    marker = state / MARKER
    if telemetry_store.exists() and not marker.exists():
        raise ConfigError(
            f"{root} already has a telemetry store ({telemetry_store}) that the demo did not "
            "write; run the demo in a new folder: sloscope demo --workspace demo"
        )
    try:
        return _write(root, state, telemetry_store, end=end, days=days, seed=seed)
    except OSError as exc:
        where = exc.filename or root
        raise ConfigError(
            f"the demo cannot write in {where} ({exc.strerror or exc}); make the folder "
            "writable or give another one: sloscope demo --workspace DIR"
        ) from None


def _write(
    root: Path, state: Path, telemetry_store: Path, *, end: int, days: int, seed: int
) -> DemoFiles:
    marker = state / MARKER
    state.mkdir(parents=True, exist_ok=True)
    specs = write_demo_specs(root / "slos")
    telemetry = state / "demo-telemetry.om"
    generated = generate_openmetrics(telemetry, end=end, days=days, seed=seed)
    truth = write_truth(state / "demo-truth.json", generated.incidents)
    # The old demo data ends at another time; a fresh store keeps the story consistent.
    for stale in (telemetry_store, telemetry_store.with_name(telemetry_store.name + ".wal")):
        stale.unlink(missing_ok=True)
    marker.write_text(
        json.dumps({"end": end, "days": days, "seed": seed, "telemetry": str(telemetry)}) + "\n",
        encoding="utf-8",
    )
    return DemoFiles(specs=specs, telemetry=telemetry, truth=truth, generated=generated)
