"""Label matchers (as Alertmanager writes them) and routes that use them."""

from __future__ import annotations

import pytest

from sloscope.alerting.matchers import Matcher, match_all, matcher_from_dict, parse_matcher
from sloscope.alerting.notify.routing import Route, receivers


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("service=checkout", {"service": "checkout"}, True),
        ("service=checkout", {"service": "cart"}, False),
        ("service!=checkout", {"service": "cart"}, True),
        ("team!=payments", {}, True),  # an absent label is the empty string
        ("team=", {}, True),
        ("severity=~page|ticket", {"severity": "ticket"}, True),
        ("severity=~page", {"severity": "pager"}, False),  # the whole value must match
        ("service!~check.*", {"service": "checkout"}, False),
        ('team="a b"', {"team": "a b"}, True),
    ],
)
def test_a_matcher_holds_as_alertmanager_would_say(
    text: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_a_matcher_reads_back_from_what_is_stored() -> None:
    matcher = parse_matcher("severity =~ page|ticket")
    assert matcher == Matcher("severity", "=~", "page|ticket")
    assert matcher_from_dict(matcher.to_dict()) == matcher
    assert str(matcher) == "severity=~page|ticket"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checkout", "is not a matcher; write NAME=VALUE"),
        ("=checkout", "is not a matcher"),
        ("9lives=x", "label name '9lives' is not valid"),
        ("service=~(", "is not a regular expression"),
        ("a=" + "x" * 1000, "longer than 1000 characters"),
    ],
)
def test_a_malformed_matcher_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_matcher(text)


def test_no_matchers_match_everything() -> None:
    assert match_all([], {"anything": "at all"})


CHECKOUT_PAGES = Route(
    (parse_matcher("service=checkout"), parse_matcher("severity=page")), ("oncall",)
)
TICKETS = Route((parse_matcher("severity=ticket"),), ("mail",))
AUDIT = Route((), ("audit",), keep_going=True)
FALLBACK = Route((), ("chat",))


def test_the_first_matching_route_decides() -> None:
    routes = [CHECKOUT_PAGES, TICKETS, FALLBACK]
    assert receivers(routes, {"service": "checkout", "severity": "page"}) == ("oncall",)
    assert receivers(routes, {"service": "checkout", "severity": "ticket"}) == ("mail",)
    assert receivers(routes, {"service": "cart", "severity": "page"}) == ("chat",)


def test_a_route_that_continues_adds_its_notifiers_and_lets_later_routes_match() -> None:
    routes = [AUDIT, CHECKOUT_PAGES, FALLBACK]
    assert receivers(routes, {"service": "checkout", "severity": "page"}) == ("audit", "oncall")


def test_no_matching_route_means_no_notifier() -> None:
    assert receivers([CHECKOUT_PAGES], {"service": "cart", "severity": "page"}) == ()
