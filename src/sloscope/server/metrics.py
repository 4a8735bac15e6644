"""The server's own Prometheus metrics (``/metrics``), in a registry per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServerMetrics:
    """Request latency, evaluation duration and lag, notification outcomes, leadership."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "sloscope_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.status_seconds = Histogram(
            "sloscope_status_evaluation_duration_seconds",
            "Time to evaluate one service's SLOs for a request (cache misses only).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.evaluation_seconds = Histogram(
            "sloscope_evaluation_duration_seconds",
            "Time one run of the evaluation loop took.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.evaluation_lag = Gauge(
            "sloscope_evaluation_lag_seconds",
            "Seconds since the last successful run of the evaluation loop on this replica "
            "(0 before the first; only the leader runs).",
            registry=self.registry,
        )
        self.evaluations = Counter(
            "sloscope_evaluations",
            "Runs of the evaluation loop, by outcome (ok, error).",
            ["outcome"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "sloscope_evaluation_leader",
            "1 while this replica holds the evaluation lock, else 0.",
            registry=self.registry,
        )
        self.notifications = Counter(
            "sloscope_notifications",
            "Notifications attempted from the outbox, by outcome (sent, retried, dead, lost).",
            ["outcome"],
            registry=self.registry,
        )
