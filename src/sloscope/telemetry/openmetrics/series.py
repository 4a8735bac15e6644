"""Series of an exposition: their canonical names, metric types and counter nature.

A series is known by its key, ``name{sorted labels}``. Its type comes from the ``# TYPE``
line of its family (``http_requests`` for ``http_requests_total``, a histogram for its
``_bucket``, ``_count`` and ``_sum``); without one it is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Format = Literal["openmetrics", "prometheus"]
#: The formats the parser reads.
FORMATS: tuple[str, ...] = ("openmetrics", "prometheus")

#: Metric types of ``# TYPE`` lines (``untyped`` is the Prometheus text format's word).
METRIC_TYPES = frozenset(
    {
        "counter",
        "gauge",
        "histogram",
        "gaugehistogram",
        "summary",
        "info",
        "stateset",
        "unknown",
        "untyped",
    }
)

_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum", "_info")
#: Families whose ``_created`` samples are creation times, not counts.
HAS_CREATED = frozenset({"counter", "histogram", "gaugehistogram", "summary"})


@dataclass(frozen=True)
class SeriesKey:
    """One series: metric name, labels sorted by name (no empty values), and its type."""

    name: str
    labels: tuple[tuple[str, str], ...]
    type: str = "unknown"

    @property
    def key(self) -> str:
        """Canonical text ``name{a="1",b="2"}`` (sorted labels, escaped values)."""
        return canonical_key(self.name, self.labels)

    def label(self, name: str) -> str:
        """The value of a label, ``""`` when absent (as in Prometheus)."""
        return dict(self.labels).get(name, "")


def canonical_key(name: str, labels: Iterable[tuple[str, str]]) -> str:
    """The one text that names a series: labels sorted by name, values escaped."""
    parts = [f'{k}="{_escape(v)}"' for k, v in sorted(labels)]
    return name + "{" + ",".join(parts) + "}" if parts else name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def family_type(types: Mapping[str, str], name: str) -> str:
    """The type the ``# TYPE`` lines seen so far give the series ``name``."""
    kind = types.get(name)
    if kind is not None:
        return kind
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            kind = types.get(name[: -len(suffix)])
            if kind is not None:
                return kind
    return "unknown"


def counts_up(name: str, kind: str) -> bool:
    """Whether the samples of a series are counter values: finite, never negative.

    Counters, histogram buckets and counts, summary counts; and series of unknown type,
    because the store reads every series as a counter. A gauge, a ``_sum`` or a summary
    quantile may go below zero (and its NaN is skipped rather than refused).
    """
    if kind in ("counter", "unknown"):
        return True
    if kind == "histogram":
        return name.endswith(("_bucket", "_count"))
    return kind == "summary" and name.endswith("_count")
