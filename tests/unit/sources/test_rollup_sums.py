"""Window sums read through the hourly roll-ups are those of the samples, bitwise.

Each store is read twice, through its roll-ups and from its samples alone (as a store
written before roll-ups is read), and every count the engine gets must be the same
bytes: windows that start and end inside hours, counter resets on and across an hour
boundary, fractional counters (whose sums depend on the order of the additions, so they
are read from their samples) beside whole-number ones in the same SLI, a late file
filling an hour already rolled up, and deleted spans.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from tests.unit.sources.test_plan import _evaluate_planned

from sloscope.engine.evaluate import evaluate_slo, needed_span
from sloscope.engine.windows import alert_policy
from sloscope.errors import SourceError
from sloscope.sources.embedded import EmbeddedSource
from sloscope.sources.plan import COARSE_STEP, ONE_SUM, FetchRequest, PlannedCounts, fetch_planned
from sloscope.spec.model import SLO, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.repair import delete_samples
from sloscope.telemetry.rollups import refresh
from sloscope.telemetry.store import TelemetryStore

T0 = 1_790_000_000 // 3600 * 3600  # an hour boundary
MINUTES = 9 * 1440
WHOLE = RatioSLI(total=parse_selector('req_total{kind="whole"}'),
                 bad=parse_selector('req_total{kind="whole",code="500"}'))  # fmt: skip
FRACTION = RatioSLI(total=parse_selector('req_total{kind="fraction"}'),
                    good=parse_selector('req_total{kind="fraction",code="200"}'))  # fmt: skip
MIXED = RatioSLI(total=parse_selector("req_total"), bad=parse_selector('req_total{code="500"}'))
SLIS = (WHOLE, FRACTION, MIXED)
WINDOWS = (RollingWindow(7 * 86400), RollingWindow(5 * 86400 + 1800 + 37 * 60))


def _series(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(seconds after T0, values) of each series: scrapes 13 s past each minute."""
    seconds = 13 + 60 * np.arange(MINUTES)
    out = {}
    for kind, scale in (("whole", 1.0), ("fraction", 0.1)):
        total = rng.poisson(40, MINUTES) * scale
        bad = rng.binomial(40, 0.01, MINUTES) * scale
        for code, per_minute in (("200", total), ("500", bad)):
            values = 7 * scale + np.cumsum(per_minute)
            # Resets: one right after an hour starts, one in the middle of an hour.
            values[3 * 60 :] -= values[3 * 60 - 1]
            values[50 * 60 + 30 :] -= values[50 * 60 + 29] - 2 * scale
            if kind == "fraction":
                values = _restarting(rng)
            out[f'req_total{{kind="{kind}",code="{code}"}}'] = (seconds.copy(), values)
    # One scrape exactly on the hour, across which the whole counter resets: it ends
    # the hour before.
    whole_seconds, whole_values = out['req_total{kind="whole",code="200"}']
    whole_seconds[100 * 60] = 100 * 3600
    whole_values[100 * 60 :] -= whole_values[100 * 60 - 1] - 1
    return out


def _restarting(rng: np.random.Generator) -> np.ndarray:
    """A process that restarts every few minutes, counting fractions of all sizes: each
    restart's increase is its first value, so hourly sums round differently from a sum
    of every sample (a run of differences alone would telescope, exactly)."""
    sizes = rng.uniform(0, 1, MINUTES) * 10.0 ** rng.uniform(-3, 4, MINUTES)
    restarts = np.flatnonzero(rng.random(MINUTES) < 0.3)
    restarts = restarts[restarts > 0]
    values = np.cumsum(sizes)
    runs = np.diff(np.r_[0, restarts, MINUTES])
    return values - np.repeat(np.r_[0, values[restarts - 1]], runs)


def _text(series: dict[str, tuple[np.ndarray, np.ndarray]], pick: slice = slice(None)) -> bytes:
    lines = ["# TYPE req counter"]
    for key, (seconds, values) in series.items():
        lines += [f"{key} {v!r} {T0 + s}" for s, v in
                  zip(seconds[pick].tolist(), values[pick].tolist(), strict=True)]  # fmt: skip
    return ("\n".join([*lines, "# EOF"]) + "\n").encode()


def _ingest(path: Path, data: bytes) -> None:
    with TelemetryStore(path) as store:
        ingest_file(store, io.BytesIO(data))


def _fetch(path: Path, at: int, coarse: int, rollups: bool) -> list[PlannedCounts]:
    """Every SLI's planned counts over both windows, through the roll-ups or not."""
    store = TelemetryStore(path, read_only=True)
    store.has_rollups = rollups and store.has_rollups
    source = EmbeddedSource(store)
    requests = []
    for sli in SLIS:
        for window in WINDOWS:
            span = needed_span(_slo(window, sli), at, step=60, policy=alert_policy("google"))
            requests.append(FetchRequest(sli, span.begin, span.fine_since))
    try:
        return fetch_planned(source, requests, at, 60, coarse)
    finally:
        source.close()


def _slo(window: RollingWindow, sli: RatioSLI) -> SLO:
    return SLO(name="s", objective=0.99, window=window, sli=sli)


def _bytes(planned: PlannedCounts) -> list[bytes]:
    parts = [planned.recent.good, planned.recent.total]
    if planned.history is not None:
        parts += [planned.history.good, planned.history.total]
    return [np.ascontiguousarray(p).tobytes() for p in parts]


def assert_same_through_rollups(path: Path, at: int) -> None:
    """Every count read through the roll-ups is, byte for byte, the one of the samples."""
    for coarse in (ONE_SUM, COARSE_STEP):
        rolled = _fetch(path, at, coarse, rollups=True)
        raw = _fetch(path, at, coarse, rollups=False)
        for one, other in zip(rolled, raw, strict=True):
            assert one.history is not None
            assert _bytes(one) == _bytes(other)


# At: on the hour, 13 s after a scrape, and 1234 s into an hour; the windows start at
# minutes inside hours.
@pytest.mark.parametrize("offset", [0, 13, 1234])
def test_windows_inside_hours_read_the_same_through_rollups(tmp_path: Path, offset: int) -> None:
    path = tmp_path / "t.duckdb"
    _ingest(path, _text(_series(np.random.default_rng(3))))
    at = T0 + (MINUTES - 60) * 60 + offset
    assert_same_through_rollups(path, at)


def test_whole_number_sums_through_rollups_are_those_of_every_minute(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    _ingest(path, _text(_series(np.random.default_rng(4))))
    at = T0 + (MINUTES - 60) * 60 + 1234
    policy = alert_policy("google")
    (planned, _) = _fetch(path, at, ONE_SUM, rollups=True)[:2]
    source = EmbeddedSource.open(path)
    try:
        (minutely,) = source.fetch([WHOLE], planned.start, at, 60)
    finally:
        source.close()
    assert planned.history is not None
    assert planned.history.total[0] == minutely.total[: -len(planned.recent.total)].sum()
    slo = _slo(WINDOWS[0], WHOLE)
    dense = evaluate_slo(
        slo, minutely.good, minutely.total, start=minutely.start, step=60, at=at, policy=policy
    )
    status = _evaluate_planned(slo, planned, at)
    assert status == dense


def test_a_late_file_into_rolled_up_hours_reads_as_one_ingest(tmp_path: Path) -> None:
    series = _series(np.random.default_rng(5))
    whole, late = tmp_path / "whole.duckdb", tmp_path / "late.duckdb"
    _ingest(whole, _text(series))
    # Hours 20 to 30 left out, then ingested after the rest was rolled up.
    _ingest(late, _text(series, slice(None, 20 * 60 + 7)))
    _ingest(late, _text(series, slice(30 * 60 + 11, None)))
    _ingest(late, _text(series, slice(20 * 60 + 7, 30 * 60 + 11)))
    at = T0 + (MINUTES - 60) * 60 + 13
    assert_same_through_rollups(late, at)
    for coarse in (ONE_SUM, COARSE_STEP):
        one = _fetch(whole, at, coarse, rollups=True)
        other = _fetch(late, at, coarse, rollups=True)
        assert [_bytes(p) for p in one] == [_bytes(p) for p in other]


def test_deleted_spans_read_the_same_through_rollups(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    _ingest(path, _text(_series(np.random.default_rng(6))))
    with TelemetryStore(path) as store:
        ids = [i for (i,) in store.query("SELECT id FROM series ORDER BY id")]
        # Mid-hour to mid-hour on two series, and everything of a third before a time.
        delete_samples(store, ids[:2], (T0 + 2 * 86400 + 1000) * 1000,
                       (T0 + 3 * 86400 + 2500) * 1000, apply=True)  # fmt: skip
        delete_samples(store, ids[2:3], None, (T0 + 4 * 86400 + 77) * 1000, apply=True)
    for at in (T0 + (MINUTES - 60) * 60 + 1234, T0 + (MINUTES - 60) * 60):
        assert_same_through_rollups(path, at)


def _statuses(path: Path, at: int, slis: tuple[RatioSLI, ...], *, edges: bool) -> list[object]:
    """Every (SLI, window) status at ``at`` from a status's fetch, with or without the
    edges of its sums, and the planned counts it came from."""
    policy = alert_policy("google")
    pairs = [(_slo(window, sli), window) for sli in slis for window in WINDOWS]
    requests = []
    for slo, _ in pairs:
        span = needed_span(slo, at, step=60, policy=policy)
        requests.append(
            FetchRequest(slo.sli, span.begin, span.fine_since, edges=span.edges if edges else ())
        )
    source = EmbeddedSource.open(path)
    try:
        planned = fetch_planned(source, requests, at, 60, ONE_SUM)
    finally:
        source.close()
    return [(_evaluate_planned(slo, p, at), p) for (slo, _), p in zip(pairs, planned, strict=True)]


# At: on the hour, 13 s after a scrape, 1234 s into an hour, and the minute before an hour.
@pytest.mark.parametrize("offset", [0, 13, 1234, 3540])
def test_a_status_read_as_sums_between_its_edges_is_that_of_every_step(
    tmp_path: Path, offset: int
) -> None:
    """Whole-number counters: the recent part comes as one sum per span between the
    edges (hours from the roll-ups, the samples of the hours an edge cuts), and every
    figure of every status is the one of the per-step counts, bitwise."""
    path = tmp_path / "t.duckdb"
    _ingest(path, _text(_series(np.random.default_rng(9))))
    at = T0 + (MINUTES - 60) * 60 + offset // 60 * 60
    by_span = _statuses(path, at, (WHOLE,), edges=True)
    by_step = _statuses(path, at, (WHOLE,), edges=False)
    for (status, planned), (expected, per_step) in zip(by_span, by_step, strict=True):
        assert repr(status) == repr(expected)
        # The sums did come per span: most recent steps hold nothing, and each span's
        # steps sum to the same.
        assert np.count_nonzero(planned.recent.total) < 20
        assert np.count_nonzero(per_step.recent.total) > 1000
        assert planned.recent.total.sum() == per_step.recent.total.sum()
        assert _bytes(planned)[2:] == _bytes(per_step)[2:]


def test_fractional_counters_are_read_per_step_even_with_edges(tmp_path: Path) -> None:
    """A fractional counter anywhere in the fetch (its sums depend on the order of the
    additions): every SLI of it reads the recent part per step, as without edges."""
    path = tmp_path / "t.duckdb"
    _ingest(path, _text(_series(np.random.default_rng(10))))
    at = T0 + (MINUTES - 60) * 60 + 1234 // 60 * 60
    with_edges = _statuses(path, at, SLIS, edges=True)
    without = _statuses(path, at, SLIS, edges=False)
    for (status, planned), (expected, per_step) in zip(with_edges, without, strict=True):
        assert repr(status) == repr(expected)
        assert _bytes(planned) == _bytes(per_step)


def test_a_negative_increase_inside_a_span_is_named_as_when_read_per_step(
    tmp_path: Path,
) -> None:
    """A damaged sample (a store written before ingest refused such values) would vanish
    into its span's sum: the fetch is read per step instead, and the error names it."""
    path = tmp_path / "t.duckdb"
    _ingest(path, _text(_series(np.random.default_rng(11))))
    at = T0 + (MINUTES - 60) * 60
    damaged = (at - 2 * 86400 - 1800 + 13) * 1000  # mid-span, between the 1d and 3d edges
    with TelemetryStore(path) as store:
        store.con.execute("UPDATE samples SET delta = -1 WHERE ts = ?", [damaged])
        hour = np.array([(damaged - 1) // 3_600_000], dtype=np.int64)
        ids = np.array([i for (i,) in store.query("SELECT id FROM series")], dtype=np.int32)
        refresh(store.con, ids, np.repeat(hour, len(ids)), np.repeat(hour, len(ids)))
    for edges in (True, False):
        with pytest.raises(SourceError, match=r"cannot be counted.*increase -1"):
            _statuses(path, at, (WHOLE,), edges=edges)
