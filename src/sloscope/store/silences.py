"""Silences: alerts whose labels match are not notified for a while.

A silence stores its matchers as JSON (``[{"name": "service", "op": "=", "value":
"checkout"}]``); what they match is the alerting layer's business. An expired silence is
kept (its ``ends_at`` moved to the time it was expired), so ``silence list --all`` shows
who silenced what, when, and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sloscope.errors import NotFoundError
from sloscope.store.rows import SilenceRow

if TYPE_CHECKING:
    from sloscope.alerting.silences import Silence as SilenceRule

#: Limits on what a silence may hold; longer is a mistake, not a need.
MAX_SILENCE_SECONDS = 366 * 86_400
MAX_AUTHOR_CHARS = 200
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class Silence:
    """A stored silence; active from ``starts_at`` (inclusive) to ``ends_at`` (exclusive)."""

    id: int
    matchers: tuple[dict[str, str], ...]
    starts_at: int
    ends_at: int
    author: str
    comment: str
    created_at: int

    def active(self, at: int) -> bool:
        """Whether the silence holds at ``at``."""
        return self.starts_at <= at < self.ends_at

    def state(self, now: int) -> str:
        """``active``, ``pending`` (starts later) or ``expired`` at ``now``."""
        if self.active(now):
            return "active"
        return "pending" if self.starts_at > now else "expired"

    def rule(self) -> SilenceRule:
        """The silence as the noise pipeline applies it (its matchers parsed)."""
        from sloscope.alerting.matchers import matcher_from_dict
        from sloscope.alerting.silences import Silence as SilenceRule

        return SilenceRule(
            tuple(matcher_from_dict(m) for m in self.matchers),
            self.starts_at,
            self.ends_at,
            self.author,
            self.comment,
        )

    def to_dict(self, now: int) -> dict[str, Any]:
        """The silence as ``silence list --json`` and the API show it."""
        from sloscope.alerting.matchers import matcher_from_dict
        from sloscope.timeparse import format_time

        return {
            "id": self.id,
            "state": self.state(now),
            "matchers": [str(matcher_from_dict(m)) for m in self.matchers],
            "starts_at": format_time(self.starts_at),
            "ends_at": format_time(self.ends_at),
            "author": self.author,
            "comment": self.comment,
            "created_at": format_time(self.created_at),
        }


class Silences:
    """Repository of silences, within one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        matchers: Sequence[Mapping[str, str]],
        *,
        starts_at: int,
        ends_at: int,
        author: str,
        comment: str,
        now: int,
    ) -> Silence:
        """Store a new silence and return it with its id."""
        if ends_at <= starts_at:
            raise ValueError("a silence must end after it starts")
        if not matchers:
            raise ValueError("a silence needs at least one matcher, or it would silence all")
        row = SilenceRow(
            matchers=[dict(m) for m in matchers],
            starts_at=starts_at,
            ends_at=ends_at,
            author=author,
            comment=comment,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _silence(row)

    def get(self, silence_id: int) -> Silence:
        """The silence with ``silence_id``; :class:`NotFoundError` when there is none."""
        row = self.session.get(SilenceRow, silence_id)
        if row is None:
            raise NotFoundError(f"no silence with id {silence_id}; see 'sloscope silence list'")
        return _silence(row)

    def find(self, *, active_at: int | None = None, since: int | None = None) -> list[Silence]:
        """Silences by start time: all, those active at ``active_at``, or those not ended
        before ``since`` (current and future ones)."""
        query = select(SilenceRow).order_by(SilenceRow.starts_at, SilenceRow.id)
        if active_at is not None:
            query = query.where(SilenceRow.starts_at <= active_at, SilenceRow.ends_at > active_at)
        if since is not None:
            query = query.where(SilenceRow.ends_at > since)
        return [_silence(row) for row in self.session.scalars(query)]

    def expire(self, silence_id: int, now: int) -> Silence:
        """End the silence at ``now`` (a future one is ended before it starts)."""
        row = self.session.get(SilenceRow, silence_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"no silence with id {silence_id}; see 'sloscope silence list'")
        if row.ends_at > now:
            # A silence that has not started keeps a one-second span so the row stays valid.
            row.starts_at = min(row.starts_at, now - 1)
            row.ends_at = now
            self.session.flush()
        return _silence(row)


def _silence(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id,
        matchers=tuple(dict(m) for m in row.matchers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        author=row.author,
        comment=row.comment,
        created_at=row.created_at,
    )
