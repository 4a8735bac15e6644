"""match_selectors: the same series whether a selector's candidates are few or many."""

from __future__ import annotations

import io
from pathlib import Path

from sloscope.sources.catalog import _FEW_ROWS, match_selectors
from sloscope.spec.selectors import parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore

T0 = 1_700_000_000


def _labels(i: int) -> dict[str, str]:
    """Labels of series ``i`` (its own ``i``): routes shared by several series, codes, a
    sometimes-absent label."""
    labels = {"route": f"/r{i % 7}", "code": ("200", "500", "503", "404")[i % 4], "i": str(i)}
    if i % 3:
        labels["zone"] = f"z{i % 2}"
    return labels


def _text(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def test_few_and_many_candidates_match_as_the_selector_says(tmp_path: Path) -> None:
    n = 4 * _FEW_ROWS  # a metric with more series than the few judged one by one
    series = [("req_total", _labels(i)) for i in range(n)]
    series += [("other_total", _labels(i)) for i in range(5)]
    lines = [f"{name}{{{_text(labels)}}} 1 {T0}" for name, labels in series]
    store = TelemetryStore(tmp_path / "t.duckdb")
    try:
        ingest_file(store, io.BytesIO(("\n".join([*lines, "# EOF", ""])).encode()))
        ids = dict(store.con.execute("SELECT key, id FROM series").fetchall())
        texts = [
            "req_total",  # many candidates, no = matcher
            'req_total{code!~"5.."}',
            'req_total{zone=""}',  # the absent label reads as ""
            'req_total{zone!="z1", code=~"2..|404"}',
            'req_total{route="/r3"}',  # few: narrowed by the = matcher
            'req_total{route="/r3", code!="200", zone=~"z.*"}',
            'other_total{route="/r1"}',  # the value is shared with the other metric
            'req_total{route="/nope"}',
        ]
        selectors = [parse_selector(t) for t in texts]
        found = match_selectors(store.con, selectors)
        for selector in selectors:
            expected = sorted(
                ids[f"{name}{{{_text(dict(sorted(labels.items())))}}}"]
                for name, labels in series
                if selector.matches(name, labels)
            )
            assert [i for i, _ in found[selector]] == expected, str(selector)
        assert len(found[selectors[0]]) == n
        assert 0 < len(found[selectors[4]]) <= _FEW_ROWS
    finally:
        store.close()
