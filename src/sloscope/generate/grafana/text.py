"""Text that reaches a Grafana dashboard: escaped Markdown, safe links, PromQL selectors.

Spec text is user input: everything that reaches a Markdown panel is escaped for
Markdown and HTML, ``$`` cannot reach Grafana's variable interpolation, and only
``http``/``https`` URLs become links (percent-encoded so they cannot break out). Label
values in queries are PromQL string literals. Figures are written as people read them.
"""

from __future__ import annotations

import re

import numpy as np

from sloscope import conventions as conv
from sloscope.spec.durations import format_duration
from sloscope.spec.model import (
    SLO,
    CalendarWindow,
    LatencySLI,
    RatioSLI,
    SliceIndicator,
    TimeslicesSLI,
)

#: The series Prometheus keeps of every pending and firing alert (a Prometheus built-in,
#: not a sloscope name, hence not in :mod:`sloscope.conventions`).
PROMETHEUS_ALERTS_METRIC = "ALERTS"

_ALERT_NAMES = (conv.ALERT_PAGE, conv.ALERT_TICKET, conv.ALERT_EXHAUSTED)

# Characters Markdown gives a meaning to; a backslash makes each one literal (CommonMark
# allows escaping any ASCII punctuation).
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~:")
# Characters that must not reach the HTML (or, for "$", Grafana's variable interpolation,
# which runs on panel text before Markdown and would expand ${__user.email} and the like).
_HTML_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "$": "&#36;",
}
# Kept as they are in a URL; everything else is percent-encoded. Excludes what could end a
# Markdown link or an HTML attribute ( ) [ ] < > " ' ` and space), start a variable ($),
# or start Markdown emphasis (*).
_URL_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#@!&+,;=%"
)
_URL_SCHEME = re.compile(r"^https?://[^/]", re.IGNORECASE)
#: What a Markdown panel shows for a field the spec leaves empty.
MARKDOWN_NONE = "\\-"


def markdown_literal(text: str) -> str:
    """Spec text as literal Markdown: no markup, no HTML, no variables, one line."""
    out: list[str] = []
    for ch in " ".join(text.split()):
        if ch in _HTML_ENTITIES:
            out.append(_HTML_ENTITIES[ch])
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def safe_url(url: str) -> str | None:
    """``url`` percent-encoded for a link, or None when it is not an http(s) URL.

    Characters that could close a Markdown link or an HTML attribute, or start a Grafana
    variable, are percent-encoded; existing ``%XX`` escapes are kept.
    """
    url = url.strip()
    if not _URL_SCHEME.match(url):
        return None
    return "".join(
        ch if ch in _URL_SAFE else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in url
    )


def markdown_link(url: str | None) -> str:
    """A Markdown link to ``url``, the escaped text when it is no http(s) URL, or "-"."""
    if not url:
        return MARKDOWN_NONE
    target = safe_url(url)
    if target is None:
        return markdown_literal(url)
    # "&" is the one URL character HTML needs written as an entity inside the link.
    return f"[{markdown_literal(url)}]({target.replace('&', '&amp;')})"


def _label_value(value: str) -> str:
    """A PromQL string literal's body: backslashes, quotes and newlines escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def promql_selector(metric: str, *matchers: tuple[str, str, str], **labels: str) -> str:
    """``metric{label="value", ...}``: ``matchers`` as (label, op, value), then ``labels``."""
    every = [*matchers, *((name, "=", value) for name, value in labels.items())]
    inner = ", ".join(f'{name}{op}"{_label_value(value)}"' for name, op, value in every)
    return f"{metric}{{{inner}}}"


def alerts_selector(*matchers: tuple[str, str, str], **labels: str) -> str:
    """The ``ALERTS`` series of sloscope's alerts, narrowed by more matchers."""
    names = ("alertname", "=~", "|".join(_ALERT_NAMES))
    return promql_selector(PROMETHEUS_ALERTS_METRIC, names, *matchers, **labels)


# --- figures as people read them -------------------------------------------------------------


def number_text(value: float) -> str:
    """A figure to 4 significant digits, never in exponent form (13.44, 0.9333, 12340)."""
    return str(np.format_float_positional(float(f"{value:.4g}"), trim="-"))


def percent_text(fraction: float) -> str:
    """A fraction as a percent without float noise (0.999 → ``99.9``)."""
    return f"{fraction * 100:.10g}"


def _seconds(value: float) -> str:
    """A latency threshold as written in specs (0.3 → ``300ms``, 2.5 → ``2.5s``)."""
    return f"{value * 1000:.6g}ms" if value < 1 else f"{value:.6g}s"


def slo_window_text(slo: SLO) -> str:
    """The SLO window as people say it (``28d``, ``calendar month (Europe/Berlin)``)."""
    window = slo.window
    if isinstance(window, CalendarWindow):
        zone = "" if window.timezone == "UTC" else f" ({window.timezone})"
        return f"calendar {window.unit}{zone}"
    return window.label


def _indicator_text(sli: SliceIndicator) -> str:
    """How an event-based SLI is computed, in words."""
    if isinstance(sli, LatencySLI):
        return f"{sli.metric.metric} requests faster than {_seconds(sli.threshold)} ÷ all"
    if isinstance(sli, RatioSLI):
        return "good events ÷ all events" if sli.good else "1 - bad events ÷ all events"
    return "PromQL expressions"


def sli_text(slo: SLO) -> str:
    """How the SLO's SLI is computed, in words (time slices included)."""
    sli = slo.sli
    if isinstance(sli, TimeslicesSLI):
        return (
            f"good {format_duration(sli.slice_seconds)} slices ÷ slices with events; a slice "
            f"is good at {percent_text(sli.target)}% or more of {_indicator_text(sli.indicator)}"
        )
    return _indicator_text(sli)
