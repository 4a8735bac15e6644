"""``convert``: every readable format as native (or OpenSLO) specs that read back as the
same services and give the same generated rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from sloscope.engine.windows import bundled_policies
from sloscope.generate.convert import convert, convert_text
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.spec.load import load_paths, load_text
from sloscope.validation import spec_policies

MIGRATE = Path("tests/specs/migrate")
SETS = {
    "sloth-routing": ["sloth/routing.yml", "sloth/alert-windows-30d.yaml"],
    "sloth-k8s": ["sloth/k8s-routing.yaml"],
    "sloth-multifile": ["sloth/multifile-a.yml", "sloth/multifile-b.yml"],
    "sloth-sum-by": ["sloth/sum-by.yml"],
    "pyrra": ["pyrra"],
    "slo-generator": [
        "slo-generator/config.yaml",
        "slo-generator/slo_checkout_api_availability.yaml",
        "slo-generator/slo_checkout_payment_errors.yaml",
        "slo-generator/slo_search_query_sli.yaml",
        "slo-generator/slo_checkout_pay_latency.yaml",
        "slo-generator/slo_checkout_cart_operators.yaml",
    ],
    "openslo-v1alpha": [
        "openslo/v1alpha-sloth-style.yaml",
        "openslo/v1alpha-threshold-calendar.yaml",
    ],
    "openslo-v2alpha": ["openslo/v2alpha-list.yaml"],
}


@pytest.mark.parametrize("name", sorted(SETS))
@pytest.mark.parametrize("to", ["sloscope", "openslo"])
def test_converted_specs_validate_and_give_the_same_rules(name: str, to: str) -> None:
    loaded = load_paths([MIGRATE / p for p in SETS[name]])
    assert loaded.errors == ()
    policies = {**bundled_policies(), **spec_policies(loaded)}
    text = convert_text(loaded, "openslo" if to == "openslo" else "sloscope")
    back = load_text(text, "converted.yaml")
    assert back.errors == ()
    assert back.services == tuple(sorted(loaded.services, key=lambda s: s.name))
    want = render_rules(generate_rules(loaded.services, policies))
    assert render_rules(generate_rules(back.services, policies)) == want


def test_converted_files_carry_the_warnings_and_the_policies_as_comments() -> None:
    loaded = load_paths(
        [
            MIGRATE / "sloth/routing.yml",
            MIGRATE / "sloth/disable-under-labels.yml",
            MIGRATE / "sloth/alert-windows-30d.yaml",
        ]
    )
    text = convert(loaded)["checkout.yaml"]
    assert text.startswith("# sloscope/v1, converted by sloscope convert from ")
    other = convert(loaded)["queue.yaml"]
    assert (
        "# warning: tests/specs/migrate/sloth/disable-under-labels.yml:33: disable under " in other
    )
    assert "#   - name: sloth-30d\n" in text
    assert "policy: sloth-30d" in text
