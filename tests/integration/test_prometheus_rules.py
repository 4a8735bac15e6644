"""The Prometheus source reads the generated recording rules where they cover the range.

The rules of ``sloscope generate prometheus`` for the demo specs are loaded into a real
Prometheus (``rule_files``) and their 5m rates backfilled over the demo's last 2 days with
``promtool tsdb create-blocks-from rules`` (a running server evaluates nothing in the
past). Counts read from them equal the raw counts up to the rules' own 5 minutes at each
edge of a window: a recorded 5m rate at ``t`` spreads each step's events over the next
few evaluations.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import DEMO_END, Demo, StartPrometheus
from sloscope import conventions
from sloscope.errors import SourceError
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import TimeslicesSLI

STEP = 60
#: Rules are backfilled from here (2 days and an hour before the end of the data).
RULES_FROM = DEMO_END - 2 * 86400 - 3600
RATES = {conventions.error_rate(300), conventions.total_rate(300)}


@pytest.fixture(scope="module")
def with_rules(
    demo: Demo,
    tmp_path_factory: pytest.TempPathFactory,
    prometheus_factory: StartPrometheus,
    backfill_rules: Callable[[str, Path, int, int, Path], int],
) -> str:
    """A Prometheus with the demo data, the generated rules loaded and their 5m rates
    backfilled from ``RULES_FROM``; its URL.
    """
    root = tmp_path_factory.mktemp("rules")
    document = generate_rules(demo.workspace.services(), demo.workspace.alert_policies)
    rules = root / "sloscope-rules.yml"
    rules.write_text(render_rules(document), encoding="utf-8")
    # promtool evaluates each rule against the server's data as it is; rules reading
    # other recorded series (the long windows) would see nothing, so only the 5m rates.
    rates = [
        {"name": group["name"], "rules": [r for r in group["rules"] if r.get("record") in RATES]}
        for group in document["groups"]
    ]
    backfill = root / "rates.yml"
    backfill.write_text(
        yaml.safe_dump({"groups": [g for g in rates if g["rules"]]}), encoding="utf-8"
    )
    data = root / "data"
    shutil.copytree(demo.blocks, data)
    added = backfill_rules(demo.prometheus.url, backfill, RULES_FROM, DEMO_END, data)
    assert added > 0
    return prometheus_factory(data, rule_files=[rules]).url


def _window_sum(values: np.ndarray, steps: int, end_offset: int = 0) -> float:
    stop = len(values) - end_offset
    return float(values[stop - steps : stop].sum())


def test_auto_reads_the_rules_and_agrees_within_the_edges_of_each_window(
    demo: Demo, with_rules: str
) -> None:
    pairs = [(s, o) for s in demo.workspace.services() for o in s.slos]
    ids = [conventions.slo_id(s.name, o.name) for s, o in pairs]
    slis = [o.sli for _, o in pairs]
    start = DEMO_END - 2 * 86400
    embedded = demo.workspace.source()
    try:
        raw = embedded.fetch(slis, start, DEMO_END, STEP)
    finally:
        embedded.close()
    with PrometheusSource(with_rules) as source:
        recorded = source.fetch(slis, start, DEMO_END, STEP, ids=ids)

    checked = 0
    for (_, slo), slo_id, want, have in zip(pairs, ids, raw, recorded, strict=True):
        if isinstance(slo.sli, TimeslicesSLI):
            # Rules record bad slices, not the indicator's events: raw series, exactly.
            assert have.note == "raw series"
            np.testing.assert_array_equal(have.total, want.total)
            continue
        assert have.note == (
            f'recording rules slo:sli_error:rate5m, slo:sli_total:rate5m {{sloscope_id="{slo_id}"}}'
        )
        assert have.series == 1
        for counts in ("total", "bad"):
            got = have.total if counts == "total" else have.total - have.good
            exp = want.total if counts == "total" else want.total - want.good
            for minutes in (60, 360, 1440):
                for end_offset in (0, 397, 1111):  # windows ending at three times
                    diff = _window_sum(got, minutes, end_offset) - _window_sum(
                        exp, minutes, end_offset
                    )
                    # Events of the 5 steps at each edge are counted partly, not wholly.
                    edges = _window_sum(exp, 5, end_offset) + _window_sum(
                        exp, 5, end_offset + minutes
                    )
                    assert abs(diff) <= edges + 1e-6 * _window_sum(exp, minutes, end_offset), (
                        slo_id,
                        counts,
                        minutes,
                        end_offset,
                    )
                    checked += 1
    assert checked == 8 * 2 * 3 * 3  # 8 SLOs read rules, 2 counts, 3 windows, 3 ends


def test_auto_reads_raw_series_when_the_range_begins_before_the_rules(
    demo: Demo, with_rules: str
) -> None:
    services = demo.workspace.services()
    checkout = services[0]
    slo = checkout.slos[0]
    start = RULES_FROM - 3600
    with PrometheusSource(with_rules) as source:
        [counts] = source.fetch(
            [slo.sli], start, DEMO_END, STEP, ids=[conventions.slo_id(checkout.name, slo.name)]
        )
    assert counts.note == "raw series"


def test_always_refuses_a_range_the_rules_do_not_cover(demo: Demo, with_rules: str) -> None:
    checkout = demo.workspace.services()[0]
    slo = checkout.slos[0]
    slo_id = conventions.slo_id(checkout.name, slo.name)
    expected = f"no slo:sli_total:rate5m series .* for {slo_id}"
    with (
        PrometheusSource(with_rules, use_recording_rules="always") as source,
        pytest.raises(SourceError, match=expected),
    ):
        source.fetch([slo.sli], RULES_FROM - 3600, DEMO_END, STEP, ids=[slo_id])


def test_never_reads_raw_series_although_the_rules_exist(demo: Demo, with_rules: str) -> None:
    checkout = demo.workspace.services()[0]
    slo = checkout.slos[0]
    slo_id = conventions.slo_id(checkout.name, slo.name)
    with PrometheusSource(with_rules, use_recording_rules="never") as source:
        [counts] = source.fetch([slo.sli], DEMO_END - 3600, DEMO_END, STEP, ids=[slo_id])
    assert counts.note == "raw series"
