"""Sample specs and realistic synthetic telemetry for ``sloscope demo``, docs and benchmarks.

Three services (checkout, search, identity) with nine SLOs ship as native YAML, and a
seeded generator writes 30 days of their Prometheus-style counters and histograms as
OpenMetrics text, with incidents placed so that the report at ``end`` and a backtest
over the range both have something to find (see ``demo/catalog.py``)::

    from pathlib import Path
    from sloscope.demo import generate_openmetrics, write_demo_specs, write_truth

    write_demo_specs(Path("ws/slos"))
    demo = generate_openmetrics(Path("ws/demo.om"), end=1_763_640_000)
    write_truth(Path("ws/truth.json"), demo.incidents)
    print(demo.samples, demo.bytes, [i.slo for i in demo.incidents])

For benchmarks, :func:`generate_many` writes N ratio SLOs and their telemetry.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from sloscope.demo.catalog import DEMO_ROUTES, Deployment, Incident, IncidentKind
from sloscope.demo.exposition import CounterReset
from sloscope.demo.generate import (
    DemoData,
    DemoTelemetry,
    generate_openmetrics,
    rfc3339,
    simulate_demo,
    truth_document,
    write_truth,
)
from sloscope.demo.scale import generate_many
from sloscope.errors import ConfigError

__all__ = [
    "DEMO_ROUTES",
    "CounterReset",
    "DemoData",
    "DemoTelemetry",
    "Deployment",
    "Incident",
    "IncidentKind",
    "demo_specs_dir",
    "generate_many",
    "generate_openmetrics",
    "rfc3339",
    "simulate_demo",
    "truth_document",
    "write_demo_specs",
    "write_truth",
]


def demo_specs_dir() -> Traversable:
    """The packaged demo specs (``checkout.yaml``, ``identity.yaml``, ``search.yaml``)."""
    return files("sloscope.demo").joinpath("specs")


def write_demo_specs(dest_dir: Path | str, *, overwrite: bool = False) -> list[Path]:
    """Copy the demo specs into ``dest_dir`` (created if needed); return the files.

    Re-running is safe: a file that already holds the demo spec is left alone. A file of
    the same name with other content is only replaced with ``overwrite=True``; otherwise
    :class:`~sloscope.errors.ConfigError` is raised and nothing is written.
    """
    target = Path(dest_dir)
    sources = sorted(
        (entry for entry in demo_specs_dir().iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    texts = {entry.name: entry.read_text(encoding="utf-8") for entry in sources}
    if not overwrite:
        for name, text in texts.items():
            existing = target / name
            if existing.exists() and existing.read_text(encoding="utf-8") != text:
                raise ConfigError(
                    f"{existing} exists and is not the demo's {name}; move it away, "
                    "use an empty workspace for the demo, or pass overwrite=True"
                )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = target / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
