"""The native spec format: ``apiVersion: sloscope/v1``, ``kind: Service``.

Parsing is two steps. pydantic "document" models check the shape (types, required keys,
and no unknown keys: ``extra="forbid"``) and give editors a JSON Schema
(:func:`native_json_schema`). The converter then checks what the shape cannot say
(objective ranges, durations, selectors, journeys, duplicates) and builds the plain model
of :mod:`sloscope.spec.model`. Both steps report problems at the YAML line and column.

This module is the format's interface to :mod:`sloscope.spec.load` (:func:`is_mine`,
:func:`load`). The parts live beside it: the document models and the schema in
:mod:`~sloscope.spec.native_documents`, pydantic errors as problems in
:mod:`~sloscope.spec.native_problems`, the converter in :mod:`~sloscope.spec.native_convert`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import ValidationError

from sloscope.spec.fields import Context, FormatResult, LoadedService, load_each
from sloscope.spec.model import Journey
from sloscope.spec.native_convert import NativeConverter
from sloscope.spec.native_documents import (
    AlertingDoc,
    CalendarDoc,
    JourneyDoc,
    LatencyDoc,
    MetadataDoc,
    PromQLDoc,
    RatioDoc,
    ServiceDoc,
    ServiceSpecDoc,
    SLIDoc,
    SLODoc,
    TimeslicesDoc,
    native_json_schema,
)
from sloscope.spec.native_problems import report_validation_error
from sloscope.spec.yamlpos import Document

__all__ = [
    "API_KINDS",
    "API_VERSION",
    "AlertingDoc",
    "CalendarDoc",
    "JourneyDoc",
    "LatencyDoc",
    "MetadataDoc",
    "PromQLDoc",
    "RatioDoc",
    "SLIDoc",
    "SLODoc",
    "ServiceDoc",
    "ServiceSpecDoc",
    "TimeslicesDoc",
    "is_mine",
    "load",
    "native_json_schema",
    "report_validation_error",
]

API_VERSION: Final = "sloscope/v1"
#: apiVersion → the kinds this module loads.
API_KINDS: Mapping[str, tuple[str, ...]] = {API_VERSION: ("Service",)}


def is_mine(data: Mapping[str, object]) -> bool:
    """Whether a document is a native sloscope spec."""
    return data.get("apiVersion") == API_VERSION and data.get("kind") in API_KINDS[API_VERSION]


def load(documents: Sequence[Document]) -> FormatResult:
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
    bad = {err["loc"][2] for err in exc.errors() if err["loc"][:2] == ("spec", "slos")}
    if any(len(err["loc"]) <= 2 and err["loc"][:2] == ("spec", "slos") for err in exc.errors()):
        return
    slos = ctx.doc.get(("spec", "slos"))
    if not isinstance(slos, list):
        return
    name = ctx.doc.get(("metadata", "name"))
    known: tuple[Journey, ...] | None = None
    journeys: list[JourneyDoc] = []
    raw_journeys = ctx.doc.get(("spec", "journeys")) or []
    journeys_ok = not any(err["loc"][:2] == ("spec", "journeys") for err in exc.errors())
    if journeys_ok and isinstance(raw_journeys, list):
        journeys = [JourneyDoc.model_validate(j) for j in raw_journeys]
    partial = ServiceDoc.model_construct(
        apiVersion=API_VERSION,
        kind="Service",
        metadata=MetadataDoc.model_construct(name=str(name)),
        spec=ServiceSpecDoc.model_construct(journeys=journeys, slos=[]),
    )
    converter = NativeConverter(ctx, partial)
    if journeys or not raw_journeys:
        known = converter.journeys()
    for index, raw in enumerate(slos):
        if index in bad:
            continue
        converter.slo(("spec", "slos", index), SLODoc.model_validate(raw), known)
