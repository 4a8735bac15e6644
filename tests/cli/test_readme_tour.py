"""The README's five-minute tour works as written, with the figures it quotes.

End to end: each command runs the installed entry point in a process of its own.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import CliRunner

TOUR = Path(__file__).parent.parent.parent / "examples" / "tour"


def test_the_tour_pages_during_the_incident_and_not_before(
    sloscope_process: CliRunner, tmp_path: Path
) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(TOUR, shop)
    assert sloscope_process("validate", cwd=shop).code == 0
    ingest = sloscope_process("ingest", "metrics.om", cwd=shop)
    assert ingest.code == 0, ingest.stderr
    assert "1154 samples of 2 series read, 1154 stored" in ingest.stdout

    during = json.loads(
        sloscope_process("report", "--at", "2026-11-20T11:10:00Z", "--json", cwd=shop).stdout
    )["slos"][0]
    assert during["burn_rates"]["1h"] == pytest.approx(18.4517, abs=1e-4)
    assert during["burn_rates"]["5m"] == pytest.approx(18.3639, abs=1e-4)
    assert during["alerts"] == [
        {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 13.44}
    ]
    before = json.loads(
        sloscope_process("report", "--at", "2026-11-20T09:00:00Z", "--json", cwd=shop).stdout
    )["slos"][0]
    assert before["alerts"] == []
    table = sloscope_process("report", "--at", "2026-11-20T11:10:00Z", cwd=shop)
    assert "page 1h/5m" in table.stdout
