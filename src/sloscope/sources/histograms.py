"""Latency SLIs over histograms: the checks both sources make before counting.

A latency SLI counts the ``_bucket`` series whose ``le`` is the threshold as good
(:func:`sloscope.spec.buckets.same_boundary` decides which) and the ``_count`` series, or
the ``+Inf`` buckets without one, as total. Two mistakes would make its figures silently
wrong, so both sources refuse them with an error naming what is missing:

- no bucket of the selector is at the threshold (:func:`require_threshold_bucket`);
- some histogram counted in the total has no bucket at the threshold, so its requests
  would count in the total but never as good and the SLI would be too low
  (:func:`check_threshold_buckets`). A histogram is the label set of its series without
  ``__name__`` and ``le`` (:func:`histogram_key`: two routes, two pods). Each is judged
  over the series the source matched in the fetched range, not step by step: a new pod
  with the bucket is fine; a stopped pod without it matters only while the range holds
  its samples; a histogram that gains the bucket inside the range passes (its earlier
  steps still count in the total only).
"""

from __future__ import annotations

from collections.abc import Iterable

from sloscope.errors import SourceError
from sloscope.spec.buckets import boundary_order, same_boundary
from sloscope.spec.selectors import Matcher, Selector

#: Histograms listed by name in an error; the rest are counted.
_SHOWN_HISTOGRAMS = 5

#: A histogram's identity: the sorted labels of its series without ``__name__`` and ``le``.
HistogramKey = tuple[tuple[str, str], ...]


def histogram_key(labels: Iterable[tuple[str, str]]) -> HistogramKey:
    """The histogram a ``_bucket``, ``_count`` or ``_sum`` series belongs to.

    >>> histogram_key({"__name__": "x_bucket", "pod": "a", "le": "0.3"}.items())
    (('pod', 'a'),)
    """
    return tuple(sorted((k, v) for k, v in labels if k not in ("__name__", "le")))


def require_threshold_bucket(bucket: Selector, threshold: float, les: Iterable[str]) -> None:
    """Raise :class:`SourceError` unless some ``le`` of the matched buckets is ``threshold``.

    ``les`` are the ``le`` labels of the series ``bucket`` matched (at least one).
    """
    found = set(les)
    if any(same_boundary(le, threshold) for le in found):
        return
    bounds = sorted(found, key=boundary_order)
    raise SourceError(
        f"no bucket of {bucket} has le={threshold:g}; its boundaries are "
        f"{', '.join(bounds)} (hint: the threshold must be a bucket boundary of the "
        "histogram)"
    )


def check_threshold_buckets(
    metric: Selector,
    threshold: float,
    buckets: Iterable[tuple[HistogramKey, str]],
    counted: Iterable[HistogramKey],
) -> None:
    """Raise :class:`SourceError` if a histogram counted in the total has no bucket at
    ``threshold``.

    ``buckets`` are the matched ``_bucket`` series as (histogram, ``le``); ``counted``
    the histograms whose series the total sums (``_count``, or the ``+Inf`` buckets).
    The error names each such histogram with the boundaries it has, and says how to fix
    the spec; without it, their requests would count in the total but never as good.
    """
    bounds: dict[HistogramKey, set[str]] = {}
    for key, le in buckets:
        bounds.setdefault(key, set()).add(le)
    totals = set(counted)
    lacking = {
        key: sorted(bounds.get(key, ()), key=boundary_order)
        for key in totals
        if not any(same_boundary(le, threshold) for le in bounds.get(key, ()))
    }
    if lacking:
        raise SourceError(_lacking_message(metric, threshold, lacking, len(totals | bounds.keys())))


def _lacking_message(
    metric: Selector, threshold: float, lacking: dict[HistogramKey, list[str]], everyone: int
) -> str:
    shown = [
        _show_histogram(key) + (f" has buckets {', '.join(les)}" if les else " has no buckets")
        for key, les in sorted(lacking.items())[:_SHOWN_HISTOGRAMS]
    ]
    more = len(lacking) - len(shown)
    one = len(lacking) == 1
    return (
        f"{len(lacking)} of {everyone} histograms of {metric} {'has' if one else 'have'} no "
        f"bucket le={threshold:g}, so {'its' if one else 'their'} requests would count in the "
        f"total but never as good: {'; '.join(shown)}{f' and {more} more' if more else ''} "
        f"(hint: give every histogram the selector matches a bucket le={threshold:g}, or "
        "narrow the selector to the histograms that have one)"
    )


def _show_histogram(key: HistogramKey) -> str:
    """``{pod="a", route="/x"}``: label values quoted and escaped as in PromQL."""
    return "{" + ", ".join(str(Matcher(k, "=", v)) for k, v in key) + "}"
