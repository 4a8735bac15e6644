"""When the error budget runs out if the current burn goes on.

A burn rate of 1 spends the whole budget in one SLO window, so at burn rate ``b`` the
share ``remaining`` of the budget lasts::

    remaining * window_seconds / b

This is a first-order forecast and says so: it assumes the burn rate stays as it is *and*
that the events leaving a rolling window are like those entering it. A rolling window
also sheds its oldest errors as time passes, so after a past incident the real budget
recovers and the forecast is pessimistic; it is also blind to traffic changing. For a
calendar window the budget only grows back at the next period, and the caller should
compare the forecast with the time left in the period (the budget cannot run out after
it resets).
"""

from __future__ import annotations

import math


def exhaustion_seconds(
    remaining: float | None, burn_rate: float | None, window_seconds: int
) -> float | None:
    """Seconds until the budget is spent at ``burn_rate``; 0 when already spent.

    None when there is nothing to forecast from: no remaining figure (no events), or a
    burn rate that is None, NaN or 0 (the budget never runs out at that pace).

    >>> exhaustion_seconds(0.5, 2.0, 28 * 86400) / 86400  # half a 28d budget at 2x: 7 days
    7.0
    """
    if remaining is None:
        return None
    if remaining <= 0:
        return 0.0
    if burn_rate is None or math.isnan(burn_rate) or burn_rate <= 0:
        return None
    return remaining * window_seconds / burn_rate
