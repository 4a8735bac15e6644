"""What ``sloscope serve`` is started with."""

from __future__ import annotations

from dataclasses import dataclass

#: Default limit of an ingest body (OpenMetrics text).
DEFAULT_MAX_INGEST_BYTES = 10 * 1024 * 1024
#: Limit of every other request body (JSON, forms).
DEFAULT_MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """Options of one server process.

    ``cache_seconds``: how long an evaluated status (per minute and service) is reused,
    so a burst of gate calls reads the telemetry once. ``eval_interval``: seconds between
    two runs of the evaluation loop (0: no loop). ``cors_origins``: origins allowed to
    call the API from a browser (none by default). ``evaluation_worker``: evaluate
    statuses in a worker process (``sloscope serve`` does), not in the request's thread.
    ``warm_up``: on start, evaluate every service's status and walk the gate's code once
    in the background; ``/readyz`` answers 503 until that is done (``sloscope serve``
    does), so a load balancer sends no request to a server still warming up.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    public_read: bool = False
    max_ingest_bytes: int = DEFAULT_MAX_INGEST_BYTES
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    cache_seconds: float = 15.0
    eval_interval: float = 60.0
    session_seconds: int = 12 * 3600
    cors_origins: tuple[str, ...] = ()
    evaluation_worker: bool = False
    warm_up: bool = False
