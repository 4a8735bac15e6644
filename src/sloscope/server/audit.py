"""Who changed what: every write through the API or the dashboard is attributed.

The hook receives the actor (the token's name), the action and its target. The default
writes one structured log line per write; a store-backed audit log plugs in here
by implementing :class:`AuditHook`.
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog


class AuditHook(Protocol):
    """Receives every write, after it succeeded."""

    def record(self, *, actor: str, action: str, target: str, at: int, **detail: Any) -> None:
        """Record that ``actor`` did ``action`` to ``target`` at ``at``."""


class LogAudit:
    """The default hook: one ``audit`` log line per write."""

    def __init__(self) -> None:
        self.log = structlog.get_logger("sloscope.audit")

    def record(self, *, actor: str, action: str, target: str, at: int, **detail: Any) -> None:
        """Log the write."""
        self.log.info("audit", actor=actor, action=action, target=target, at=at, **detail)
