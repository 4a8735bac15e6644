"""Run every benchmark of ``make bench`` and print their figures side by side.

Benchmarks measure; they never assert. Each ``bench_*.py`` module has ``run() -> dict``
returning ``{"name": ..., "rows": [(label, value, unit), ...], "notes": [...]}``.
"""

from __future__ import annotations

import compileall
import importlib
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BENCHES = (
    "bench_start",
    "bench_engine",
    "bench_ingest",
    "bench_report",
    "bench_backtest",
    "bench_peer",
    "bench_gate",
    "bench_server",
    "bench_prometheus",
    "bench_backtest_prometheus",
)


def main() -> int:
    """Run the benchmarks named on the command line (default: all) and print them."""
    sys.path.insert(0, str(Path(__file__).parent))
    names = sys.argv[1:] or list(BENCHES)
    # A command's start is timed as an install has it: with sloscope's byte-code cached.
    # An editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every
    # module from source on every start (about 0.1 s of a 0.4 s start).
    import sloscope

    compileall.compile_dir(Path(sloscope.__file__).parent, quiet=1)
    print(
        f"sloscope benchmarks on {platform.node()}: {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    for name in names:
        module = importlib.import_module(name)
        started = time.perf_counter()
        result = module.run()
        elapsed = time.perf_counter() - started
        print()
        show(result, f"{result.get('name', name)} ({elapsed:.1f} s in all)")
    return 0


def shown(value: object) -> str:
    """A figure as printed: floats to three decimals, counts with thousands separators,
    anything else (a text such as "3 of 4") as it is."""
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show(result: Mapping[str, Any], title: str | None = None) -> None:
    """Print one benchmark's result (``run()``'s dict): its title, rows and notes."""
    print(f"== {title or result.get('name', '')}")
    for label, value, unit in result["rows"]:
        print(f"  {label:<66} {shown(value):>14} {unit}")
    for note in result.get("notes", []):
        print(f"  note: {note}")


if __name__ == "__main__":
    raise SystemExit(main())
