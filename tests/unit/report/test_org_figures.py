"""The org report's figures from records, by hand."""

from __future__ import annotations

import pytest

from sloscope.events.model import Deployment, advance, open_incident
from sloscope.policy.budget import DEFAULT_POLICY, BudgetPolicy, BudgetStep
from sloscope.report.charts import bar_svg
from sloscope.report.org.figures import (
    WEEK,
    AlertRecord,
    OrgInputs,
    ServiceBurn,
    actionable,
    org_figures,
    tracks_budget,
)
from sloscope.report.org.render import render_org_html

T0 = 1_795_176_000
HOUR = 3600
LATE = BudgetPolicy("late", (BudgetStep(0.75, "notify"), BudgetStep(0.95, "freeze")))


def test_tracking_budgets_needs_a_notify_by_half_and_a_freeze_by_ninety_percent() -> None:
    assert tracks_budget([DEFAULT_POLICY])
    assert not tracks_budget([DEFAULT_POLICY, LATE])
    assert not tracks_budget([])


def test_an_alert_is_actionable_when_an_incident_of_its_slo_covers_or_follows_it() -> None:
    incident = advance(
        open_incident("1", "checkout", T0, slos=("availability",)), "resolved", T0 + HOUR
    )
    alert = AlertRecord("checkout", "availability", "page", T0)
    assert actionable(alert, [incident], HOUR)
    assert actionable(AlertRecord("checkout", "availability", "page", T0 - HOUR), [incident], HOUR)
    assert not actionable(
        AlertRecord("checkout", "availability", "page", T0 - HOUR - 1), [incident], HOUR
    )
    assert not actionable(AlertRecord("checkout", "latency", "page", T0), [incident], HOUR)
    assert not actionable(AlertRecord("search", "availability", "page", T0), [incident], HOUR)


def test_an_acknowledged_alert_is_actionable_without_any_incident() -> None:
    acked = AlertRecord("search", "availability", "page", T0, acknowledged=True)
    assert actionable(acked, [], HOUR)
    assert not actionable(AlertRecord("search", "availability", "page", T0), [], HOUR)


def _inputs(**changes: object) -> OrgInputs:
    opened = open_incident("1", "checkout", T0, slos=("availability",))
    acknowledged = advance(opened, "acknowledged", T0 + 600)
    incident = advance(advance(acknowledged, "mitigated", T0 + 1800), "resolved", T0 + 2 * HOUR)
    values: dict[str, object] = {
        "begin": T0 - WEEK // 2,
        "end": T0 + WEEK + WEEK // 2,
        "catalog": ("checkout", "search", "billing", "ledger"),
        "policies": {"checkout": [DEFAULT_POLICY], "search": [LATE]},
        "burn": (ServiceBurn("checkout", 1.5, 0.4),),
        "alerts": (
            AlertRecord("checkout", "availability", "page", T0 + 60),
            AlertRecord("checkout", "availability", "ticket", T0 + 3 * HOUR),
            AlertRecord("search", "availability", "ticket", T0 + WEEK),
            AlertRecord("search", "availability", "ticket", T0 - WEEK),  # before the range
        ),
        "incidents": (incident,),
        "deployments": (
            Deployment("checkout", "2.0", T0 - 600),
            Deployment("checkout", "2.1", T0 + 2 * HOUR),
        ),
        "freezes": {"search": 2},
        "overrides": 1,
        "exceptions": 3,
        "failure_window": HOUR,
        "repeat_window": 30 * 86_400,
    }
    values.update(changes)
    return OrgInputs(**values)  # type: ignore[arg-type]


def test_the_org_figures_over_two_weeks() -> None:
    figures = org_figures(_inputs())
    # Four catalog services, two with SLOs, one of them tracking budgets by the rule.
    assert (figures.services, figures.services_with_slos, figures.services_tracking) == (4, 2, 1)
    assert figures.without_slos == ("billing", "ledger")
    assert figures.untracked == ("search",)
    # Three alerts in two weeks; only the page fired while the incident was open.
    assert (figures.alerts, figures.alerts_actionable) == (3, 1)
    assert figures.alerts_per_week == pytest.approx(1.5)
    assert figures.weekly_alerts == ((T0 - WEEK // 2, 2), (T0 + WEEK // 2, 1))
    assert figures.response.mtta_seconds == 600
    assert figures.response.mttr_seconds == 1800
    # 2.0 at T0 − 10 min is followed by the incident at T0; 2.1 by nothing.
    assert figures.change_failure_overall.rate == 0.5
    assert figures.repeat_rate == 0.0


def test_without_a_catalog_the_services_of_the_specs_count() -> None:
    figures = org_figures(_inputs(catalog=None))
    assert (figures.services, figures.services_with_slos, figures.catalog_given) == (2, 2, False)


def test_the_html_escapes_names_from_specs_and_the_catalog() -> None:
    html = render_org_html(
        org_figures(_inputs(burn=(ServiceBurn("<script>x</script>", 1.0, 0.1),)))
    )
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_a_bar_chart_escapes_its_labels_and_shows_missing_values_as_na() -> None:
    svg = bar_svg("rate & more", [("a<b", 2.0), ("c", None)], "%")
    assert "a&lt;b" in svg
    assert "rate &amp; more" in svg
    assert ">n/a<" in svg
    assert ">2%<" in svg
