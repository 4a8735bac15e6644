"""``promtool test rules`` files that prove the generated alerts fire when they should.

For every SLO with alerting, two test groups over synthetic counters of the raw series
the SLI reads (good/total or bad/total selectors, histogram bucket and count, or the
selectors of a PromQL SLI):

*page*
    A steady burn of 1.1 × the factor of the fastest page row (the one with the shortest
    long window; 14.784 for a 28d SLO's 13.44), so strictly above it. At ``long window +
    5m`` (both windows full) the page alert fires; every other alert is asserted too.
*low traffic* (under a low-traffic guard)
    Traffic for the page row's long window and 5m whose last minute fails entirely: on
    the fewest events the SLI's series can carry the guard holds the page back, on
    enough events for the guard the same error ratio pages. Generated only when that
    ratio pages without the guard (see :func:`~.scenarios.low_traffic_scenarios`).
*quiet*
    A steady 1x burn (the budget lasts exactly the window) for a day, checked every 6h.
    No page fires. A row whose factor is below 1 *does* fire, and the test says so: the
    google table's 3d ticket spends 10% of the budget in 3 days, which for a 28d SLO is a
    0.933 burn, less than 1x (3/28 > 10%). A row whose factor is within 2% of 1 (the same
    ticket of a 30d SLO: exactly 1) would make the outcome depend on the last bit of a
    float, so then the quiet burn is 0.97x.

Expected values are exact: counters rise by multiples of 21,600 per minute, so every
``rate()`` over windows up to 6h is an integer, sums are exact, and the error ratio is
the correctly rounded fraction. The expected ``{{ $value | humanize }}`` of annotations is
computed as Go formats it.

Time-slice SLIs are simulated slice by slice (1m slices; other lengths are reported and
not tested): one bad slice every *P* minutes, the largest *P* that fires the page, and
slices without traffic at the start of every window that is checked, so Prometheus 2
(ranges closed at both ends) and 3 (open at the start) see the same slices. Their input
series step every 15s, so a 1m ``rate()`` has samples in both versions. PromQL SLIs are
tested when their queries are sums, differences and ``rate``/``increase`` of selectors
(as Sloth's are); ``error_ratio`` queries and others are reported and not tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sloscope.engine.windows import AlertPolicy
from sloscope.generate.prometheus.plan import PolicyOf, SLOPlan, plans
from sloscope.generate.prometheus.rules import generate_rules
from sloscope.generate.rule_tests.events import UntestableError, event_model
from sloscope.generate.rule_tests.expected import expected_alert_tests
from sloscope.generate.rule_tests.scenarios import slice_scenarios, steady_scenarios
from sloscope.generate.yaml_text import dump_yaml
from sloscope.spec.model import Service, TimeslicesSLI


class RuleTestsDocument(dict[str, Any]):
    """A ``promtool test rules`` document and the SLOs it could not test (``warnings``)."""

    def __init__(self, body: Mapping[str, Any], warnings: Sequence[str] = ()) -> None:
        super().__init__(body)
        self.warnings: tuple[str, ...] = tuple(warnings)


def _slo_tests(plan: SLOPlan, exhausted: bool, dashboard_url: str | None) -> list[dict[str, Any]]:
    sli = plan.slo.sli
    if isinstance(sli, TimeslicesSLI):
        scenarios = slice_scenarios(plan, sli, exhausted)
    else:
        scenarios = steady_scenarios(plan, event_model(sli), exhausted)
    out: list[dict[str, Any]] = []
    for scenario in scenarios:
        test: dict[str, Any] = {
            "name": scenario.name,
            "interval": scenario.interval,
            "input_series": scenario.input_series,
        }
        if scenario.expects:
            test["alert_rule_test"] = [
                check
                for expect in scenario.expects
                for check in expected_alert_tests(plan, expect, dashboard_url)
            ]
        if scenario.expr_tests:
            test["promql_expr_test"] = list(scenario.expr_tests)
        out.append(test)
    return out


def generate_rule_tests(
    services: Iterable[Service],
    policies: Mapping[str, AlertPolicy],
    rules_file_name: str,
    *,
    exhausted_alert: bool = False,
    dashboard_url: str | None = None,
    extra_labels: Mapping[str, str] | None = None,
    policy_of: PolicyOf | None = None,
) -> RuleTestsDocument:
    """A ``promtool test rules`` document for the rules :func:`generate_rules` writes.

    Pass the same options as to :func:`~sloscope.generate.prometheus.rules.generate_rules`
    (labels and annotations are compared exactly). ``rules_file_name`` is the rules file
    as the test file refers to it (relative to the test file). SLOs that cannot be tested
    are listed in ``warnings`` with the reason.
    """
    services = list(services)
    rules = generate_rules(
        services,
        policies,
        exhausted_alert=exhausted_alert,
        dashboard_url=dashboard_url,
        extra_labels=extra_labels,
        policy_of=policy_of,
    )
    tests: list[dict[str, Any]] = []
    warnings: list[str] = []
    slices = False
    for plan in plans(services, policies, extra_labels, policy_of):
        if not plan.alerting or not plan.thresholds:
            continue
        try:
            tests.extend(_slo_tests(plan, exhausted_alert, dashboard_url))
        except UntestableError as exc:
            warnings.append(f"{plan.service.name}/{plan.slo.name}: not tested: {exc}")
            continue
        slices = slices or isinstance(plan.slo.sli, TimeslicesSLI)
    body = {
        "rule_files": [rules_file_name],
        # promtool evaluates every group at this interval, whatever the group says. Each
        # evaluation costs about as much as a rule's, so 5m keeps a simulated day at a
        # second or two per SLO (sums of 5m rates stay exact). 1m slices must be judged
        # every minute, as their group's interval says, so with them it is 1m.
        "evaluation_interval": "1m" if slices else "5m",
        # Recordings before the groups that read them, as the simulation assumes.
        "group_eval_order": [group["name"] for group in rules["groups"]],
        "tests": tests,
    }
    return RuleTestsDocument(body, warnings)


def render_rule_tests(doc: Mapping[str, Any]) -> str:
    """YAML text of a rule tests document, with its warnings as comments on top."""
    comments = ["promtool test rules file generated by sloscope; regenerate with the rules."]
    comments.extend(f"warning: {w}" for w in getattr(doc, "warnings", ()))
    return dump_yaml(doc, comments)
