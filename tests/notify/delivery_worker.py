"""A delivery worker in its own process, for the kill -9 test.

``python delivery_worker.py URL SCHEMA|- HOOK_URL NOW``: delivers what is due at NOW to
a webhook at HOOK_URL (which the test makes hang until the process is killed).
"""

from __future__ import annotations

import sys

from sloscope.alerting.notify.delivery import deliver_due
from sloscope.alerting.notify.webhook import WebhookNotifier
from sloscope.store.database import StateStore


def main() -> None:
    """Deliver once."""
    url, schema, hook, now = sys.argv[1:5]
    with StateStore(url, schema=None if schema == "-" else schema) as store:
        notifier = WebhookNotifier("hook", hook, deadline=30)
        deliver_due(store, {"hook": notifier}, int(now), lease_seconds=600)


if __name__ == "__main__":
    main()
