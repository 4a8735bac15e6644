"""Attacks on regexes: ReDoS, and a dialect that validate and evaluation read alike.

Every user regex is RE2 (:mod:`sloscope.spec.regex`), as Prometheus and DuckDB read it:
matching takes linear time, and what ``validate`` accepts is exactly what the embedded
store evaluates.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from sloscope.alerting.matchers import Matcher as Matcher_
from sloscope.alerting.matchers import parse_matcher
from sloscope.errors import SourceError
from sloscope.generate.rule_tests.series import _example
from sloscope.sources.embedded import EmbeddedSource
from sloscope.spec.load import load_text
from sloscope.spec.model import RatioSLI
from sloscope.spec.regex import RegexError, check_regex, full_match
from sloscope.spec.selectors import Matcher, Selector, SelectorSyntaxError, parse_selector
from sloscope.telemetry.ingest import ingest_file
from sloscope.telemetry.store import TelemetryStore
from tests.attacks.conftest import CliRunner

PATHOLOGICAL = "(x+x+)+y|x{30}z"

SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata: {{name: api, owner: team}}
spec:
  journeys: [{{name: use}}]
  slos:
    - name: availability
      journey: use
      objective: 99
      window: 28d
      sli:
        ratio:
          good: 'req_total{{code!~"{regex}"}}'
          total: req_total
"""


def test_the_pathological_regex_matches_a_long_value_in_under_a_second() -> None:
    started = time.monotonic()
    assert not full_match(PATHOLOGICAL, "x" * 10_000)
    assert full_match(PATHOLOGICAL, "x" * 30 + "z")
    assert time.monotonic() - started < 1.0


def test_generate_prometheus_tests_with_the_pathological_regex_ends_in_seconds(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "slos").mkdir()
    spec = SPEC.format(regex=PATHOLOGICAL.replace("\\", "\\\\"))
    (tmp_path / "slos" / "api.yaml").write_text(spec, encoding="utf-8")
    started = time.monotonic()
    result = sloscope("generate", "prometheus-tests", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert time.monotonic() - started < 10.0
    assert result.code == 0, result.stderr
    assert (tmp_path / "out" / "api-availability.test.yaml").exists()


def test_a_rule_test_example_for_the_pathological_regex_is_found_at_once() -> None:
    started = time.monotonic()
    matcher = Matcher("code", "!~", PATHOLOGICAL)
    assert _example(matcher, satisfy=True) == ""
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        ("(?=5)..", "invalid perl operator"),
        ("(5)\\1", "invalid escape sequence: \\1"),
        ("5..\\Z", "invalid escape sequence: \\Z"),
        ("(?<!4)00", "invalid perl operator"),
    ],
)
def test_validate_refuses_what_re2_refuses(regex: str, why: str) -> None:
    result = load_text(SPEC.format(regex=regex.replace("\\", "\\\\")), "api.yaml")
    [error] = result.errors
    assert f"invalid regular expression {regex!r} for label 'code': {why}" in error.message


@pytest.mark.parametrize("regex", ["\\pN+", "[[:digit:]]{3}", "(?i)OK|fine", "5\\d\\d"])
def test_validate_accepts_re2_syntax_python_would_not_read_alike(regex: str) -> None:
    # [[:digit:]] made Python's re print a FutureWarning; warnings fail this suite.
    result = load_text(SPEC.format(regex=regex.replace("\\", "\\\\")), "api.yaml")
    assert result.errors == ()


@pytest.mark.parametrize(
    "regex", ["\\pN+", "[[:digit:]]{3}", "(?=5)..", "(5)\\1", "5..\\Z", "a{1001}", "[z-a]"]
)
def test_what_validate_accepts_is_exactly_what_the_embedded_store_evaluates(
    regex: str, tmp_path: Path
) -> None:
    try:
        parse_selector(f'req_total{{code=~"{regex.replace(chr(92), chr(92) * 2)}"}}')
        validated = True
    except SelectorSyntaxError:
        validated = False
    with TelemetryStore(tmp_path / "t.duckdb") as store:
        text = 'req_total{code="500"} 1 1000\nreq_total{code="500"} 2 1060\n# EOF\n'
        ingest_file(store, io.BytesIO(text.encode()))
        good = Selector("req_total", (Matcher("code", "=~", regex),))
        sli = RatioSLI(total=Selector("req_total"), good=good)
        try:
            EmbeddedSource(store).fetch([sli], 1000, 1060, 60)
            evaluated = True
        except SourceError:
            evaluated = False
    assert validated == evaluated


def test_re2_errors_are_reported_not_logged(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RegexError, match="missing \\)"):
        check_regex("(unclosed")
    assert capfd.readouterr().err == ""


def test_a_silence_matcher_is_re2_too_linear_and_in_the_same_dialect() -> None:
    matcher = parse_matcher(f"code=~{PATHOLOGICAL}")
    started = time.monotonic()
    assert not matcher.matches({"code": "x" * 10_000})
    assert time.monotonic() - started < 1.0
    assert parse_matcher("code=~\\pN+").matches({"code": "503"})
    with pytest.raises(ValueError, match="not a regular expression \\(RE2\\): invalid perl"):
        parse_matcher("code=~(?=5)..")
    with pytest.raises(ValueError, match="label name 'code\\\\n' is not valid"):
        Matcher_("code\n", "=", "5")
