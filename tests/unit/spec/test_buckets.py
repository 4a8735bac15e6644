"""The one ``le`` rule (sloscope.spec.buckets), and the three layers that apply it.

The embedded source picks buckets with ``same_boundary``; the Prometheus source and the
generated rules send the regex of ``le_matcher``, which Prometheus evaluates with RE2.
DuckDB's ``regexp_full_match`` is RE2 too, so the regex is checked in the engine that
runs it, not only in Python's ``re``.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from sloscope.generate.promql import good_bucket_selector
from sloscope.sources.prometheus.queries import bucket_selector
from sloscope.spec.buckets import (
    boundary_order,
    declared_buckets,
    le_matcher,
    le_regex,
    same_boundary,
)
from sloscope.spec.model import LatencySLI
from sloscope.spec.selectors import parse_selector

SPELLINGS = [
    # (le label, threshold, is that boundary)
    ("0.3", 0.3, True),
    ("0.30", 0.3, True),
    ("3e-1", 0.3, True),
    ("3.0E-01", 0.3, True),
    (".3", 0.3, True),
    ("0.3", 300 / 1000, True),
    ("0.35", 0.3, False),
    ("0.03", 0.3, False),
    ("3", 0.3, False),
    ("+Inf", 0.3, False),
    ("1", 1.0, True),
    ("1.0", 1.0, True),
    ("1e+00", 1.0, True),
    ("10", 1.0, False),
    ("+Inf", math.inf, True),
    ("Inf", math.inf, True),
    ("inf", math.inf, True),
    ("-Inf", math.inf, False),
    ("0.3", math.inf, False),
]


def _re2_full_match(pattern: str, text: str) -> bool:
    with duckdb.connect() as con:
        [(found,)] = con.execute("SELECT regexp_full_match(?, ?)", [text, pattern]).fetchall()
    return bool(found)


@pytest.mark.parametrize(("le", "threshold", "same"), SPELLINGS)
def test_the_sources_and_the_generated_rules_agree_on_every_spelling(
    le: str, threshold: float, same: bool
) -> None:
    bucket = parse_selector("lat_seconds_bucket")
    labels = {"le": le}
    embedded = same_boundary(le, threshold)
    prometheus = bucket_selector(bucket, threshold).matches("lat_seconds_bucket", labels)
    re2 = _re2_full_match(le_matcher(threshold).value, le)
    assert embedded is prometheus is re2 is same
    if math.isfinite(threshold):
        sli = LatencySLI(metric=parse_selector("lat_seconds"), threshold=threshold)
        assert good_bucket_selector(sli).matches("lat_seconds_bucket", labels) is same


def test_the_regex_starts_with_the_usual_spelling_for_readers_of_a_rule() -> None:
    assert le_regex(0.25).split("|")[0] == r"0\.25"
    assert le_regex(1e6).split("|")[0] == "1000000"


def test_a_threshold_that_is_no_boundary_matches_nothing() -> None:
    assert not same_boundary("nan", math.nan)
    assert not same_boundary("-1", -1.0)


def test_boundaries_sort_as_numbers_and_unparsable_ones_last() -> None:
    les = ["+Inf", "fast", "0.5", "10", "0.25"]
    assert sorted(les, key=boundary_order) == ["0.25", "0.5", "10", "+Inf", "fast"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.1, 0.3, 1], (0.1, 0.3, 1.0)),
        ([0.1 + 0.2, 1], (0.3, 1.0)),
        ([0.1, 0.3, math.inf], (0.1, 0.3, math.inf)),
        ([], None),
        ([0, 1], None),
        ([-1, 1], None),
        ([0.3, 0.1], None),
        ([0.1, 0.1], None),
        ([0.1, math.nan], None),
        ([math.inf, 1], None),
    ],
)
def test_declared_buckets_are_positive_and_increasing_each_once(
    values: list[float], expected: tuple[float, ...] | None
) -> None:
    assert declared_buckets(values) == expected
