"""The native format's loader: which documents are native, and loading them.

Parsing is two steps. pydantic "document" models check the shape (types, required keys,
and no unknown keys: ``extra="forbid"``) and give editors a JSON Schema
(:mod:`~sloscope.spec.native.documents`, with pydantic's errors turned into problems by
:mod:`~sloscope.spec.native.problems`). The converter then checks what the shape cannot
say (objective ranges, durations, selectors, journeys, duplicates) and builds the plain
model of :mod:`sloscope.spec.model` (:mod:`~sloscope.spec.native.convert`). Both steps
report problems at the YAML line and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import ValidationError

from sloscope.spec.fields import Context
from sloscope.spec.formats import FormatResult, LoadedService, load_each
from sloscope.spec.model import Journey
from sloscope.spec.native.convert import NativeConverter
from sloscope.spec.native.documents import (
    JourneyDoc,
    MetadataDoc,
    ServiceDoc,
    ServiceSpecDoc,
    SLODoc,
)
from sloscope.spec.native.problems import report_validation_error
from sloscope.spec.yamlpos import Document

API_VERSION: Final = "sloscope/v1"


class NativeFormat:
    """``apiVersion: sloscope/v1``, ``kind: Service``: a :class:`~sloscope.spec.formats.SpecFormat`.

    >>> NativeFormat().is_mine({"apiVersion": "sloscope/v1", "kind": "Service"})
    True
    """

    api_kinds: Mapping[str, tuple[str, ...]] = {API_VERSION: ("Service",)}

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document is a native sloscope spec."""
        return (
            data.get("apiVersion") == API_VERSION
            and data.get("kind") in self.api_kinds[API_VERSION]
        )

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """Load native documents into services; never raises for a problem in a spec."""
        return load_each(documents, _load_document)


def _load_document(ctx: Context) -> LoadedService | None:
    try:
        parsed = ServiceDoc.model_validate(ctx.doc.data)
    except ValidationError as exc:
        report_validation_error(ctx, exc, ServiceDoc)
        _check_valid_parts(ctx, exc)
        return None
    return NativeConverter(ctx, parsed).service()


def _check_valid_parts(ctx: Context, exc: ValidationError) -> None:
    """After shape errors, still check the SLOs whose shape is fine, so one run reports all."""
    slos = ctx.doc.get(("spec", "slos"))
    bad = _bad_slos(exc)
    if bad is None or not isinstance(slos, list):
        return
    converter, known = _partial_converter(ctx, exc)
    for index, raw in enumerate(slos):
        if index not in bad:
            converter.slo(("spec", "slos", index), SLODoc.model_validate(raw), known)


def _bad_slos(exc: ValidationError) -> set[int | str] | None:
    """The indexes of the SLOs with shape errors; None when ``spec.slos`` itself is wrong."""
    bad: set[int | str] = set()
    for err in exc.errors():
        loc = err["loc"]
        if loc[:2] != ("spec", "slos"):
            continue
        if len(loc) <= 2:
            return None
        bad.add(loc[2])
    return bad


def _partial_converter(
    ctx: Context, exc: ValidationError
) -> tuple[NativeConverter, tuple[Journey, ...] | None]:
    """A converter for the service's valid parts, and its journeys (None when invalid)."""
    journeys: list[JourneyDoc] = []
    raw_journeys = ctx.doc.get(("spec", "journeys")) or []
    journeys_ok = not any(err["loc"][:2] == ("spec", "journeys") for err in exc.errors())
    if journeys_ok and isinstance(raw_journeys, list):
        journeys = [JourneyDoc.model_validate(j) for j in raw_journeys]
    partial = ServiceDoc.model_construct(
        apiVersion=API_VERSION,
        kind="Service",
        metadata=MetadataDoc.model_construct(name=str(ctx.doc.get(("metadata", "name")))),
        spec=ServiceSpecDoc.model_construct(journeys=journeys, slos=[]),
    )
    converter = NativeConverter(ctx, partial)
    known = converter.journeys() if journeys or not raw_journeys else None
    return converter, known
