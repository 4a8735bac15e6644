"""A backtest reads its history through the source interface: Prometheus or the embedded store.

On the demo data (3 days of 60s samples, loaded into both), a backtest of the whole
range through a real Prometheus must find the very same alerts, with the same figures,
as the one through the embedded store.
"""

from __future__ import annotations

from conftest import DEMO_DAYS, DEMO_END, Demo
from sloscope.alerting.render import backtest_json
from sloscope.sources.prometheus.source import PrometheusSource


def test_a_backtest_through_prometheus_equals_the_embedded_one(demo: Demo) -> None:
    start = DEMO_END - DEMO_DAYS * 86400
    source = PrometheusSource(demo.prometheus.url)
    try:
        remote = demo.workspace.backtest(start, DEMO_END, compare_static=True, source=source)
    finally:
        source.close()
    local = demo.workspace.backtest(start, DEMO_END, compare_static=True)
    assert backtest_json(remote) == backtest_json(local)
    # The demo's recent burn (identity login, 3% of logins failing) pages at the end.
    pages = [a for a in remote.replays[0].alerts if a.severity == "page"]
    assert [(a.service, a.slo, a.open) for a in pages] == [("identity", "login-availability", True)]
