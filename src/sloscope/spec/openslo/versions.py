"""OpenSLO ``v1alpha`` and ``openslo.com/v2alpha`` documents, read as ``openslo/v1``.

Both older and newer files are common in the wild (Sloth's OpenSLO examples are v1alpha;
the OpenSLO repository's newest examples are v2alpha). Where a document maps onto v1 it
is rewritten into v1's shape before the v1 loader reads it, with the position of every
value kept, so problems still name the line the author wrote. What is approximated is
a warning:

- v1alpha: ``timeWindows`` (``unit`` + ``count``) becomes ``timeWindow`` (``duration``);
  ``indicator.thresholdMetric`` and each objective's ``ratioMetrics`` (flat
  ``{source, queryType, query}``) become an inline v1 SLI; an SLO with several ratio
  objectives becomes one SLO per objective, named ``<name>-<index>`` as Sloth names
  them; Timeslices without a slice length take 1m.
- v2alpha: ``sli``/``sliRef`` become ``indicator``/``indicatorRef``; a metric's
  ``dataSourceRef`` + ``spec`` become ``metricSource``; an inline ``dataSourceSpec``
  gives the source type; ``BudgetAdjustment`` is not imported.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

from sloscope.errors import Problem
from sloscope.spec.openslo.keys import KINDS as V1_KINDS
from sloscope.spec.yamlpos import Document, YamlPath

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"
V2ALPHA = "openslo.com/v2alpha"
#: The kinds each older or newer version has that sloscope reads.
KINDS: Mapping[str, tuple[str, ...]] = {
    V1ALPHA: ("SLO", "Service"),
    V2ALPHA: (*V1_KINDS, "BudgetAdjustment"),
}
_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}
_UNITS.update({"month": "M", "quarter": "Q", "year": "Y"})
_METRIC_PARTS = ("good", "bad", "total", "raw")


@dataclass
class _Rewrite:
    """A copy of one document being rewritten, and where each moved value came from."""

    doc: Document
    data: dict[str, object]
    moves: list[tuple[YamlPath, YamlPath]] = field(default_factory=list)
    notes: list[tuple[YamlPath, str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, doc: Document) -> _Rewrite:
        """A rewrite of ``doc`` (its data copied; ``doc`` is left as it was)."""
        assert isinstance(doc.data, dict)
        return cls(doc, copy.deepcopy(doc.data))

    def get(self, path: YamlPath) -> object:
        """The value at ``path`` of the rewritten data (None when absent)."""
        node: object = self.data
        for part in path:
            found = (isinstance(node, Mapping) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            )
            if not found:
                return None
            node = node[part]  # type: ignore[index]
        return node

    def put(self, path: YamlPath, value: object) -> None:
        """Set ``path`` (its parent mappings made as needed)."""
        node = self.data
        for part in path[:-1]:
            child = node.get(str(part))
            if not isinstance(child, dict):
                child = {}
                node[str(part)] = child
            node = child
        node[str(path[-1])] = value

    def move(self, old: YamlPath, new: YamlPath) -> None:
        """Move the value at ``old`` (a mapping key) to ``new``; positions follow it."""
        parent = self.get(old[:-1])
        if not isinstance(parent, dict) or old[-1] not in parent:
            return
        self.put(new, parent.pop(str(old[-1])))
        self.moves.append((old, new))

    def warn(self, path: YamlPath, message: str, hint: str = "") -> None:
        """A warning at ``path`` (a path of the rewritten document)."""
        self.notes.append((path, message, hint))

    def document(self) -> tuple[Document, list[Problem]]:
        """The rewritten document, positions re-keyed, and its warnings."""
        out = Document(self.doc.file, self.doc.index, self.data, self.doc.start)
        out.values = {self._moved(k): v for k, v in self.doc.values.items()}
        out.keys = {self._moved(k): v for k, v in self.doc.keys.items()}
        out.scalars = {self._moved(k): v for k, v in self.doc.scalars.items()}
        problems = []
        for path, message, hint in self.notes:
            pos = out.pos(path)
            problems.append(Problem(out.file, pos.line, pos.column, message, hint, "warning"))
        return out, problems

    def _moved(self, path: YamlPath) -> YamlPath:
        for old, new in self.moves:
            if path[: len(old)] == old:
                path = (*new, *path[len(old) :])
        return path


def as_v1(doc: Document) -> tuple[list[Document], list[Problem]]:
    """An OpenSLO document of any version sloscope reads, as v1 documents (a v1alpha SLO
    with several ratio objectives gives one per objective), and the warnings of the
    rewrite."""
    data = doc.data
    assert isinstance(data, Mapping)
    api = data.get("apiVersion")
    if api == V1ALPHA:
        return _v1alpha(doc)
    if api == V2ALPHA:
        return _v2alpha(doc)
    return [doc], []


# --- v1alpha ------------------------------------------------------------------------------


def _v1alpha(doc: Document) -> tuple[list[Document], list[Problem]]:
    data = doc.data
    assert isinstance(data, Mapping)
    if data.get("kind") != "SLO":
        rewrite = _Rewrite.of(doc)
        rewrite.data["apiVersion"] = V1
        out, problems = rewrite.document()
        return [out], problems
    objectives = data.get("spec", {})
    objectives = objectives.get("objectives") if isinstance(objectives, Mapping) else None
    ratio = [
        index
        for index, item in enumerate(objectives if isinstance(objectives, list) else [])
        if isinstance(item, Mapping) and "ratioMetrics" in item
    ]
    if len(ratio) <= 1:
        return _collect([_v1alpha_slo(doc, ratio[0] if ratio else None, None)])
    names = [f"{_name(data)}-{index}" for index in ratio]
    rewrites = [_v1alpha_slo(doc, index, name) for index, name in zip(ratio, names, strict=True)]
    rewrites[0].warn(
        ("spec", "objectives"),
        f"SLO {_name(data)!r} has {len(ratio)} objectives with ratioMetrics; imported as "
        f"{len(ratio)} SLOs named as Sloth names them: {', '.join(names)}",
    )
    return _collect(rewrites)


def _collect(rewrites: list[_Rewrite]) -> tuple[list[Document], list[Problem]]:
    docs: list[Document] = []
    problems: list[Problem] = []
    for rewrite in rewrites:
        out, found = rewrite.document()
        docs.append(out)
        problems.extend(found)
    return docs, problems


def _name(data: Mapping[str, object]) -> str:
    meta = data.get("metadata")
    return str(meta.get("name")) if isinstance(meta, Mapping) else "slo"


def _v1alpha_slo(doc: Document, ratio_index: int | None, name: str | None) -> _Rewrite:
    """One v1 SLO from a v1alpha SLO: all of it, or (``ratio_index``) one ratio objective."""
    rewrite = _Rewrite.of(doc)
    rewrite.data["apiVersion"] = V1
    spec = rewrite.data.get("spec")
    if isinstance(spec, dict):
        # v1alpha does not require a budgeting method (Sloth's examples write none).
        spec.setdefault("budgetingMethod", "Occurrences")
    if name is not None:
        rewrite.put(("metadata", "name"), name)
    _v1alpha_windows(rewrite)
    _v1alpha_threshold(rewrite)
    if ratio_index is not None:
        objectives = rewrite.get(("spec", "objectives"))
        assert isinstance(objectives, list)
        if ratio_index:
            # Positions follow the objective to index 0 (later entries win the re-keying).
            rewrite.moves.append((("spec", "objectives", ratio_index), ("spec", "objectives", 0)))
        rewrite.put(("spec", "objectives"), [objectives[ratio_index]])
        _v1alpha_ratio(rewrite, _name(rewrite.data))
    _v1alpha_slices(rewrite)
    return rewrite


def _v1alpha_windows(rewrite: _Rewrite) -> None:
    """``timeWindows: [{unit, count}]`` → ``timeWindow: [{duration}]``."""
    rewrite.move(("spec", "timeWindows"), ("spec", "timeWindow"))
    windows = rewrite.get(("spec", "timeWindow"))
    for index, item in enumerate(windows if isinstance(windows, list) else []):
        if not isinstance(item, dict) or "duration" in item:
            continue
        unit, count = item.pop("unit", None), item.pop("count", None)
        letter = _UNITS.get(str(unit).lower())
        if letter is None or not isinstance(count, int):
            rewrite.warn(
                ("spec", "timeWindow", index),
                f"v1alpha time window unit {unit!r} count {count!r} cannot be read",
                "write unit: Day|Week|Month|Quarter and count: a whole number",
            )
            continue
        item["duration"] = f"{count}{letter}"


def _flat_metric(rewrite: _Rewrite, path: YamlPath) -> None:
    """A v1alpha metric ``{source, queryType, query}`` → v1 ``{metricSource: {type, spec}}``."""
    metric = rewrite.get(path)
    if not isinstance(metric, dict) or "metricSource" in metric:
        return
    metric.pop("queryType", None)
    rewrite.move((*path, "source"), (*path, "metricSource", "type"))
    rewrite.move((*path, "query"), (*path, "metricSource", "spec", "query"))


def _v1alpha_threshold(rewrite: _Rewrite) -> None:
    """``spec.indicator.thresholdMetric`` (flat) → an inline v1 SLI."""
    if rewrite.get(("spec", "indicator", "thresholdMetric")) is None:
        return
    rewrite.move(
        ("spec", "indicator", "thresholdMetric"),
        ("spec", "indicator", "spec", "thresholdMetric"),
    )
    rewrite.put(("spec", "indicator", "metadata"), {"name": _name(rewrite.data)})
    _flat_metric(rewrite, ("spec", "indicator", "spec", "thresholdMetric"))
    rewrite.warn(
        ("spec", "indicator"),
        "openslo/v1alpha thresholdMetric read as a v1 thresholdMetric: a latency SLI when "
        "the query is a histogram's _bucket selector with op lte/lt, else a breach share",
    )


def _v1alpha_ratio(rewrite: _Rewrite, name: str) -> None:
    """The one objective's ``ratioMetrics`` → an inline v1 SLI with a ``ratioMetric``."""
    source = ("spec", "objectives", 0, "ratioMetrics")
    target = ("spec", "indicator", "spec", "ratioMetric")
    rewrite.move(source, target)
    rewrite.put(("spec", "indicator", "metadata"), {"name": name})
    objective = rewrite.get(("spec", "objectives", 0))
    if isinstance(objective, dict):
        objective.pop("value", None)  # go-sdk requires it; a ratio has no use for it
    ratio = rewrite.get(target)
    if not isinstance(ratio, dict):
        return
    counter = ratio.pop("incremental", ratio.pop("counter", True))
    ratio["counter"] = True
    if counter is False:
        rewrite.warn(
            target,
            "incremental: false (gauges) is read as counters: sloscope counts events",
        )
    for part in ("good", "bad", "total"):
        _flat_metric(rewrite, (*target, part))


def _v1alpha_slices(rewrite: _Rewrite) -> None:
    """Timeslices without a slice length: v1alpha has no timeSliceWindow; 1m assumed."""
    if rewrite.get(("spec", "budgetingMethod")) != "Timeslices":
        return
    objectives = rewrite.get(("spec", "objectives"))
    for index, item in enumerate(objectives if isinstance(objectives, list) else []):
        if isinstance(item, dict) and "timeSliceWindow" not in item:
            item["timeSliceWindow"] = "1m"
            rewrite.warn(
                ("spec", "objectives", index),
                "openslo/v1alpha has no timeSliceWindow; slices of 1m assumed",
            )


# --- v2alpha ------------------------------------------------------------------------------


def _v2alpha(doc: Document) -> tuple[list[Document], list[Problem]]:
    data = doc.data
    assert isinstance(data, Mapping)
    kind = data.get("kind")
    if kind == "BudgetAdjustment":
        pos = doc.pos(("kind",))
        note = Problem(
            doc.file,
            pos.line,
            pos.column,
            "OpenSLO BudgetAdjustment is not imported",
            "write the adjustment as a sloscope budget adjustment (sloscope.yaml)",
            "warning",
        )
        return [], [note]
    rewrite = _Rewrite.of(doc)
    rewrite.data["apiVersion"] = V1
    if kind == "SLO":
        _v2alpha_slo(rewrite)
    elif kind == "SLI":
        _v2alpha_sli(rewrite, ("spec",))
    out, problems = rewrite.document()
    return [out], problems


def _v2alpha_slo(rewrite: _Rewrite) -> None:
    rewrite.move(("spec", "sli"), ("spec", "indicator"))
    rewrite.move(("spec", "sliRef"), ("spec", "indicatorRef"))
    _v2alpha_sli(rewrite, ("spec", "indicator", "spec"))
    objectives = rewrite.get(("spec", "objectives"))
    for index, item in enumerate(objectives if isinstance(objectives, list) else []):
        path = ("spec", "objectives", index)
        if not isinstance(item, dict):
            continue
        rewrite.move((*path, "sli"), (*path, "indicator"))
        rewrite.move((*path, "sliRef"), (*path, "indicatorRef"))
        if "labels" in item:
            item.pop("labels")
            rewrite.warn(path, "objective labels (v2alpha) are not imported")


def _v2alpha_sli(rewrite: _Rewrite, spec: YamlPath) -> None:
    """Each metric of an SLI spec: ``{dataSourceRef|dataSourceSpec, spec}`` → metricSource."""
    for path in [(*spec, "thresholdMetric")] + [
        (*spec, "ratioMetric", part) for part in _METRIC_PARTS
    ]:
        metric = rewrite.get(path)
        if not isinstance(metric, dict) or "metricSource" in metric:
            continue
        rewrite.move((*path, "spec"), (*path, "metricSource", "spec"))
        rewrite.move((*path, "dataSourceRef"), (*path, "metricSource", "metricSourceRef"))
        inline = metric.pop("dataSourceSpec", None)
        if isinstance(inline, Mapping) and "type" in inline:
            rewrite.put((*path, "metricSource", "type"), inline["type"])
