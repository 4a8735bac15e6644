"""The words of a notification: a title and a list of facts every channel shows.

Channels differ in markup (Slack blocks, an email body, Alertmanager annotations), not in
what they say, so the wording lives here once.
"""

from __future__ import annotations

from sloscope.alerting.notify.message import Notification, RelatedAlert
from sloscope.timeparse import format_time


def title(message: Notification) -> str:
    """One line: ``[FIRING page] checkout/orders-availability burning 14.4x its budget``."""
    state = message.transition.upper()
    prefix = "[TEST] " if message.test else ""
    head = f"{prefix}[{state} {message.severity}] {message.service}/{message.slo}"
    if message.transition == "resolved":
        return f"{head} resolved"
    return f"{head} burning {_rate(message.burn_rate)} its error budget"


def facts(message: Notification) -> list[tuple[str, str]]:
    """(label, text) pairs in reading order; absent facts are left out."""
    found: list[tuple[str, str]] = [("SLO", f"{message.service}/{message.slo}")]
    if message.journey:
        found.append(("Journey", message.journey))
    found.append(("Severity", message.severity))
    found.append(("Burn rate", _burn(message)))
    budget = _budget(message)
    if budget:
        found.append(("Error budget", budget))
    return found + _times(message) + _links(message) + _related_facts(message)


def _times(message: Notification) -> list[tuple[str, str]]:
    found = []
    if message.transition == "firing":
        when = (
            "not projected" if message.exhaustion_at is None else format_time(message.exhaustion_at)
        )
        found.append(("Budget exhausted at", when))
    found.append(("Since", format_time(message.started_at)))
    if message.transition == "resolved":
        found.append(("Resolved at", format_time(message.at)))
    return found


def _links(message: Notification) -> list[tuple[str, str]]:
    pairs = (("Runbook", message.runbook_url), ("Dashboard", message.dashboard_url))
    return [(label, url) for label, url in pairs if url]


def _related_facts(message: Notification) -> list[tuple[str, str]]:
    found = []
    for relation, label in (("grouped", "Grouped alerts"), ("held", "Held alerts")):
        related = [r for r in message.related if r.relation == relation]
        if related:
            found.append((label, "; ".join(_related(r) for r in related)))
    return found


def text(message: Notification) -> str:
    """Plain text: the title, then one fact per line."""
    lines = [title(message), ""]
    lines += [f"{label}: {value}" for label, value in facts(message)]
    return "\n".join(lines) + "\n"


def _rate(value: float) -> str:
    return f"{value:.3g}x"


def _burn(message: Notification) -> str:
    parts = [_rate(message.burn_rate)]
    for window in message.windows:
        seen = [
            f"{rate:.3g}x over {span}"
            for span, rate in (
                (window.long, window.long_burn_rate),
                (window.short, window.short_burn_rate),
            )
            if rate is not None
        ]
        detail = ", ".join(seen) if seen else f"{window.long} and {window.short}"
        parts.append(f"({detail}; threshold {window.factor:.3g}x)")
    return " ".join(parts)


def _budget(message: Notification) -> str:
    parts = []
    if message.budget_consumed is not None:
        parts.append(f"{message.budget_consumed * 100:.1f}% consumed")
    if message.budget_remaining is not None:
        parts.append(f"{message.budget_remaining * 100:.1f}% remaining")
    return ", ".join(parts)


def _related(alert: RelatedAlert) -> str:
    reason = f" ({alert.reason})" if alert.reason else ""
    return f"{alert.service}/{alert.slo} {alert.severity}{reason}"
