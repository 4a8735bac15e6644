"""The store under several real processes and a full disk (issue 7).

An ingest holds the store's write lock only while it writes: a report started while the
ingest reads its file answers at once, and one started during the write waits for it.
A write that fails on a full disk leaves the store file as it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import AT, CliRunner

SLOSCOPE = [sys.executable, "-m", "sloscope.cli"]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SLOSCOPE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _wait_for(check: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def test_a_report_during_an_ingest_does_not_wait_for_the_file_to_be_read(
    ingested: Path,
) -> None:
    """The ingest reads from a pipe the test keeps open: it is parsing as long as the
    test wants. A report meanwhile answers from the stored data."""
    with subprocess.Popen(
        [*SLOSCOPE, "ingest", "-", "-w", str(ingested), "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as ingest:
        assert ingest.stdin is not None
        series = 'http_requests_total{service="checkout",code="200"}'
        ingest.stdin.write(f"{series} 10080000 {AT + 60}\n".encode())
        ingest.stdin.flush()
        # The spool folder appears when the ingest starts reading its input.
        _wait_for(lambda: any((ingested / ".sloscope").glob(".ingest-*")), "the ingest")
        started = time.monotonic()
        report = _run("report", "--at", str(AT), "-w", str(ingested), "--json", timeout=60)
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["slos"][0]["total"] == 10_083_000.0
        assert time.monotonic() - started < 30
        rest = f"{series} 10081000 {AT + 120}\n# EOF\n".encode()
        out, err = ingest.communicate(rest, timeout=120)
    assert ingest.returncode == 0, err.decode()
    assert json.loads(out)["new_samples"] == 2


def test_a_report_started_while_the_store_is_written_waits_for_the_write(
    ingested: Path,
) -> None:
    store = ingested / ".sloscope" / "telemetry.duckdb"
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from sloscope.telemetry.store import TelemetryStore\n"
            f"s = TelemetryStore({str(store)!r})\n"
            "print('locked', flush=True)\n"
            "time.sleep(2)\n"
            "s.close()\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        report = _run("report", "--at", str(AT), "-w", str(ingested), "--json", timeout=90)
        waited = time.monotonic() - started
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["slos"][0]["total"] == 10_083_000.0
    # It waited for the holder's 2 s (less the report's own start-up).
    assert waited > 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 12 MiB file system (a tmpfs; this test runs as root)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"this test mounts a tmpfs (as root): {done.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _counters(path: Path, samples: int, series: int = 40, seed: int = 3) -> None:
    """Counters with random fractional increments: they compress poorly."""
    rng = np.random.default_rng(seed)
    per = samples // series
    with path.open("w", encoding="utf-8") as out:
        out.write("# TYPE noise counter\n")
        for s in range(series):
            values = np.cumsum(rng.random(per) * 1000)
            out.writelines(
                f'noise_total{{s="{s}"}} {v:.6f} {AT - 60 * (per - i)}\n'
                for i, v in enumerate(values)
            )
        out.write("# EOF\n")


def test_a_write_that_fills_the_disk_leaves_the_store_file_as_it_was(
    sloscope: CliRunner, workspace: Path, small_disk: Path
) -> None:
    (workspace / "sloscope.yaml").write_text(
        f"source:\n  path: {small_disk / 'telemetry.duckdb'}\n", encoding="utf-8"
    )
    assert sloscope("ingest", str(workspace / "metrics.om"), "-w", str(workspace)).code == 0
    store = small_disk / "telemetry.duckdb"
    size = store.stat().st_size
    before = sloscope("report", "--at", str(AT), "-w", str(workspace), "--json").stdout
    # 400,000 samples: their spool (8 MB) fits beside the store, the store's growth
    # (about 8 bytes a sample, hardly compressible) then does not.
    big = workspace / "big.om"
    _counters(big, 400_000)
    result = sloscope("ingest", str(big), "-w", str(workspace))
    assert result.code == 2
    assert "nothing was stored" in result.stderr
    assert "check free disk space" in result.stderr or "free some disk space" in result.stderr
    assert store.stat().st_size == size
    assert not list(small_disk.glob(".ingest-*"))
    assert sloscope("report", "--at", str(AT), "-w", str(workspace), "--json").stdout == before
    small = workspace / "small.om"
    _counters(small, 400)
    assert sloscope("ingest", str(small), "-w", str(workspace)).code == 0
