"""The samples of the partly covered hours, summed per piece of the ranges asked for,
are those of the samples one by one, whatever scans read them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from sloscope.sources.spans import CLUSTER_GAP_MS, PartialSamples
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

T0 = 1_790_000_000 // 3600 * 3600
HOUR = 3_600_000


def _pieces(
    samples: list[tuple[int, int, float]], edges: list[int]
) -> list[tuple[int, int, float]]:
    """(series, piece end, sum) of samples (series, ts, delta), one sample at a time: a
    piece ends at the next hour or the next of ``edges``, whichever comes first."""
    sums: dict[tuple[int, int], float] = {}
    for series, ts, delta in samples:
        end = min([-(-ts // HOUR) * HOUR] + [e for e in edges if e >= ts])
        sums[(series, end)] = sums.get((series, end), 0.0) + delta
    return sorted((s, end, total) for (s, end), total in sums.items() if total != 0)


def test_ranges_near_and_far_read_the_samples_in_them_with_an_increase(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    lines = []
    for name in ("a_total", "b_total", "c_total"):
        values = np.cumsum(rng.integers(0, 3, 35 * 24 * 12))  # every 5 minutes, some flat
        lines += [f"{name} {v} {T0 + 300 * i}" for i, v in enumerate(values)]
    data = io.BytesIO(("\n".join(lines) + "\n# EOF\n").encode())
    start = T0 * 1000
    # Two ranges inside one hour, one a few hours on (one scan), two weeks on (another).
    ranges = [
        (start + HOUR + 600_000, start + HOUR + 1_500_000),
        (start + HOUR + 1_500_000, start + 2 * HOUR),
        (start + 7 * HOUR - 1_200_000, start + 8 * HOUR),  # across an hour
        (start + 7 * HOUR + CLUSTER_GAP_MS + 1, start + 8 * HOUR + CLUSTER_GAP_MS),
        (start, start),  # empty
    ]
    # A cut inside a range, one on an hour, one outside every range.
    cuts = [start + HOUR + 900_000, start + 2 * HOUR, start + 5 * HOUR + 60_000]
    with TelemetryStore(tmp_path / "t.duckdb") as store:
        ingest_file(store, data)
        found = PartialSamples.read(store.con, ranges, (2, 3), cuts=cuts)
        samples = store.query(
            "SELECT series_id, ts, delta FROM samples WHERE series_id BETWEEN 2 AND 3 "
            "AND delta <> 0 AND (" + " OR ".join("(ts > ? AND ts <= ?)" for _ in ranges) + ")",
            [t for r in ranges for t in r],
        )
    got = sorted(
        zip(found.series_id.tolist(), found.ts.tolist(), found.delta.tolist(), strict=True)
    )
    edges = sorted({t for r in ranges for t in r} | set(cuts))
    expected = _pieces([(int(s), int(t), float(d)) for s, t, d in samples], edges)
    assert got == expected
    assert {s for s, _, _ in got} == {2, 3}
    # Fewer rows than samples (summed), more than one per series and range (cut).
    assert 4 * 2 < len(got) < len(samples)
    inside = found.within(ranges[2:3])
    assert ((inside.ts > ranges[2][0]) & (inside.ts <= ranges[2][1])).all()
    assert 0 < len(inside.ts) < len(found.ts)
    # The range across an hour comes in two pieces a series: before the hour and after.
    assert sorted(set(inside.ts.tolist())) == [start + 7 * HOUR, start + 8 * HOUR]
