"""The one scrubber of credentials: every form a server may echo a secret in."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from sloscope.secrets import Scrubber

SECRET = 'p@ss/w0rd x"y'


@pytest.mark.parametrize(
    "form",
    [SECRET, quote(SECRET, safe=""), quote_plus(SECRET, safe=""), json.dumps(SECRET)[1:-1]],
    ids=["as written", "percent-encoded", "form-encoded", "JSON-escaped"],
)
def test_every_form_of_a_secret_is_scrubbed(form: str) -> None:
    assert Scrubber([SECRET]).scrub(f"echo: {form} !") == "echo: *** !"


def test_a_secret_inside_a_longer_one_leaves_no_rest_showing() -> None:
    assert Scrubber(["abcd", "abcdefgh"]).scrub("x abcdefgh y") == "x *** y"


def test_short_values_are_not_secrets_and_garble_nothing() -> None:
    assert Scrubber(["1", "", None]).scrub("tenant 1 of 10") == "tenant 1 of 10"
