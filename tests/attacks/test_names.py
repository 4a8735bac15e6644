"""Attacks on names: a trailing newline or an embedded control character in every kind
of name and label key is refused by validate (``$`` once matched before a final ``\\n``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sloscope.policy.settings import ExceptionKindConfig, ScopeConfig
from sloscope.spec.durations import parse_duration
from sloscope.spec.load import load_text
from sloscope.timeparse import parse_time
from sloscope.validation import check_services

BASE = {
    "service": "checkout",
    "journey": "place-order",
    "slo": "availability",
    "service_label": "team",
    "slo_label": "tier",
    "alert_label": "route",
    "annotation": "playbook",
    "page_label": "pager",
    "ticket_annotation": "queue",
}

SPEC = """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: {service}
  owner: payments
  labels: {{{service_label}: a}}
spec:
  journeys: [{{name: {journey}}}]
  slos:
    - name: {slo}
      journey: {journey}
      objective: 99
      window: 28d
      labels: {{{slo_label}: b}}
      sli: {{ratio: {{good: 'req_total{{code="200"}}', total: req_total}}}}
      alerting:
        labels: {{{alert_label}: c}}
        annotations: {{{annotation}: d}}
        page: {{labels: {{{page_label}: e}}}}
        ticket: {{annotations: {{{ticket_annotation}: f}}}}
"""


def _spec(kind: str, name: str) -> str:
    values = dict(BASE)
    values[kind] = name
    if kind == "journey":
        values["journey"] = name
    # JSON-style quoting in YAML: \n, \t and \x1b stay what they are.
    quoted = {
        key: '"' + value.encode("unicode_escape").decode() + '"' for key, value in values.items()
    }
    return SPEC.format(**quoted)


def test_the_spec_without_attacks_is_valid() -> None:
    assert load_text(SPEC.format(**BASE), "a.yaml").errors == ()


@pytest.mark.parametrize("kind", sorted(BASE))
@pytest.mark.parametrize("bad", ["\n", "\t", "\x1b[31m", "\r", "\x00", " "], ids=repr)
@pytest.mark.parametrize("where", ["end", "middle"])
def test_a_control_character_in_any_name_or_label_key_is_refused(
    kind: str, bad: str, where: str
) -> None:
    base = BASE[kind]
    name = base + bad if where == "end" else base[:3] + bad + base[3:]
    result = load_text(_spec(kind, name), "a.yaml")
    if not result.errors:
        problems = check_services(result.services)
        errors = [p for p in problems if p.severity == "error"]
    else:
        errors = list(result.errors)
    assert errors, f"{kind} {name!r} passed validation"
    assert any(repr(name) in e.message or repr(name)[1:-1] in e.message for e in errors)


@pytest.mark.parametrize("text", ["1795176000\n1", "17951760\x0000"])
def test_unix_seconds_with_a_control_character_are_not_a_time(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_time(text, now=0)


@pytest.mark.parametrize("text", ["\u0663d", "28d\n1", "\uff12\uff18d"])
def test_durations_take_ascii_digits_only(text: str) -> None:
    # "\u0663" is ARABIC-INDIC DIGIT THREE: Python's \d matched it, and int() read it as 3.
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("name", ["checkout\n", "check\nout", "checkout\x1b"], ids=repr)
def test_budget_policy_scopes_and_exception_kinds_refuse_control_characters(name: str) -> None:
    with pytest.raises(ValidationError):
        ScopeConfig(services=[name])
    with pytest.raises(ValidationError):
        ScopeConfig(slos=[f"{name}/availability"])
    with pytest.raises(ValidationError):
        ExceptionKindConfig(kind=name)


def test_an_alerts_own_labels_may_set_severity_but_an_slos_labels_may_not() -> None:
    values = {**BASE, "alert_label": "severity", "page_label": "severity"}
    loaded = load_text(SPEC.format(**values), "a.yaml")
    assert [p for p in check_services(loaded.services) if p.severity == "error"] == []
    values = {**BASE, "slo_label": "severity"}
    loaded = load_text(SPEC.format(**values), "a.yaml")
    [error] = [p for p in check_services(loaded.services) if p.severity == "error"]
    assert "label 'severity' is reserved for the generated rules" in error.message
