"""The demo telemetry generator: valid OpenMetrics, sane counters, the promised incidents."""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sloscope.demo.catalog import Incident
from sloscope.demo.generate import (
    DemoData,
    DemoTelemetry,
    generate_openmetrics,
    simulate_demo,
    write_truth,
)
from sloscope.demo.scale import generate_many
from sloscope.errors import EvaluationError

# 2025-11-20T12:00:00Z, a Thursday.
END = 1_763_640_000


def _t(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


# --- a small strict OpenMetrics reader, independent of sloscope.telemetry -------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
_SAMPLE = re.compile(rf"^({_NAME})\{{({_LABEL}(?:,{_LABEL})*)\}} (\d+(?:\.\d+)?) (\d+)$")
_HELP = re.compile(rf"^# HELP ({_NAME}) \S.*$")
_TYPE = re.compile(rf"^# TYPE ({_NAME}) (counter|histogram)$")
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


@dataclass
class Parsed:
    """Series of one text: ``name{labels}`` → (timestamps, values), and the families."""

    series: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    families: list[tuple[str, str]] = field(default_factory=list)
    histogram_points: list[tuple[str, int, list[tuple[str, float]]]] = field(default_factory=list)

    def values(self, key: str) -> np.ndarray:
        return np.asarray(self.series[key][1])


def parse_strict(text: str) -> Parsed:
    """Fail on anything but HELP/TYPE lines, timestamped samples of the declared family,
    contiguous families and series, and one ``# EOF`` as the last line."""
    lines = text.split("\n")
    assert lines[-2:] == ["# EOF", ""], "the text must end with '# EOF' and a newline"
    out = Parsed()
    family, kind = "", ""
    closed: set[str] = set()
    last_key = ""
    for number, line in enumerate(lines[:-2], start=1):
        if m := _TYPE.match(line):
            assert m.group(1) not in {f for f, _ in out.families}, f"line {number}"
            closed.update(out.series)
            family, kind = m.group(1), m.group(2)
            out.families.append((family, kind))
            continue
        if _HELP.match(line):
            continue
        m = _SAMPLE.match(line)
        assert m, f"line {number} is not a sample: {line!r}"
        name, labels, value, ts = m.groups()
        assert family, f"line {number}: a sample before any # TYPE"
        assert name in {family + s for s in _SUFFIXES[kind]}, f"line {number}"
        key = f"{name}{{{labels}}}"
        assert key not in closed, f"line {number}: series {key} is not contiguous"
        if kind == "counter" and key != last_key and last_key:
            closed.add(last_key)
        last_key = key
        stamps, values = out.series.setdefault(key, ([], []))
        stamps.append(int(ts))
        values.append(float(value))
        if kind == "histogram":
            base = re.sub(r',le="[^"]*"', "", labels)
            if not out.histogram_points or out.histogram_points[-1][:2] != (base, int(ts)):
                out.histogram_points.append((base, int(ts), []))
            suffix = name.removeprefix(family)
            le = re.search(r'le="([^"]*)"', labels)
            out.histogram_points[-1][2].append(
                (suffix + (f"@{le.group(1)}" if le else ""), float(value))
            )
    return out


def _counter_increase(values: np.ndarray) -> np.ndarray:
    """Per-sample increase with Prometheus reset handling (a drop means a restart)."""
    diff = np.diff(values)
    return np.where(diff < 0, values[1:], diff)


@pytest.fixture(scope="module")
def two_days() -> tuple[str, DemoTelemetry]:
    buffer = io.StringIO()
    result = generate_openmetrics(buffer, end=END, days=2)
    return buffer.getvalue(), result


@pytest.fixture(scope="module")
def month() -> DemoData:
    return simulate_demo(end=END)


# --- the text ---------------------------------------------------------------------------


def test_two_days_parse_strictly_with_the_reported_counts(
    two_days: tuple[str, DemoTelemetry],
) -> None:
    text, result = two_days
    parsed = parse_strict(text)
    assert parsed.families == [
        ("http_requests", "counter"),
        ("http_request_duration_seconds", "histogram"),
    ]
    # 12 request counters; 3 histograms of 4 buckets + Inf + count + sum.
    assert len(parsed.series) == result.series == 12 + 3 * 7
    assert result.samples == 33 * (2 * 1440 + 1)
    assert result.bytes == len(text.encode("ascii"))
    for stamps, _ in parsed.series.values():
        assert stamps == list(range(END - 2 * 86400, END + 1, 60))


def test_counters_never_decrease_except_the_one_restart(
    two_days: tuple[str, DemoTelemetry],
) -> None:
    text, result = two_days
    parsed = parse_strict(text)
    drops = []
    for key, (stamps, values) in parsed.series.items():
        for i in np.flatnonzero(np.diff(values) < 0):
            drops.append((key, stamps[i + 1]))
    assert result.reset is not None
    assert drops == [(result.reset.series, result.reset.at)]
    # 40% into two days from 2025-11-18T12:00Z is 2025-11-19T07:12Z; the restart is at
    # 03:17 of that day, and the sample at 03:17 is the first one after it.
    assert result.reset.at == _t("2025-11-19T03:17:00")
    assert result.reset.series == 'http_requests_total{service="search",route="/search",code="200"}'
    # After the restart the counter holds what was counted since: less than a minute.
    restarted = parsed.series[result.reset.series]
    assert restarted[1][restarted[0].index(result.reset.at)] < 250 * 3 * 60


def test_histogram_buckets_are_cumulative_and_inf_equals_count(
    two_days: tuple[str, DemoTelemetry],
) -> None:
    parsed = parse_strict(two_days[0])
    assert len(parsed.histogram_points) == 3 * (2 * 1440 + 1)
    for base, ts, point in parsed.histogram_points:
        names = [name for name, _ in point]
        assert names[-2:] == ["_count", "_sum"], (base, ts)
        les = [float(n.split("@")[1]) for n in names[:-2]]
        assert les == sorted(les), (base, ts)
        assert les[-1] == float("inf"), (base, ts)
        counts = [v for _, v in point[:-2]]
        assert counts == sorted(counts), (base, ts)
        assert counts[-1] == point[-2][1], (base, ts)


def test_text_increments_equal_the_simulated_counts(
    two_days: tuple[str, DemoTelemetry],
) -> None:
    parsed = parse_strict(two_days[0])
    data = simulate_demo(end=END, days=2)
    orders = data.route("checkout", "/orders")
    key = 'http_requests_total{service="checkout",route="/orders",code="503"}'
    np.testing.assert_array_equal(_counter_increase(parsed.values(key)), orders.by_code[2])
    search = data.route("search", "/search")
    key = 'http_requests_total{service="search",route="/search",code="200"}'
    np.testing.assert_array_equal(_counter_increase(parsed.values(key)), search.by_code[0])
    key = 'http_request_duration_seconds_count{service="search",route="/search"}'
    np.testing.assert_array_equal(_counter_increase(parsed.values(key)), search.total)
    key = 'http_request_duration_seconds_bucket{service="search",route="/search",le="0.25"}'
    within = _counter_increase(parsed.values(key))
    np.testing.assert_array_equal(within, search.total - search.slower_than(0.25))


def test_the_telemetry_parser_reads_the_same_totals(
    two_days: tuple[str, DemoTelemetry],
) -> None:
    from sloscope.telemetry.openmetrics.stream import parse_text

    text, result = two_days
    samples = parse_text(text, "demo.om")
    assert samples.has_eof
    assert len(samples) == result.samples
    assert len(samples.series) == result.series
    ours = parse_strict(text)
    by_name: dict[str, float] = defaultdict(float)
    for i, series in enumerate(samples.series):
        last = samples.values[samples.series_index == i][-1]
        by_name[series.name] += float(last)
    expected: dict[str, float] = defaultdict(float)
    for key, (_, values) in ours.series.items():
        expected[key.split("{")[0]] += values[-1]
    assert dict(by_name) == pytest.approx(dict(expected))
    assert samples.timestamps.min() == (END - 2 * 86400) * 1000


def test_ingested_and_fetched_counts_equal_the_simulated_ones_across_the_restart(
    tmp_path: Path, two_days: tuple[str, DemoTelemetry]
) -> None:
    from sloscope.sources.embedded import EmbeddedSource
    from sloscope.spec.model import RatioSLI
    from sloscope.spec.selectors import parse_selector
    from sloscope.telemetry.ingest import ingest_file
    from sloscope.telemetry.store import TelemetryStore

    text, result = two_days
    with TelemetryStore(tmp_path / "t.duckdb") as store:
        ingested = ingest_file(store, io.StringIO(text))
    assert ingested.new_samples == result.samples
    # The search /search 200 counter restarts in these two days; the source must see
    # every request anyway.
    sli = RatioSLI(
        good=parse_selector('http_requests_total{service="search", code!~"5.."}'),
        total=parse_selector('http_requests_total{service="search"}'),
    )
    source = EmbeddedSource.open(tmp_path / "t.duckdb")
    try:
        [counts] = source.fetch([sli], END - 2 * 86400, END, 60)
    finally:
        source.close()
    search = simulate_demo(end=END, days=2).route("search", "/search")
    np.testing.assert_array_equal(counts.total, search.total)
    np.testing.assert_array_equal(counts.good, search.total - search.errors)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    def text(seed: int) -> str:
        buffer = io.StringIO()
        generate_openmetrics(buffer, end=END, days=1, step=300, seed=seed)
        return buffer.getvalue()

    assert text(7) == text(7)
    assert text(7) != text(8)


def test_writes_to_a_path_creating_folders(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "demo.om"
    result = generate_openmetrics(target, end=END, days=1, step=3600)
    assert target.stat().st_size == result.bytes
    assert result.samples == 33 * 25


@pytest.mark.parametrize(
    ("days", "step", "message"),
    [
        (0, 60, "days must be a positive whole number"),
        (30, 7, "step must be a whole number of seconds that divides a day"),
        (30, 0, "step must be"),
    ],
)
def test_bad_ranges_are_refused_with_a_fix(days: int, step: int, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        generate_openmetrics(io.StringIO(), end=END, days=days, step=step)


# --- the traffic ------------------------------------------------------------------------


def test_traffic_is_busier_in_the_evening_than_at_night_and_lighter_on_weekends(
    month: DemoData,
) -> None:
    total = month.route("search", "/search").total
    ends = month.step_ends
    hour = (ends % 86400) // 3600
    night = total[hour == 3].mean() / 60
    evening = total[hour == 19].mean() / 60
    # 250/s on average: about half that at 03:00 UTC, 1.8 times it at 19:00 UTC.
    assert 110 < night < 150
    assert 400 < evening < 490
    weekday = (ends // 86400) % 7  # 2 and 3 are Saturday and Sunday
    weekend = np.isin(weekday, (2, 3))
    weekend_ratio = total[weekend].mean() / total[~weekend].mean()
    assert 0.7 < weekend_ratio < 0.8
    # Volumes per route: tens to a few hundred requests per second on average.
    means = {(r.service, r.route): r.total.mean() / 60 for r in month.routes}
    assert 36 < means[("checkout", "/orders")] < 44
    assert 230 < means[("search", "/search")] < 270


# --- the incidents ----------------------------------------------------------------------


def test_the_incidents_are_placed_as_documented(month: DemoData) -> None:
    got = [(i.service, i.slo, i.kind, i.start, i.end) for i in month.incidents]
    assert got == [
        (
            "checkout",
            "place-order-availability",
            "fast-burn",
            # 4 days before 2025-11-20 is a Sunday: the burn is on the Friday before.
            _t("2025-11-14T14:10:00"),
            _t("2025-11-14T14:55:00"),
        ),
        (
            "checkout",
            "place-order-good-minutes",
            "fast-burn",
            _t("2025-11-14T14:10:00"),
            _t("2025-11-14T14:55:00"),
        ),
        (
            "checkout",
            "place-order-latency",
            "latency-regression",
            _t("2025-11-11T10:00:00"),
            _t("2025-11-11T13:00:00"),
        ),
        (
            "search",
            "search-availability",
            "slow-burn",
            _t("2025-11-03T06:00:00"),
            _t("2025-11-05T06:00:00"),
        ),
        (
            "identity",
            "login-availability",
            "recent-burn",
            _t("2025-11-20T11:15:00"),
            _t("2025-11-20T11:45:00"),
        ),
    ]


def _inside(data: DemoData, incident: Incident) -> np.ndarray:
    ends = data.step_ends
    return (ends > incident.start) & (ends <= incident.end)


def _incident(data: DemoData, kind: str) -> Incident:
    return next(i for i in data.incidents if i.kind == kind)


@pytest.mark.parametrize(
    ("kind", "service", "route", "low", "high"),
    [
        # 35% extra on a 0.02% baseline; ~120k requests, so +-0.5% is many sigmas.
        ("fast-burn", "checkout", "/orders", 0.345, 0.355),
        # 0.4% extra on 0.01% for two days of ~40M searches.
        ("slow-burn", "search", "/search", 0.0040, 0.0042),
        # 3% extra on 0.01% for 30 minutes of ~130k logins.
        ("recent-burn", "identity", "/login", 0.028, 0.032),
    ],
)
def test_error_incidents_have_the_intended_error_ratio(
    month: DemoData, kind: str, service: str, route: str, low: float, high: float
) -> None:
    traffic = month.route(service, route)
    inside = _inside(month, _incident(month, kind))
    ratio = traffic.errors[inside].sum() / traffic.total[inside].sum()
    assert low < ratio < high
    # Outside every incident the route stays near its small baseline.
    outside = ~np.any([_inside(month, i) for i in month.incidents], axis=0)
    assert traffic.errors[outside].sum() / traffic.total[outside].sum() < 0.0003


def test_the_latency_regression_makes_15_percent_of_orders_slow(month: DemoData) -> None:
    orders = month.route("checkout", "/orders")
    inside = _inside(month, _incident(month, "latency-regression"))
    slow = orders.slower_than(0.3)
    # 15% slow requests (P(> 300ms) = 97.6% around a 600ms median) plus the 0.25% baseline.
    assert 0.14 < slow[inside].sum() / orders.total[inside].sum() < 0.155
    assert slow[~inside].sum() / orders.total[~inside].sum() < 0.004
    # Errors are not part of it.
    assert orders.errors[inside].sum() / orders.total[inside].sum() < 0.001


def _window_start(slo: str, data: DemoData) -> int:
    if slo == "token-refresh-availability":
        local = datetime.fromtimestamp(data.end, ZoneInfo("Europe/Berlin"))
        return int(local.replace(day=1, hour=0, minute=0, second=0).timestamp())
    days = 30 if slo in ("cart-availability", "login-latency") else 28
    return data.end - days * 86400


def test_at_end_one_slo_is_past_half_its_budget_and_the_rest_are_healthy(
    month: DemoData,
) -> None:
    """Budget consumed = bad / (total x (1 - objective)) over each SLO's window at end."""
    orders = month.route("checkout", "/orders")
    slices_good = (orders.total - orders.errors >= 0.95 * orders.total).astype(float)
    indicators = {
        "place-order-availability": (orders.errors, orders.total, 0.999),
        "place-order-latency": (orders.slower_than(0.3), orders.total, 0.99),
        "place-order-good-minutes": (1 - slices_good, np.ones(len(slices_good)), 0.995),
        "cart-availability": (
            month.route("checkout", "/cart").errors,
            month.route("checkout", "/cart").total,
            0.995,
        ),
        "search-availability": (
            month.route("search", "/search").errors,
            month.route("search", "/search").total,
            0.999,
        ),
        "search-latency": (
            month.route("search", "/search").slower_than(0.25),
            month.route("search", "/search").total,
            0.995,
        ),
        "login-availability": (
            month.route("identity", "/login").errors,
            month.route("identity", "/login").total,
            0.9995,
        ),
        "login-latency": (
            month.route("identity", "/login").slower_than(0.3),
            month.route("identity", "/login").total,
            0.995,
        ),
        "token-refresh-availability": (
            month.route("identity", "/token").errors,
            month.route("identity", "/token").total,
            0.999,
        ),
    }
    consumed = {}
    for slo, (bad, total, objective) in indicators.items():
        window = month.step_ends > _window_start(slo, month)
        consumed[slo] = bad[window].sum() / (total[window].sum() * (1 - objective))
    assert 0.55 < consumed.pop("place-order-availability") < 0.65
    # 45 bad minutes of 40320: 45 / (40320 x 0.005) = 22.3%.
    assert consumed.pop("place-order-good-minutes") == pytest.approx(45 / (40320 * 0.005))
    assert all(0.1 < c < 0.45 for c in consumed.values()), consumed


def test_the_recent_burn_leaves_the_5m_window_clear_and_the_1h_window_burning(
    month: DemoData,
) -> None:
    login = month.route("identity", "/login")

    def burn(minutes: int) -> float:
        bad, total = login.errors[-minutes:].sum(), login.total[-minutes:].sum()
        return float(bad / total / 0.0005)

    # 5m: only the baseline. 1h: half of it at 3% errors, a burn of about 30 > 13.44 (page).
    assert burn(5) < 1
    assert 25 < burn(60) < 35
    assert 25 < burn(30) < 35  # 15 of 30 minutes at a burn of 60
    # 6h: 30 of 360 minutes at 60, weighted by traffic that is higher at 11:00 than at
    # 06:00, so above the 5.6 of the 6h/30m page: at this end that page still fires.
    assert 5.6 < burn(360) < 9


def test_write_truth_writes_the_backtest_truth_of_the_design(tmp_path: Path) -> None:
    incidents = [
        Incident(
            "search",
            "search-availability",
            _t("2025-11-03T06:00:00"),
            _t("2025-11-05T06:00:00"),
            "slow-burn",
        ),
        Incident(
            "checkout",
            "place-order-availability",
            _t("2025-10-03T14:00:00"),
            _t("2025-10-03T14:45:00"),
            "fast-burn",
        ),
    ]
    path = write_truth(tmp_path / "truth.json", incidents)
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "incidents": [
            {
                "service": "checkout",
                "slo": "place-order-availability",
                "start": "2025-10-03T14:00:00Z",
                "end": "2025-10-03T14:45:00Z",
            },
            {
                "service": "search",
                "slo": "search-availability",
                "start": "2025-11-03T06:00:00Z",
                "end": "2025-11-05T06:00:00Z",
            },
        ]
    }


def test_short_ranges_keep_only_the_incidents_that_fit(two_days: tuple[str, DemoTelemetry]) -> None:
    assert [i.kind for i in two_days[1].incidents] == ["recent-burn"]
    assert [d for d in two_days[1].deployments if d.version in ("1.42.0",)] == []


def test_the_bad_release_and_its_rollback_bracket_the_latency_regression(
    month: DemoData,
) -> None:
    regression = _incident(month, "latency-regression")
    checkout = [d for d in month.deployments if d.service == "checkout"]
    at = {d.at: d for d in checkout}
    bad, rollback = at[regression.start], at[regression.end]
    previous = checkout[checkout.index(bad) - 1]
    assert rollback.version == previous.version
    assert bad.version != previous.version
    assert all(d.at < month.end and (d.at // 86400) % 7 not in (2, 3) for d in month.deployments)


# --- many SLOs, for benchmarks -----------------------------------------------------------


def test_generate_many_writes_loadable_specs_and_their_series(tmp_path: Path) -> None:
    from sloscope.spec.native.loader import NativeFormat
    from sloscope.spec.yamlpos import parse_documents

    buffer = io.StringIO()
    result = generate_many(tmp_path / "slos", buffer, end=END, n_slos=12, days=5, step=300)
    files = sorted(p.name for p in (tmp_path / "slos").iterdir())
    assert files == ["svc-000.yaml", "svc-001.yaml"]
    slos = []
    for name in files:
        text = (tmp_path / "slos" / name).read_text(encoding="utf-8")
        docs, problems = parse_documents(text, name)
        loaded = NativeFormat().load(docs)
        assert problems == []
        assert loaded.problems == []
        slos += [slo for s in loaded.services for slo in s.service.slos]
    assert len(slos) == 12
    assert sorted({round(slo.objective, 6) for slo in slos}) == [0.99, 0.995, 0.999, 0.9995]

    parsed = parse_strict(buffer.getvalue())
    # Two series per SLO, a third (503) on SLOs 0, 3, 6 and 9.
    assert len(parsed.series) == result.series == 28
    assert result.samples == 28 * (5 * 288 + 1)

    # SLO 3 (99.95%) has a fast burn at 30% errors; SLO 8 (99.9%) a slow burn at 4x its
    # budget, 0.4%. Both on a baseline of a fifth to a third of the budget.
    assert [(i.slo, i.kind) for i in sorted(result.incidents, key=lambda i: i.slo)] == [
        ("r003-availability", "fast-burn"),
        ("r008-availability", "slow-burn"),
    ]
    stamps = np.asarray(parsed.series[next(iter(parsed.series))][0][1:])
    ratios = {}
    for incident in result.incidents:
        route = f"/api/r{incident.slo[1:4]}"
        inside = (stamps > incident.start) & (stamps <= incident.end)
        totals = {
            key: _counter_increase(parsed.values(key))[inside].sum()
            for key in parsed.series
            if f'route="{route}"' in key
        }
        errors = sum(v for k, v in totals.items() if 'code="5' in k)
        ratios[incident.kind] = errors / sum(totals.values())
    assert 0.28 < ratios["fast-burn"] < 0.32
    assert 0.0039 < ratios["slow-burn"] < 0.0044


def test_generate_many_refuses_zero_slos(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="n_slos and per_service must be positive"):
        generate_many(tmp_path, io.StringIO(), end=END, n_slos=0)
