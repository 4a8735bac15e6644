"""A report with every state a reader must tell apart, for the renderers' tests.

Six SLOs of three services evaluated at :data:`AT` through the real workspace and
engine; their counts come from :class:`ScenarioSource`, a source that computes each
SLO's per-minute events from a formula instead of reading a store, so every figure is
known exactly: 1000 events a minute, and the bad ones as :data:`SCENARIOS` says.

=================================  ==============================================
checkout/place-order-availability  0.02% errors, and 4% for 6h ten days ago: notify
checkout/cart-availability         0.01% errors throughout: ok, nothing firing
identity/login-availability        5% errors in the last 40 minutes: pages
identity/token-refresh-availability 0.35% errors for two days: tickets
search/search-availability         10% errors for a day this month: freeze, overspent
search/search-nodata               no series at all: unknown
=================================  ==============================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sloscope.report.model import Report
from sloscope.sources.base import CountSeries
from sloscope.spec.model import SLI
from sloscope.workspace import Workspace

#: 2026-11-20T12:00:00Z
AT = 1_795_176_000
MINUTE = 60
HOUR = 3600
DAY = 86_400
PER_MINUTE = 1000.0

SPECS = {
    "checkout.yaml": """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: checkout
  owner: team-payments
spec:
  journeys:
    - name: place-order
      description: Customer submits an order
  slos:
    - name: place-order-availability
      journey: place-order
      description: "Orders that do not fail [bold]with a server error[/bold] :smile:"
      objective: 99.9
      window: 28d
      sli:
        ratio:
          bad: http_requests_total{service="checkout", code=~"5.."}
          total: http_requests_total{service="checkout"}
      alerting:
        runbook: https://runbooks.example.com/checkout/[orders]
    - name: cart-availability
      objective: 99.5
      window: 30d
      sli:
        ratio:
          bad: http_requests_total{service="checkout", route="/cart", code=~"5.."}
          total: http_requests_total{service="checkout", route="/cart"}
""",
    "identity.yaml": """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: identity
  owner: team-identity
spec:
  slos:
    - name: login-availability
      objective: 99.95
      window: 28d
      sli:
        ratio:
          bad: http_requests_total{service="identity", code=~"5.."}
          total: http_requests_total{service="identity"}
    - name: token-refresh-availability
      objective: 99.9
      window: 28d
      sli:
        ratio:
          bad: http_requests_total{service="identity", route="/token", code=~"5.."}
          total: http_requests_total{service="identity", route="/token"}
""",
    "search.yaml": """\
apiVersion: sloscope/v1
kind: Service
metadata:
  name: search
spec:
  slos:
    - name: search-availability
      objective: 99.9
      window:
        calendar: month
      sli:
        ratio:
          bad: http_requests_total{service="search", code=~"5.."}
          total: http_requests_total{service="search"}
    - name: search-nodata
      objective: 99
      window: 7d
      sli:
        ratio:
          good: nothing_total{service="search"}
          total: nothing_total{service="search"}
""",
}

Times = NDArray[np.int64]


def _between(t: Times, begin: int, end: int, share: float) -> NDArray[np.float64]:
    """``share`` of the events bad for the minutes ending in ``(begin, end]``."""
    return np.where((t > begin) & (t <= end), share, 0.0)


#: The share of bad events of each minute, by SLO id; an id missing here has no data.
SCENARIOS: dict[str, Callable[[Times], NDArray[np.float64]]] = {
    "checkout-place-order-availability": lambda t: (
        0.0002 + _between(t, AT - 10 * DAY - 6 * HOUR, AT - 10 * DAY, 0.04)
    ),
    "checkout-cart-availability": lambda t: np.full(len(t), 0.0001),
    "identity-login-availability": lambda t: _between(t, AT - 40 * MINUTE, AT, 0.05),
    "identity-token-refresh-availability": lambda t: _between(t, AT - 2 * DAY, AT, 0.0035),
    "search-search-availability": lambda t: _between(t, AT - 5 * DAY, AT - 4 * DAY, 0.1),
}


class ScenarioSource:
    """A :class:`~sloscope.sources.base.Source` whose counts are :data:`SCENARIOS`."""

    name = "scenarios"
    coarse_history = False

    def fetch(
        self,
        slis: Sequence[SLI],
        start: int,
        end: int,
        step: int,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[CountSeries]:
        """Per-step counts of each SLO from its scenario (zeros and no series without one)."""
        assert ids is not None
        assert step == MINUTE
        out = []
        for slo_id in ids:
            scenario = SCENARIOS.get(slo_id)
            if scenario is None:
                out.append(CountSeries.empty(start, end, step))
                continue
            times = np.arange(start + step, end + 1, step, dtype=np.int64)
            total = np.full(len(times), PER_MINUTE)
            good = total - total * scenario(times)
            out.append(CountSeries(start=start, step=step, good=good, total=total, series=1))
        return out

    def close(self) -> None:
        """Nothing to release."""


def sample_workspace(root: Path) -> Workspace:
    """A workspace at ``root`` with the sample specs."""
    (root / "slos").mkdir(parents=True, exist_ok=True)
    for name, text in SPECS.items():
        (root / "slos" / name).write_text(text, encoding="utf-8")
    return Workspace.open(root)


def sample_report(root: Path, **options: object) -> Report:
    """The sample report at :data:`AT` (``options`` go to :meth:`Workspace.report`)."""
    return sample_workspace(root).report(at=AT, source=ScenarioSource(), **options)  # type: ignore[arg-type]
