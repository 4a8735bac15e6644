"""OpenSLO queries → sloscope SLIs: selectors, counts over the window, thresholds, raw ratios.

OpenSLO leaves the query language to the metric source; sloscope reads PromQL. A query
that is a plain series selector becomes a ratio SLI on selectors (any source can answer
it). Anything else becomes a PromQL SLI:

- ``{{window}}`` (or Sloth's ``{{.window}}``) is kept, with ``rate(x[{{window}}])`` read
  as ``increase(x[{{window}}])``;
- ``rate(x[5m])`` becomes ``increase(x[{{window}}])`` and ``sum(x)`` becomes
  ``sum(increase(x[{{window}}]))``; other queries are refused, since sloscope cannot tell
  how they count events over a window.

A ``thresholdMetric`` on a histogram bucket selector with ``op: lte|lt`` becomes a latency
SLI; any other threshold metric becomes the share of time the threshold is breached. A
``raw`` ratio becomes an error ratio averaged over the window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.model import LatencySLI, PromQLSLI, RatioSLI, SliceIndicator
from sloscope.spec.openslo.objects import ObjectKey, object_key
from sloscope.spec.selectors import Selector, SelectorSyntaxError, parse_selector
from sloscope.spec.yamlpos import YamlPath

#: ``{{window}}`` and Sloth's ``{{.window}}``, with any spaces inside the braces.
WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.?window\s*\}\}")
_SELECTOR = r"[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:\{[^{}]*\})?"
_RANGE_FN = re.compile(r"\b(?:rate|irate|increase)\s*\(\s*(" + _SELECTOR + r")\s*\[[^\]]+\]\s*\)")
_SUM_OF_SELECTOR = re.compile(
    r"^\s*sum\s*(?P<pre>(?:by|without)\s*\([^)]*\)\s*)?\(\s*(?P<sel>"
    + _SELECTOR
    + r")\s*\)\s*(?P<post>(?:by|without)\s*\([^)]*\))?\s*$"
)
#: The condition under which a thresholdMetric objective is breached, by its op.
_BREACH = {"lte": ">", "lt": ">=", "gte": "<", "gt": "<="}


@dataclass(frozen=True)
class Query:
    """One query of an SLI, read from its metric source, and where it was written."""

    ctx: Context
    path: YamlPath
    text: str


#: A converted query: (selector, None) or (None, PromQL counting events over {{window}}).
Converted = tuple[Selector | None, str | None]


class QueryConverter:
    """Converts queries into SLIs, each query once however many SLOs use it.

    A query's warnings are recorded on its first conversion only, so an SLI shared by
    several SLOs (or objectives) does not repeat them.
    """

    def __init__(self) -> None:
        self._converted: dict[ObjectKey, Converted | None] = {}

    def convert(self, query: Query) -> Converted | None:
        """A query as a selector, or as PromQL counting events over {{window}}."""
        key = object_key(query.ctx, query.path)
        if key not in self._converted:
            self._converted[key] = _convert(query)
        return self._converted[key]

    def as_promql(self, query: Query) -> str | None:
        """A query as PromQL counting events over {{window}} (selectors wrapped in increase)."""
        converted = self.convert(query)
        if converted is None:
            return None
        sel, promql = converted
        return promql if promql is not None else f"sum(increase({sel}[{{{{window}}}}]))"

    def ratio(self, parts: Mapping[str, Query]) -> SliceIndicator | None:
        """A ratio SLI from ``good`` or ``bad`` and ``total`` queries.

        Selectors alone give a :class:`RatioSLI`; as soon as one part is PromQL, every
        part is written as PromQL so good and total are counted the same way.
        """
        converted = {k: self.convert(q) for k, q in parts.items()}  # every part's problems
        selectors: dict[str, Selector] = {}
        for key, found in converted.items():
            if found is None:
                return None
            if found[0] is not None:
                selectors[key] = found[0]
        if len(selectors) == len(parts):
            return RatioSLI(
                total=selectors["total"], good=selectors.get("good"), bad=selectors.get("bad")
            )
        # Every part converted, so each has a PromQL form.
        exprs = {k: self.as_promql(q) for k, q in parts.items()}
        return PromQLSLI(good=exprs.get("good"), bad=exprs.get("bad"), total=exprs.get("total"))

    def raw_ratio(self, query: Query, raw_type: str) -> PromQLSLI | None:
        """A ``raw`` ratio query (``rawType`` success or failure) as a PromQL error ratio."""
        converted = self.convert(query)
        if converted is None:
            return None
        sel, promql = converted
        if promql is not None and "{{window}}" in query.text.replace("{{.window}}", "{{window}}"):
            ratio = promql
        elif sel is not None:
            ratio = f"avg_over_time({sel}[{{{{window}}}}])"
        else:
            ratio = f"avg_over_time(({query.text.strip()})[{{{{window}}}}:])"
        if raw_type == "success":
            ratio = f"1 - ({ratio})"
        query.ctx.warn(
            query.path,
            f"raw ratio imported as the PromQL error ratio {ratio!r} (only a Prometheus "
            "source can answer it)",
        )
        return PromQLSLI(error_ratio=ratio)


def _convert(query: Query) -> Converted | None:
    ctx, text = query.ctx, query.text.strip()
    # A selector first: "{{window}}" inside a label value is text, not a template.
    try:
        return parse_selector(text), None
    except SelectorSyntaxError:
        pass
    templated = fields.rate_to_increase(WINDOW_TEMPLATE.sub("{{window}}", text))
    if "{{window}}" in templated:
        ctx.warn(
            query.path,
            "query is raw PromQL; imported as a PromQL SLI (only a Prometheus source "
            "can answer it)",
        )
        return None, templated
    rewritten, count = _RANGE_FN.subn(
        lambda m: f"increase({m.group(1).strip()}[{{{{window}}}}])", text
    )
    if count == 0:
        match = _SUM_OF_SELECTOR.match(text)
        if match:
            pre = match.group("pre") or ""
            post = match.group("post") or ""
            sel = match.group("sel").strip()
            rewritten = f"sum {pre}(increase({sel}[{{{{window}}}}])){' ' + post if post else ''}"
            rewritten = rewritten.replace("sum (", "sum(")
            count = 1
    if count:
        ctx.warn(
            query.path,
            f"query imported as the PromQL SLI {rewritten!r} (only a Prometheus source "
            "can answer it)",
            "check that it counts events over the window; write {{window}} yourself to choose",
        )
        return None, rewritten
    ctx.error(
        query.path,
        f"cannot tell how to count events over a window from the query {text!r}",
        'write a plain selector such as http_requests_total{code!~"5.."}, or PromQL with '
        "{{window}} such as sum(increase(http_requests_total[{{window}}]))",
    )
    return None


def threshold_sli(
    ctx: Context, path: YamlPath, data: Mapping[str, object], query: Query
) -> SliceIndicator | None:
    """A ``thresholdMetric`` with the ``op`` and ``value`` of the objective at ``path``.

    A histogram's ``_bucket`` series with ``lte``/``lt`` is a latency SLI (the value is the
    threshold in seconds); anything else is the share of time the threshold is breached.
    """
    checked = _op_and_value(ctx, path, data)
    if checked is None:
        return None
    op, value = checked
    text = WINDOW_TEMPLATE.sub("{{window}}", query.text.strip())
    try:
        sel = parse_selector(text)
    except SelectorSyntaxError:
        sel = None
    if sel is not None and sel.metric.endswith("_bucket") and op in ("lte", "lt"):
        return _latency_sli(query, text, sel, value)
    ratio = f"avg_over_time((({text}) {_BREACH[op]} bool {value})[{{{{window}}}}:])"
    ctx.warn(
        query.path,
        f"threshold metric imported as the PromQL error ratio {ratio!r}: the share of time "
        "the threshold is breached (only a Prometheus source can answer it)",
    )
    return PromQLSLI(error_ratio=ratio)


def _op_and_value(
    ctx: Context, path: YamlPath, data: Mapping[str, object]
) -> tuple[str, int | float] | None:
    """The objective's ``op`` and numeric ``value``; None after an error."""
    op, value = data.get("op"), data.get("value")
    if op not in ("lte", "lt", "gte", "gt"):  # a tuple: op may be unhashable
        ctx.error(
            (*path, "op") if "op" in data else path,
            f"a thresholdMetric objective needs op: lte, lt, gte or gt (got {op!r})",
        )
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        ctx.error(
            (*path, "value") if "value" in data else path,
            "a thresholdMetric objective needs a numeric value",
        )
        return None
    return str(op), value


def _latency_sli(query: Query, text: str, sel: Selector, value: int | float) -> LatencySLI | None:
    """A histogram bucket selector as a latency SLI at ``value`` seconds.

    An ``le`` matcher in the selector must say the same threshold as the objective.
    """
    les = [m for m in sel.matchers if m.label == "le"]
    if les and (les[0].op != "=" or _float(les[0].value) != float(value)):
        query.ctx.error(
            query.path,
            f"the le matcher of {text!r} disagrees with the objective value {value}",
            "drop the le matcher; the objective's value is the latency threshold",
        )
        return None
    metric = Selector(
        sel.metric.removesuffix("_bucket"),
        tuple(m for m in sel.matchers if m.label != "le"),
    )
    query.ctx.warn(
        query.path,
        f"histogram threshold imported as a latency SLI: requests of {metric.metric} "
        f"within {value}",
    )
    return LatencySLI(metric=metric, threshold=float(value))


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
