"""Silences and their matchers (sloscope.alerting.silences)."""

from __future__ import annotations

import pytest

from sloscope.alerting.matchers import match_all as matches
from sloscope.alerting.silences import Silence, parse_matchers


def test_matchers_take_the_four_prometheus_operators() -> None:
    found = parse_matchers(['service="checkout"', 'slo!="cart"', 'severity=~"page|ticket"'])
    found += parse_matchers(['team!~"infra.*"', "env=prod"])
    assert [(m.name, m.op) for m in found] == [
        ("service", "="),
        ("slo", "!="),
        ("severity", "=~"),
        ("team", "!~"),
        ("env", "="),
    ]
    labels = {"service": "checkout", "slo": "orders", "severity": "page", "env": "prod"}
    assert matches(found, labels)
    assert not matches(found, {**labels, "team": "infra-db"})


def test_regex_matchers_are_anchored_as_in_prometheus() -> None:
    (m,) = parse_matchers(['code=~"5.."'])
    assert m.matches({"code": "500"})
    assert not m.matches({"code": "1500"})


def test_an_absent_label_reads_as_empty() -> None:
    (m,) = parse_matchers(['team=""'])
    assert matches([m], {"service": "checkout"})


def test_a_bad_matcher_names_its_position_and_the_forms() -> None:
    with pytest.raises(ValueError, match=r"matchers\[1\]: 'slo~~\"x\"' is not a matcher"):
        parse_matchers(['service="a"', 'slo~~"x"'])


def test_a_silence_holds_from_its_start_until_its_end() -> None:
    s = Silence.create(['service="checkout"'], start=100, end=200, author="ana", comment="db")
    assert not s.silences({"service": "checkout"}, 99)
    assert s.silences({"service": "checkout"}, 100)
    assert not s.silences({"service": "checkout"}, 200)
    assert not s.silences({"service": "search"}, 150)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"matchers": []}, "matchers"),
        ({"end": 100}, "end"),
        ({"author": " "}, "author"),
        ({"comment": ""}, "comment"),
    ],
)
def test_a_malformed_silence_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "matchers": ['service="a"'],
        "start": 100,
        "end": 200,
        "author": "ana",
        "comment": "why",
    }
    args.update(kwargs)
    matchers = args.pop("matchers")
    with pytest.raises(ValueError, match=f"^{field}:"):
        Silence.create(matchers, **args)  # type: ignore[arg-type]
