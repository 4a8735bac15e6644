"""``report --json`` text is written without Python's indenting encoder: the same bytes."""

from __future__ import annotations

import json
import random

import pytest

from sloscope.jsontext import dumps_indented


def _random_value(rng: random.Random, depth: int) -> object:
    kind = rng.random()
    if depth > 3 or kind < 0.4:
        return rng.choice(
            [
                None,
                True,
                False,
                rng.random() * 10 ** rng.randint(-20, 20),
                -0.0,
                rng.randint(-(10**20), 10**20),
                'é\n"\\ \t\u2028' * rng.randint(0, 2),
                "",
            ]
        )
    if kind < 0.7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i} ü": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_random_documents_are_written_as_json_dumps_writes_them() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        doc = {"slos": [_random_value(rng, 0) for _ in range(3)], "t": (1, 2.5)}
        assert dumps_indented(doc) == json.dumps(doc, indent=2)


@pytest.mark.parametrize(
    "doc",
    [{}, [], {"a": {}}, {"a": []}, {1: "x"}, {"x": float("nan")}, [float("-inf")], "s", 0, None],
)
def test_edge_values_are_written_as_json_dumps_writes_them(doc: object) -> None:
    # Non-string keys and non-finite numbers go to json.dumps whole.
    assert dumps_indented(doc) == json.dumps(doc, indent=2)


def test_what_json_cannot_write_is_refused_as_json_dumps_refuses_it() -> None:
    with pytest.raises(TypeError):
        dumps_indented({"a": {1, 2}})
