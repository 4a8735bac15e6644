"""demo.scale: store_many stores the traffic generate_many writes as text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sloscope.demo.scale import generate_many, store_many
from sloscope.sources.embedded import EmbeddedSource
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore
from sloscope.workspace import Workspace

END = 1_795_176_000


def test_stored_slos_count_every_step_as_their_openmetrics_text_does(tmp_path: Path) -> None:
    text = tmp_path / "text"
    generated = generate_many(text / "slos", text / "metrics.om", end=END, n_slos=4, days=2)
    with TelemetryStore(text / "t.duckdb") as store:
        ingest_file(store, text / "metrics.om")
    direct = tmp_path / "direct"
    with TelemetryStore(direct / "t.duckdb") as store:
        stored = store_many(direct / "slos", store, end=END, n_slos=4, days=2, chunk=3)

    # Routes 0 and 3 answer 200, 500 and 503, routes 1 and 2 200 and 500: a sample a minute.
    assert stored == generated.samples == (3 + 2 + 2 + 3) * (2 * 1440 + 1)
    assert sorted(p.read_text() for p in (direct / "slos").iterdir()) == sorted(
        p.read_text() for p in (text / "slos").iterdir()
    )
    slis = [slo.sli for service in Workspace.open(direct).services() for slo in service.slos]
    start = END - 2 * 86400
    ours = EmbeddedSource(TelemetryStore(direct / "t.duckdb", read_only=True))
    theirs = EmbeddedSource(TelemetryStore(text / "t.duckdb", read_only=True))
    try:
        for a, b in zip(
            ours.fetch(slis, start, END, 60), theirs.fetch(slis, start, END, 60), strict=True
        ):
            assert np.array_equal(a.good, b.good)
            assert np.array_equal(a.total, b.total)
            assert a.total.sum() > 0
    finally:
        ours.close()
        theirs.close()
