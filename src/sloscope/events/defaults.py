"""The defaults of ``sloscope.yaml``'s ``events:`` settings, beside no logic.

Here rather than beside the figures that use them so reading the settings (every command
that opens a workspace) does not load the figures' modules and their dataclasses.
"""

from __future__ import annotations

#: Default time after a deployment in which a failure counts against it.
DEFAULT_FAILURE_WINDOW = 3600

#: Default span in which the same SLO and cause make an incident a repeat.
DEFAULT_REPEAT_WINDOW = 30 * 86_400

#: Default priority rules, most severe first: (priority, share of an SLO's budget).
DEFAULT_PRIORITY_SHARES: tuple[tuple[str, float], ...] = (("P1", 0.20), ("P2", 0.05), ("P3", 0.01))

#: Default priority of an incident below every rule.
DEFAULT_LOWEST_PRIORITY = "P4"
