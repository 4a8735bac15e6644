"""Limits on what one ingest may bring into the embedded store, each configurable.

A hostile or broken exporter can write a 50 MB label value, a series with thousands of
labels, or millions of series with a label per request; each would make the series
catalog (kept in memory while a file is parsed) and the store grow without bound. The
defaults leave room for any sane exposition; ``ingest:`` in ``sloscope.yaml`` changes
them (:class:`~sloscope.config.IngestConfig`).
"""

from __future__ import annotations

from typing import NamedTuple

#: Where each limit is set, for the messages that name it.
SETTING = "ingest.{name} in sloscope.yaml"


class IngestLimits(NamedTuple):
    """The most one ingest accepts; a file over a limit is refused whole, naming the line."""

    max_label_value_bytes: int = 4096
    max_labels_per_series: int = 64
    max_series_per_ingest: int = 100_000

    @property
    def max_line_bytes(self) -> int:
        """The longest sample line that can be within the limits (with room for names)."""
        return self.max_labels_per_series * (self.max_label_value_bytes + 256) + 4096

    def over(self, name: str) -> str:
        """The end of a message about going over the limit ``name``: which, and where
        it is set.
        """
        where = SETTING.format(name=name)
        return f"over the limit of {getattr(self, name):,} (raise {where} if this is meant)"
