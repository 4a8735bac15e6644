"""Every generated metric, label, rule-group and alert name, in one place.

Recording rules, alert rules, Grafana dashboards, the Prometheus source (which reads the
recorded series when they exist) and the Alertmanager snippet all take their names from
here, so they always agree. Names follow Prometheus' ``level:metric:operations`` rule
naming and stay close to Sloth's (``slo:sli_error:ratio_rate5m``), so dashboards built
for Sloth adapt with a label rename.
"""

from __future__ import annotations

from sloscope.spec.durations import format_duration

# --- labels on every generated series and alert -----------------------------------------

#: The service the SLO belongs to.
LABEL_SERVICE = "sloscope_service"
#: The SLO's name within its service.
LABEL_SLO = "sloscope_slo"
#: ``service-slo``: unique across the specs, the join key of every generated series.
LABEL_ID = "sloscope_id"
#: The lookback of a recorded rate or ratio (``5m``, ``1h``, ``28d``).
LABEL_WINDOW = "sloscope_window"
#: ``page`` or ``ticket``: Alertmanager routes and inhibits on it.
LABEL_TIER = "sloscope_tier"
#: The conventional severity label most Alertmanager routes already use.
LABEL_SEVERITY = "severity"

# --- recording rules ---------------------------------------------------------------------

#: Bad events per second over a window (``slo:sli_error:rate5m``).
ERROR_RATE = "slo:sli_error:rate{window}"
#: All events per second over a window.
TOTAL_RATE = "slo:sli_total:rate{window}"
#: Bad events ÷ all events over a window: Sloth's name, so its dashboards adapt.
ERROR_RATIO = "slo:sli_error:ratio_rate{window}"

#: SLO metadata series (values are constant; labels carry the identity).
OBJECTIVE = "slo:objective:ratio"
ERROR_BUDGET = "slo:error_budget:ratio"
PERIOD_DAYS = "slo:time_period:days"
#: Burn rate over the shortest recorded window, and over the SLO window.
CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
#: Share of the error budget left over the SLO window (negative when overspent).
BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"

#: Time-slice SLIs: 1 for a bad slice, 0 for a good one, no sample for a slice without
#: events (``slo:sli_slice_bad:bool1m``); window ratios average it.
SLICE_BAD = "slo:sli_slice_bad:bool{slice}"

# --- rule groups and alerts --------------------------------------------------------------

#: One group per SLO and kind, so a slow 30d rule does not delay the 5m ones.
GROUP_RECORDING = "sloscope-{id}-sli-recordings"
#: Windows of a day and more, summed from the 5m recordings (evaluated less often).
GROUP_LONG_RECORDING = "sloscope-{id}-sli-long-recordings"
#: Time-slice SLIs: one evaluation per slice (the group's interval is the slice).
GROUP_SLICES = "sloscope-{id}-slice-recordings"
GROUP_META = "sloscope-{id}-meta-recordings"
GROUP_ALERTS = "sloscope-{id}-alerts"

#: Burn-rate alert names by tier.
ALERT_PAGE = "SLOErrorBudgetBurnPage"
ALERT_TICKET = "SLOErrorBudgetBurnTicket"
#: Fires while the budget of the SLO window is spent (optional).
ALERT_EXHAUSTED = "SLOErrorBudgetExhausted"


def slo_id(service: str, slo: str) -> str:
    """The ``sloscope_id`` label value of an SLO: ``service-slo``."""
    return f"{service}-{slo}"


def window_suffix(seconds: int) -> str:
    """A window as it appears in a rule name (``300`` → ``5m``, ``2419200`` → ``28d``)."""
    return format_duration(seconds)


def error_rate(seconds: int) -> str:
    """Name of the recorded bad-events rate over a window."""
    return ERROR_RATE.format(window=window_suffix(seconds))


def total_rate(seconds: int) -> str:
    """Name of the recorded all-events rate over a window."""
    return TOTAL_RATE.format(window=window_suffix(seconds))


def error_ratio(seconds: int) -> str:
    """Name of the recorded error ratio over a window."""
    return ERROR_RATIO.format(window=window_suffix(seconds))


def slice_bad(slice_seconds: int) -> str:
    """Name of the recorded bad-slice indicator of a time-slice SLI."""
    return SLICE_BAD.format(slice=window_suffix(slice_seconds))
