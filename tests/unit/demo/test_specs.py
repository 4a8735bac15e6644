"""The packaged demo specs: they load cleanly and describe the generated telemetry."""

from __future__ import annotations

from pathlib import Path

import pytest

from sloscope.demo.catalog import DEMO_ROUTES
from sloscope.demo.spec_files import demo_specs_dir, write_demo_specs
from sloscope.errors import ConfigError
from sloscope.spec.load import load_paths
from sloscope.spec.model import (
    SLO,
    CalendarWindow,
    LatencySLI,
    RatioSLI,
    RollingWindow,
    Service,
    TimeslicesSLI,
)
from sloscope.spec.selectors import Selector


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Service]:
    folder = tmp_path_factory.mktemp("slos")
    write_demo_specs(folder)
    loaded = load_paths([folder])
    assert loaded.problems == ()
    return {s.name: s for s in loaded.services}


def _all_slos(services: dict[str, Service]) -> list[tuple[str, SLO]]:
    return [(name, slo) for name, svc in services.items() for slo in svc.slos]


def _series_of_demo() -> list[tuple[str, dict[str, str]]]:
    """Every (metric, labels) the generator writes, without timestamps."""
    out: list[tuple[str, dict[str, str]]] = []
    for m in DEMO_ROUTES:
        base = {"service": m.service, "route": m.route}
        out += [("http_requests_total", {**base, "code": c}) for c in m.codes]
        if m.buckets:
            les = [repr(b) for b in m.buckets] + ["+Inf"]
            out += [("http_request_duration_seconds_bucket", {**base, "le": le}) for le in les]
            out += [("http_request_duration_seconds_count", base)]
            out += [("http_request_duration_seconds_sum", base)]
    return out


def _matching(selector: Selector) -> list[dict[str, str]]:
    return [labels for metric, labels in _series_of_demo() if selector.matches(metric, labels)]


def test_packaged_specs_are_three_files_with_the_three_services(
    services: dict[str, Service],
) -> None:
    names = sorted(entry.name for entry in demo_specs_dir().iterdir())
    assert names == ["checkout.yaml", "identity.yaml", "search.yaml"]
    assert sorted(services) == ["checkout", "identity", "search"]
    assert {s.owner for s in services.values()} == {
        "team-payments",
        "team-discovery",
        "team-identity",
    }


def test_the_nine_slos_have_the_documented_names_objectives_and_windows(
    services: dict[str, Service],
) -> None:
    got = {
        (svc, slo.name): (slo.objective, slo.window, slo.sli.kind)
        for svc, slo in _all_slos(services)
    }
    month = CalendarWindow(unit="month", timezone="Europe/Berlin")
    d28, d30 = RollingWindow(28 * 86400), RollingWindow(30 * 86400)
    assert got == {
        ("checkout", "place-order-availability"): (pytest.approx(0.999), d28, "ratio"),
        ("checkout", "place-order-latency"): (pytest.approx(0.99), d28, "latency"),
        ("checkout", "place-order-good-minutes"): (pytest.approx(0.995), d28, "timeslices"),
        ("checkout", "cart-availability"): (pytest.approx(0.995), d30, "ratio"),
        ("search", "search-availability"): (pytest.approx(0.999), d28, "ratio"),
        ("search", "search-latency"): (pytest.approx(0.995), d28, "latency"),
        ("identity", "login-availability"): (pytest.approx(0.9995), d28, "ratio"),
        ("identity", "login-latency"): (pytest.approx(0.995), d30, "latency"),
        ("identity", "token-refresh-availability"): (pytest.approx(0.999), month, "ratio"),
    }


def test_validate_finds_nothing_to_warn_about(services: dict[str, Service]) -> None:
    """Every alert row can fire and no window is shorter than an alert window."""
    from sloscope.validation import check_services

    assert check_services(list(services.values())) == []


def test_every_slo_has_a_journey_of_its_service_a_description_and_a_runbook(
    services: dict[str, Service],
) -> None:
    for svc_name, slo in _all_slos(services):
        journeys = {j.name for j in services[svc_name].journeys}
        assert slo.journey in journeys, slo.name
        assert slo.description, slo.name
        runbook = slo.alerting.runbook or ""
        assert runbook.startswith(f"https://runbooks.example.com/{svc_name}/"), slo.name


def test_the_timeslices_slo_judges_one_minute_slices_at_95_percent(
    services: dict[str, Service],
) -> None:
    sli = services["checkout"].slo("place-order-good-minutes")
    assert sli is not None
    assert isinstance(sli.sli, TimeslicesSLI)
    assert (sli.sli.slice_seconds, sli.sli.target) == (60, pytest.approx(0.95))
    assert isinstance(sli.sli.indicator, RatioSLI)


def test_every_ratio_selector_matches_generated_series_and_good_is_a_strict_subset(
    services: dict[str, Service],
) -> None:
    for _, slo in _all_slos(services):
        sli = slo.sli.indicator if isinstance(slo.sli, TimeslicesSLI) else slo.sli
        if not isinstance(sli, RatioSLI):
            continue
        total = _matching(sli.total)
        part = _matching(sli.good if sli.good is not None else sli.bad)  # type: ignore[arg-type]
        assert len(total) >= 2, slo.name
        assert 1 <= len(part) < len(total), slo.name
        assert all(labels in total for labels in part), slo.name
        # good selects the non-5xx codes, bad the 5xx codes.
        codes = {labels["code"] for labels in part}
        assert all(c.startswith("5") == (sli.bad is not None) for c in codes), slo.name


def test_every_latency_threshold_is_a_generated_bucket_and_buckets_match(
    services: dict[str, Service],
) -> None:
    checked = 0
    for _, slo in _all_slos(services):
        if not isinstance(slo.sli, LatencySLI):
            continue
        sli = slo.sli
        threshold = [
            labels
            for labels in _matching(sli.bucket_selector)
            if labels["le"] == repr(sli.threshold)
        ]
        assert len(threshold) == 1, slo.name
        assert len(_matching(sli.count_selector)) == 1, slo.name
        model = next(
            m
            for m in DEMO_ROUTES
            if sli.metric.matches(sli.metric.metric, {"service": m.service, "route": m.route})
        )
        assert sli.buckets == model.buckets, slo.name
        checked += 1
    assert checked == 3


def test_write_demo_specs_is_safe_to_rerun(tmp_path: Path) -> None:
    first = write_demo_specs(tmp_path / "slos")
    stamps = [p.stat().st_mtime_ns for p in first]
    second = write_demo_specs(tmp_path / "slos")
    assert [p.name for p in second] == ["checkout.yaml", "identity.yaml", "search.yaml"]
    assert [p.stat().st_mtime_ns for p in second] == stamps


def test_write_demo_specs_refuses_to_replace_a_users_file(tmp_path: Path) -> None:
    (tmp_path / "search.yaml").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"search\.yaml exists and is not the demo's"):
        write_demo_specs(tmp_path)
    # Nothing was written, not even the files that did not exist.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.yaml"]
    write_demo_specs(tmp_path, overwrite=True)
    text = (tmp_path / "search.yaml").read_text(encoding="utf-8")
    assert text == demo_specs_dir().joinpath("search.yaml").read_text(encoding="utf-8")
