"""The plain path of parse_selector gives exactly what the character parser gives."""

from __future__ import annotations

import random

import pytest

from sloscope.spec.selectors import (
    Matcher,
    Selector,
    SelectorSyntaxError,
    _parse_plain,
    _Parser,
    parse_selector,
)


def _outcome(parse: object, text: str) -> object:
    """The selector, or the error's message, column and hint."""
    try:
        return parse(text)  # type: ignore[operator]
    except SelectorSyntaxError as exc:
        return (exc.message, exc.column, exc.hint)


def _by_parser(text: str) -> Selector:
    return _Parser(text).parse()


PLAIN = [
    "up",
    "  up  ",
    "up{}",
    'http_requests_total{service="svc-000", route="/api/r000", code!~"5.."}',
    'a:b {job = "api" , code=~"2..",}',
    'm{a="x,y}", b!="", c=~"(a|b)"}',
]
NOT_PLAIN = [
    'm{a="x\\"y"}',  # an escape
    "m{a='x'}",  # another quote
    'm{__name__="x"}',  # the name as a matcher
    'm{a=~"("}',  # a regex that does not compile: the parser names it
    'm{a="x"\t}',  # a tab
    '{__name__="up", job="api"}',
    'm{a="x",,}',
    "m x",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_selectors_take_the_plain_path_with_the_same_result(text: str) -> None:
    assert _parse_plain(text) is not None
    assert parse_selector(text) == _by_parser(text)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_other_selectors_go_to_the_parser(text: str) -> None:
    assert _parse_plain(text) is None
    assert _outcome(parse_selector, text) == _outcome(_by_parser, text)


def test_the_plain_path_keeps_the_matchers_in_order() -> None:
    assert parse_selector('m{b="2", a=~"1"}') == Selector(
        "m", (Matcher("b", "=", "2"), Matcher("a", "=~", "1"))
    )


def test_random_texts_parse_the_same_either_way() -> None:
    pieces = ["up", "m:x", " ", "{", "}", ",", "a", "__name__", "=", "!=", "=~", "!~",
              '"5.."', '"a,b}"', '"("', '"\\d"', "'q'", '"', "9", "\t", '""']  # fmt: skip
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert _outcome(parse_selector, text) == _outcome(_by_parser, text), text
