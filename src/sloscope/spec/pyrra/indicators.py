"""Pyrra indicators → sloscope SLIs.

- ``ratio`` (``errors``/``total``, or the newer ``success``) → a ratio SLI on the two
  selectors.
- ``latency`` (``success`` = a ``_bucket`` selector with ``le``, ``total`` = ``_count``) → a
  latency SLI when both select the same histogram; otherwise a ratio of the two
  selectors, with a warning.
- ``latencyNative`` (a native histogram and a latency) and ``bool_gauge`` (a 0/1 gauge:
  good samples over all samples) → PromQL SLIs, which only a Prometheus source answers.

Every indicator may carry ``grouping`` (labels): the SLO is grouped by them, one status
per label value (:func:`grouping`), as Pyrra gives one per group.
"""

from __future__ import annotations

from collections.abc import Mapping

from sloscope.spec import fields
from sloscope.spec.durations import parse_threshold_seconds
from sloscope.spec.fields import Context
from sloscope.spec.keys import warn_unknown
from sloscope.spec.model import SLI, LatencySLI, PromQLSLI, RatioSLI
from sloscope.spec.selectors import Selector
from sloscope.spec.yamlpos import YamlPath

KINDS = ("ratio", "latency", "latencyNative", "bool_gauge")


def indicator(ctx: Context, path: YamlPath, raw: object) -> SLI | None:
    """The SLI of ``spec.indicator``; None after an error."""
    if not isinstance(raw, Mapping):
        ctx.error(path, "indicator must be a mapping with one of " + ", ".join(KINDS))
        return None
    given = [k for k in KINDS if k in raw]
    warn_unknown(ctx, raw, path, KINDS, "indicator")
    if len(given) != 1:
        ctx.error(path, "one of ratio, latency, latencyNative or bool_gauge must be set")
        return None
    kind = given[0]
    body = raw[kind]
    at = (*path, kind)
    if not isinstance(body, Mapping):
        ctx.error(at, f"{kind} must be a mapping")
        return None
    if kind == "ratio":
        return _ratio(ctx, at, body)
    if kind == "latency":
        return _latency(ctx, at, body)
    if kind == "latencyNative":
        return _latency_native(ctx, at, body)
    return _bool_gauge(ctx, at, body)


def grouping(ctx: Context, path: YamlPath, raw: object) -> tuple[str, ...] | None:
    """The labels ``spec.indicator.<kind>.grouping`` groups the SLO by (``()`` when it
    has none); None after an error, which it records."""
    if not isinstance(raw, Mapping):
        return ()
    for kind in KINDS:
        body = raw.get(kind)
        if isinstance(body, Mapping) and "grouping" in body:
            return fields.group_by(ctx, (*path, kind, "grouping"), body["grouping"])
    return ()


def _metric(ctx: Context, path: YamlPath, raw: object) -> Selector | None:
    """A ``{metric: <selector>}`` part."""
    if not isinstance(raw, Mapping) or "metric" not in raw:
        ctx.error(path, "expected {metric: <a PromQL selector>}")
        return None
    warn_unknown(ctx, raw, path, ("metric",), str(path[-1]))
    return fields.selector(ctx, (*path, "metric"), raw["metric"])


def _ratio(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> SLI | None:
    warn_unknown(ctx, body, path, ("errors", "success", "total", "grouping"), "ratio")
    parts = {
        k: _metric(ctx, (*path, k), body[k]) for k in ("errors", "success", "total") if k in body
    }
    if len(parts) != 2 or None in parts.values():
        if len(parts) != 2:
            ctx.error(
                path, "a ratio needs two of errors, success and total (usually errors, total)"
            )
        return None
    errors, success, total = parts.get("errors"), parts.get("success"), parts.get("total")
    if total is None:
        ctx.error(path, "errors with success (no total) is not supported", "add total")
        return None
    return RatioSLI(total=total, bad=errors) if errors else RatioSLI(total=total, good=success)


def _latency(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> SLI | None:
    warn_unknown(ctx, body, path, ("success", "total", "grouping"), "latency")
    success = _metric(ctx, (*path, "success"), body.get("success"))
    total = _metric(ctx, (*path, "total"), body.get("total"))
    if success is None or total is None:
        return None
    le = [m for m in success.matchers if m.label == "le" and m.op == "="]
    if not le:
        ctx.error(
            (*path, "success", "metric"),
            "latency success metric must contain a le label matcher",
            'write e.g. http_request_duration_seconds_bucket{le="0.5"}',
        )
        return None
    rest = tuple(m for m in success.matchers if m.label != "le")
    base = success.metric.removesuffix("_bucket")
    same = (
        success.metric.endswith("_bucket")
        and total.metric == base + "_count"
        and set(rest) == set(total.matchers)
    )
    try:
        threshold = float(le[0].value)
    except ValueError:
        same = False
    if not same:
        ctx.warn(
            path,
            "success and total select different series (not the _bucket and _count of one "
            "histogram); read as a ratio of the two selectors",
        )
        return RatioSLI(total=total, good=success)
    return LatencySLI(metric=Selector(base, total.matchers), threshold=threshold)


def _latency_native(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> SLI | None:
    warn_unknown(ctx, body, path, ("total", "latency", "grouping"), "latencyNative")
    total = _metric(ctx, (*path, "total"), body.get("total"))
    latency = body.get("latency")
    try:
        seconds = parse_threshold_seconds(str(latency))
    except ValueError as exc:
        ctx.error((*path, "latency"), f"latency: {exc}", "write a duration such as 250ms")
        return None
    if total is None:
        return None
    ctx.warn(
        path,
        "latencyNative (a native histogram) is read as PromQL: only a Prometheus source can "
        "answer it",
        at_key=True,
    )
    hist = f"sum(increase({total}[{{{{window}}}}]))"
    count = f"histogram_count({hist})"
    good = f"{count} * histogram_fraction(0, {seconds:g}, {hist})"
    return PromQLSLI(good=good, total=count)


def _bool_gauge(ctx: Context, path: YamlPath, body: Mapping[str, object]) -> SLI | None:
    warn_unknown(ctx, body, path, ("metric", "grouping"), "bool_gauge")
    selector = fields.selector(ctx, (*path, "metric"), body.get("metric"))
    if selector is None:
        return None
    ctx.warn(
        path,
        "bool_gauge counts gauge samples, not events: read as PromQL (Prometheus only); "
        "every sample weighs the same",
        at_key=True,
    )
    return PromQLSLI(
        good=f"sum(sum_over_time({selector}[{{{{window}}}}]))",
        total=f"sum(count_over_time({selector}[{{{{window}}}}]))",
    )
