"""An Alertmanager snippet for sloscope's alerts: tier routes and page-inhibits-ticket.

Generated alerts carry ``sloscope_tier`` (``page`` or ``ticket``) and ``sloscope_id``
(one value per SLO), names from :mod:`sloscope.conventions`. The snippet routes each tier
to its receiver and inhibits an SLO's ticket while its page fires, so the on-call engineer
gets one notification for one burn. Merge ``route.routes`` and ``inhibit_rules`` into
your ``alertmanager.yml``; the receivers themselves are yours to define.
"""

from __future__ import annotations

from sloscope import conventions as names
from sloscope.generate.yaml_text import dump_yaml


def alertmanager_snippet(pager_receiver: str = "pager", ticket_receiver: str = "tickets") -> str:
    """YAML with ``route.routes`` by tier and the page-inhibits-ticket ``inhibit_rules``.

    The root route has no receiver of its own: keep the one of your configuration.
    """
    tier = names.LABEL_TIER
    group_by = ["alertname", names.LABEL_ID]
    doc = {
        "route": {
            "routes": [
                {
                    "matchers": [f'{tier}="page"'],
                    "receiver": pager_receiver,
                    "group_by": group_by,
                    "group_wait": "30s",
                    "repeat_interval": "1h",
                },
                {
                    "matchers": [f'{tier}="ticket"'],
                    "receiver": ticket_receiver,
                    "group_by": group_by,
                    "group_wait": "5m",
                    "repeat_interval": "1d",
                },
            ]
        },
        "inhibit_rules": [
            {
                "source_matchers": [f'{tier}="page"'],
                "target_matchers": [f'{tier}="ticket"'],
                "equal": [names.LABEL_ID],
            }
        ],
    }
    comments = [
        "Alertmanager routes and inhibition for sloscope's SLO alerts (generated).",
        f"Merge route.routes and inhibit_rules into alertmanager.yml; define the receivers "
        f"{pager_receiver!r} and {ticket_receiver!r}.",
        "A firing page inhibits the ticket of the same SLO (equal sloscope_id).",
    ]
    return dump_yaml(doc, comments)
