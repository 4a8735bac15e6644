"""The vectorised engine agrees with naive Python loops on any data (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sloscope.engine.burn import burn_matrix, firing_spans
from sloscope.engine.counts import cumulative, rolling_sums
from sloscope.engine.evaluate import evaluate_slo
from sloscope.engine.timeslices import to_timeslices
from sloscope.engine.windows import AlertPolicy, AlertWindow
from sloscope.spec.model import SLO, Alerting, RatioSLI, RollingWindow
from sloscope.spec.selectors import parse_selector

STEP = 60
START = 1_000_000 * STEP

counts = st.lists(st.integers(min_value=0, max_value=1000), min_size=0, max_size=80)


@st.composite
def good_total(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Per-step totals and goods; good may exceed total in a step (scrape skew)."""
    total = draw(counts)
    good = [float(draw(st.integers(min_value=0, max_value=t + 2))) if t else 0.0 for t in total]
    return good, [float(t) for t in total]


def naive_window(values: list[float], end_index: int, steps: int) -> float:
    """Sum of the ``steps`` values ending at ``end_index`` (inclusive), by a loop."""
    acc = 0.0
    for i in range(end_index - steps + 1, end_index + 1):
        if i >= 0:
            acc += values[i]
    return acc


@settings(deadline=None)
@given(data=counts, steps=st.integers(min_value=1, max_value=100), first=st.integers(0, 80))
def test_rolling_sums_equal_a_loop(data: list[int], steps: int, first: int) -> None:
    values = [float(v) for v in data]
    first = min(first, len(values))
    cum = np.concatenate(([0.0], np.cumsum(values)))
    got = rolling_sums(cum, steps, first=first)
    expected = [naive_window(values, i, steps) for i in range(first, len(values))]
    assert got.tolist() == expected  # whole numbers: exact


@settings(deadline=None)
@given(
    pair=good_total(),
    lookback_steps=st.lists(st.integers(1, 90), min_size=1, max_size=4),
    objective=st.sampled_from([0.9, 0.99, 0.999, 0.95]),
)
def test_burn_matrix_equals_a_loop(
    pair: tuple[list[float], list[float]], lookback_steps: list[int], objective: float
) -> None:
    good, total = pair
    cum = cumulative(np.array(good), np.array(total), start=START, step=STEP)
    burn = burn_matrix(cum, [s * STEP for s in lookback_steps], objective)
    budget = round(1 - objective, 12)
    for row, steps in enumerate(lookback_steps):
        for i in range(len(total)):
            t = naive_window(total, i, steps)
            g = naive_window(good, i, steps)
            if t == 0:
                assert math.isnan(burn[row, i])
            else:
                # bad / (total * budget), as DESIGN.md defines it: the same bits.
                assert burn[row, i] == max(t - g, 0.0) / (t * budget)


@settings(deadline=None)
@given(
    pair=good_total(),
    slice_steps=st.integers(1, 12),
    end_shift=st.integers(-20, 0),
    target=st.sampled_from([0.5, 0.9, 0.95, 1.0]),
)
def test_timeslices_equal_a_loop(
    pair: tuple[list[float], list[float]], slice_steps: int, end_shift: int, target: float
) -> None:
    good, total = pair
    n = len(total)
    slice_seconds = slice_steps * STEP
    end = START + max(n + end_shift, 0) * STEP
    got_good, got_total = to_timeslices(
        np.array(good),
        np.array(total),
        start=START,
        step=STEP,
        slice_seconds=slice_seconds,
        target=target,
        end=end,
    )
    # Naive: each step joins the slice whose boundary is the first at or after its right
    # edge; boundaries are end + k * slice_seconds. The slice counts at its last step.
    groups: dict[int, list[int]] = {}
    for i in range(n):
        right = START + (i + 1) * STEP
        k = -((end - right) // slice_seconds)  # ceil((right - end) / slice_seconds)
        groups.setdefault(k, []).append(i)
    want_good = [0.0] * n
    want_total = [0.0] * n
    for members in groups.values():
        g = sum(good[i] for i in members)
        t = sum(total[i] for i in members)
        if t > 0:
            want_total[members[-1]] = 1.0
            want_good[members[-1]] = 1.0 if g / t >= target else 0.0
    assert got_total.tolist() == want_total
    assert got_good.tolist() == want_good


@given(firing=st.lists(st.booleans(), max_size=60))
def test_firing_spans_equal_a_loop(firing: list[bool]) -> None:
    times = START + STEP * np.arange(1, len(firing) + 1, dtype=np.int64)
    expected: list[tuple[int, int]] = []
    run_start: int | None = None
    for i, on in enumerate(firing):
        if on and run_start is None:
            run_start = i
        if run_start is not None and (not on or i == len(firing) - 1):
            last = i if on else i - 1
            expected.append((int(times[run_start]), int(times[last])))
            run_start = None
    assert firing_spans(np.array(firing, dtype=bool), times) == expected


@settings(deadline=None)
@given(
    pair=good_total(),
    window_steps=st.integers(1, 100),
    at_steps=st.integers(0, 80),
)
def test_evaluate_slo_window_sums_equal_a_loop(
    pair: tuple[list[float], list[float]], window_steps: int, at_steps: int
) -> None:
    good, total = pair
    at_steps = min(at_steps, len(total))
    at = START + at_steps * STEP
    slo = SLO(
        name="s",
        objective=0.99,
        window=RollingWindow(window_steps * STEP),
        sli=RatioSLI(total=parse_selector("t"), good=parse_selector("g")),
        alerting=Alerting(enabled=False),
    )
    policy = AlertPolicy("one", (AlertWindow("page", 10, 2 * STEP, STEP),))
    status = evaluate_slo(
        slo,
        np.array(good),
        np.array(total),
        start=START,
        step=STEP,
        at=at,
        policy=policy,
        lookbacks=(STEP,),
    )
    window_start = at - window_steps * STEP
    inside = [i for i in range(at_steps) if START + (i + 1) * STEP > window_start]
    if at_steps == 0:
        assert status.total is None
        assert status.coverage == 0.0
        return
    t = sum(total[i] for i in inside)
    g = sum(good[i] for i in inside)
    assert (status.good, status.total) == (g, t)
    assert status.coverage == min(at_steps, window_steps) / window_steps
    if t == 0:
        assert status.consumed is None
    else:
        assert status.consumed == max(t - g, 0.0) / (t * 0.01)
