"""A notification with every fact filled in, for the channel tests."""

from __future__ import annotations

from typing import Any

from sloscope.alerting.notify.message import BurnWindow, Notification, RelatedAlert
from sloscope.store.alerts import alert_key

#: 2026-11-20T12:00:00Z, and the alert started ten minutes earlier.
AT = 1_795_176_000
STARTED = AT - 600


def firing(**changes: Any) -> Notification:
    """checkout/orders-availability paging at 14.4x, with links and related alerts."""
    base = Notification(
        service="checkout",
        slo="orders-availability",
        journey="place-order",
        severity="page",
        transition="firing",
        at=AT,
        started_at=STARTED,
        dedup_key=alert_key("checkout", "orders-availability", "page"),
        burn_rate=14.4,
        windows=(
            BurnWindow(
                long="1h", short="5m", factor=14.4, long_burn_rate=15.0, short_burn_rate=20.0
            ),
        ),
        objective=0.999,
        budget_consumed=0.25,
        budget_remaining=0.75,
        exhaustion_at=AT + 7200,
        runbook_url="https://runbooks.example.com/checkout",
        dashboard_url="https://grafana.example.com/d/checkout",
        related=(
            RelatedAlert(
                service="checkout", slo="orders-latency", severity="page", relation="grouped"
            ),
            RelatedAlert(
                service="cart",
                slo="add-availability",
                severity="page",
                relation="held",
                reason="depends on checkout",
            ),
        ),
        labels={"team": "payments"},
        annotations={"owner": "team-payments"},
    )
    return base.model_copy(update=changes)


def resolved(**changes: Any) -> Notification:
    """The same alert resolved 30 minutes after it started."""
    return firing(**{"transition": "resolved", "at": STARTED + 1800, "burn_rate": 0.4, **changes})
