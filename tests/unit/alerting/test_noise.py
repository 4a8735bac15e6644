"""The noise pipeline, one step at a time (sloscope.alerting.noise)."""

from __future__ import annotations

from sloscope.alerting.model import Alert
from sloscope.alerting.noise import (
    dedup,
    default_pipeline,
    group,
    hold_dependencies,
    inhibit,
    run,
    silence,
)
from sloscope.alerting.silences import Silence


def alert(service: str, slo: str, severity: str, start: int, last: int) -> Alert:
    return Alert(service, slo, severity, start, last, interval=60)  # type: ignore[arg-type]


def test_dedup_keeps_one_alert_per_stable_key() -> None:
    first = alert("checkout", "orders", "page", 600, 900)
    again = alert("checkout", "orders", "page", 600, 1200)
    other = alert("checkout", "orders", "ticket", 600, 900)
    kept = dedup([first, again, other])
    assert [(a.severity, a.last) for a in kept] == [("page", 1200), ("ticket", 900)]
    assert first.key == "checkout/orders/page@600"


def test_a_page_inhibits_the_ticket_of_its_slo_and_lists_it() -> None:
    page = alert("checkout", "orders", "page", 600, 900)
    ticket = alert("checkout", "orders", "ticket", 840, 4000)
    other_slo = alert("checkout", "cart", "ticket", 840, 4000)
    kept = inhibit([ticket, page, other_slo])
    assert [(a.slo, a.severity) for a in kept] == [("orders", "page"), ("cart", "ticket")]
    assert [(k.relation, k.slo, k.severity) for k in kept[0].related] == [
        ("inhibited", "orders", "ticket")
    ]


def test_a_ticket_that_never_overlaps_a_page_notifies() -> None:
    page = alert("checkout", "orders", "page", 600, 900)
    later = alert("checkout", "orders", "ticket", 960, 2000)
    assert len(inhibit([page, later])) == 2


def test_several_slos_of_a_service_burning_at_once_are_one_notification() -> None:
    a = alert("checkout", "orders", "page", 600, 900)
    b = alert("checkout", "good-minutes", "page", 660, 960)
    c = alert("search", "queries", "page", 660, 960)
    later = alert("checkout", "cart", "page", 1200, 1300)
    kept = group([b, a, c, later])
    assert [(x.service, x.slo) for x in kept] == [
        ("checkout", "orders"),
        ("search", "queries"),
        ("checkout", "cart"),
    ]
    assert [(k.relation, k.slo) for k in kept[0].related] == [("grouped", "good-minutes")]


def test_a_dependent_service_page_is_held_while_its_dependency_pages() -> None:
    payments = alert("payments", "charges", "page", 600, 1800)
    checkout = alert("checkout", "orders", "page", 720, 1500)
    after = alert("checkout", "orders", "page", 2400, 2500)
    step = hold_dependencies({"checkout": ["payments"]})
    kept = step([checkout, payments, after])
    assert [(x.service, x.start) for x in kept] == [("payments", 600), ("checkout", 2400)]
    assert [(k.relation, k.service, k.slo) for k in kept[0].related] == [
        ("held", "checkout", "orders")
    ]


def test_a_silence_drops_the_alerts_it_matches_while_it_holds() -> None:
    window = Silence.create(
        ['service="checkout"', 'slo=~"ord.*"'], start=500, end=1000, author="ana", comment="db"
    )
    inside = alert("checkout", "orders", "page", 600, 900)
    other = alert("checkout", "cart", "page", 600, 900)
    after = alert("checkout", "orders", "page", 1000, 1100)
    kept = silence([window])([inside, other, after])
    assert [(a.slo, a.start) for a in kept] == [("cart", 600), ("orders", 1000)]


def test_the_default_pipeline_chains_every_step_in_order() -> None:
    alerts = [
        alert("payments", "charges", "page", 600, 1800),
        alert("checkout", "orders", "page", 720, 1500),
        alert("checkout", "orders", "ticket", 780, 5000),
        alert("checkout", "orders", "page", 720, 1500),  # evaluated twice
        alert("search", "queries", "ticket", 100, 200),
    ]
    kept = run(alerts, default_pipeline(depends_on={"checkout": ("payments",)}))
    assert [(a.service, a.severity) for a in kept] == [("search", "ticket"), ("payments", "page")]
    assert [(k.relation, k.service, k.severity) for k in kept[1].related] == [
        ("held", "checkout", "page"),
        ("inhibited", "checkout", "ticket"),
    ]
