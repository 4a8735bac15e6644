"""Engine benchmark: burn rates of every default lookback at every step, and alert conditions.

1,000 SLOs x 43,200 one-minute steps (30 days), seeded random counts with a few incidents
each. The engine (:func:`sloscope.engine.evaluate.evaluate_range`: cumulative sums, the
7 default lookbacks 5m..3d at every step, the 4 SRE-workbook alert rows) is timed on all
of them; the same figures computed naively with pandas ``rolling(w).sum()`` are timed on
a subset in the same process and scaled to 1,000 SLOs (said so in the output), and the
two answers are compared. ``evaluate_slo`` (one status per SLO, what ``report`` does) is
timed too. Run ``python bench/bench_engine.py`` or ``make bench``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from sloscope.engine.burn import alert_thresholds, firing_spans
from sloscope.engine.evaluate import evaluate_range, evaluate_slo
from sloscope.engine.windows import DEFAULT_LOOKBACKS, alert_policy
from sloscope.spec.model import SLO, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector

SLOS = 1000
STEPS = 43_200
STEP = 60
PANDAS_SLOS = 50
START = 1_700_006_400
SEED = 20_240_101


def make_counts(rng: np.random.Generator, slos: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded per-minute good/total counts: steady traffic, a low error rate, 3 incidents each."""
    total = rng.integers(50, 500, size=(slos, steps)).astype(np.float64)
    rate = np.repeat(rng.uniform(0.0, 0.0008, size=(slos, 1)), steps, axis=1)
    for row in range(slos):
        for _ in range(3):
            begin = int(rng.integers(0, steps - 300))
            rate[row, begin : begin + int(rng.integers(10, 300))] = rng.uniform(0.01, 0.5)
    bad = rng.binomial(total.astype(np.int64), rate).astype(np.float64)
    return total - bad, total


def make_slo() -> SLO:
    """A 99.9% / 30d ratio SLO (the selectors only name it; the counts are given)."""
    return SLO(
        name="bench",
        objective=0.999,
        window=RollingWindow(30 * 86400),
        sli=RatioSLI(total=parse_selector("requests_total"), bad=parse_selector("errors_total")),
    )


def pandas_naive(
    good: np.ndarray, total: np.ndarray, objective: float
) -> tuple[dict[int, np.ndarray], list[np.ndarray]]:
    """Burn rates and firing arrays the way a notebook would: pandas rolling sums per lookback."""
    frame = pd.DataFrame({"good": good, "total": total})
    burn: dict[int, np.ndarray] = {}
    for seconds in DEFAULT_LOOKBACKS:
        sums = frame.rolling(seconds // STEP, min_periods=1).sum()
        ratio = 1.0 - sums["good"] / sums["total"]
        burn[seconds] = (ratio.clip(lower=0.0) / (1.0 - objective)).to_numpy()
    firing = []
    for threshold in alert_thresholds(alert_policy("google"), 30 * 86400):
        long_burn, short_burn = burn[threshold.long_seconds], burn[threshold.short_seconds]
        firing.append((long_burn > threshold.factor) & (short_burn > threshold.factor))
    return burn, firing


def run() -> dict[str, object]:
    """Time the engine and the pandas baseline; return rows for ``bench/run.py``."""
    rng = np.random.default_rng(SEED)
    made = time.perf_counter()
    good, total = make_counts(rng, SLOS, STEPS)
    made = time.perf_counter() - made
    slo, policy = make_slo(), alert_policy("google")

    began = time.perf_counter()
    spans = 0
    firing_steps = 0
    results = []
    for row in range(SLOS):
        result = evaluate_range(slo, good[row], total[row], start=START, step=STEP, policy=policy)
        for condition in result.conditions:
            firing_steps += int(condition.firing.sum())
        if row < PANDAS_SLOS:
            results.append(result)
    engine_seconds = time.perf_counter() - began

    # Contiguous spans (what a backtest turns into alerts), timed apart.
    began = time.perf_counter()
    for result in results:
        for condition in result.conditions:
            spans += len(firing_spans(condition.firing, result.timestamps))
    spans_seconds = (time.perf_counter() - began) / len(results) * SLOS

    at = START + STEPS * STEP
    began = time.perf_counter()
    for row in range(SLOS):
        evaluate_slo(slo, good[row], total[row], start=START, step=STEP, at=at, policy=policy)
    status_seconds = time.perf_counter() - began

    began = time.perf_counter()
    naive = [pandas_naive(good[row], total[row], slo.objective) for row in range(PANDAS_SLOS)]
    pandas_seconds = (time.perf_counter() - began) / PANDAS_SLOS * SLOS

    # How far the two answers are apart (NaN where a lookback has no events, in both).
    worst = 0.0
    disagree = 0
    for result, (burn, firing) in zip(results, naive, strict=True):
        for index, seconds in enumerate(result.lookbacks):
            ours, theirs = result.burn[index], burn[seconds]
            both = ~np.isnan(ours) & ~np.isnan(theirs)
            scale = np.maximum(np.abs(theirs[both]), 1e-12)
            if both.any():
                worst = max(worst, float(np.max(np.abs(ours[both] - theirs[both]) / scale)))
        for condition, other in zip(result.conditions, firing, strict=True):
            disagree += int(np.sum(condition.firing != other))

    return {
        "name": f"engine: {SLOS:,} SLOs x {STEPS:,} one-minute steps, 7 lookbacks + 4 alert rows",
        "rows": [
            ("engine evaluate_range, all SLOs", engine_seconds, "s"),
            ("engine per SLO", engine_seconds / SLOS * 1000, "ms"),
            (f"pandas rolling().sum(), scaled from {PANDAS_SLOS} SLOs", pandas_seconds, "s"),
            ("pandas / engine", pandas_seconds / engine_seconds, "x"),
            ("engine evaluate_slo (one status per SLO), all SLOs", status_seconds, "s"),
            (f"firing_spans, scaled from {PANDAS_SLOS} SLOs", spans_seconds, "s"),
            ("steps firing (any alert row), all SLOs", firing_steps, "steps"),
            (f"alert spans in the first {PANDAS_SLOS} SLOs", spans, "spans"),
            ("firing steps where engine and pandas disagree", disagree, "steps"),
            ("generating the counts (not timed above)", made, "s"),
        ],
        "notes": [
            f"seeded counts (seed {SEED}); wall-clock time.perf_counter(), one process",
            f"pandas was run on {PANDAS_SLOS} of the {SLOS} SLOs and scaled linearly",
            f"largest relative difference of a burn rate, engine vs pandas: {worst:.1e}",
        ],
    }


if __name__ == "__main__":
    from run import show

    show(run())
