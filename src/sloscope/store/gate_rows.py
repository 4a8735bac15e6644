"""Gate decisions, overrides and held budget steps as the store keeps them, without
SQLAlchemy: the records the repositories return, made from a row's columns, and what
storing an SLO's held steps changes.

Both the repositories of :mod:`sloscope.store.gates` (SQLAlchemy, every database) and the
gate's stdlib SQLite transaction (:mod:`sloscope.store.plain_gates`) build their answers
here, so the two cannot disagree on what a row means.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple


class GateRecord(NamedTuple):
    """One recorded gate decision."""

    id: int
    request_id: str
    service: str
    journey: str | None
    version: str | None
    asked_by: str
    at: int
    decision: str
    reasons: tuple[str, ...]
    figures: tuple[dict[str, Any], ...]
    exception_kind: str | None
    exception_reason: str | None
    override_id: int | None
    deployment_id: int | None
    created_at: int


class StoredOverride(NamedTuple):
    """A stored override, active in ``[since, until)``."""

    id: int
    service: str
    journey: str | None
    by: str
    reason: str
    since: int
    until: int
    created_at: int


def record_from(row: Mapping[Any, Any]) -> GateRecord:
    """A decision from its columns (a row's mapping, or what was just written)."""
    values = {name: row[name] for name in GateRecord._fields}
    values["reasons"] = tuple(str(r) for r in row["reasons"])
    values["figures"] = tuple(dict(f) for f in row["figures"])
    return GateRecord(**values)


def written_record(values: Mapping[str, Any], record_id: int) -> GateRecord:
    """The decision just inserted from ``values`` as ``record_id``: what was written, its
    JSON columns as the database gives them back."""
    # The server records every gate call: reading the whole row back and decoding its
    # JSON cost more than the insert.
    stored = {"override_id": None, "deployment_id": None, **values, "id": record_id}
    for column in ("reasons", "figures"):
        stored[column] = json.loads(json.dumps(stored[column]))
    return record_from(stored)


def override_from(row: Mapping[Any, Any]) -> StoredOverride:
    """An override from its row's columns."""
    return StoredOverride(*(row[name] for name in StoredOverride._fields))


def step_changes(
    rows: Iterable[Mapping[Any, Any]], held: Mapping[str, frozenset[int]], at: int
) -> tuple[dict[str, frozenset[int]], list[dict[str, Any]]]:
    """(the steps each SLO held before, the updates to store) for the stored step rows
    (``slo_id``, ``steps``, ``evaluated_at``) of the SLOs of ``held``, now at ``at``.

    An evaluation older than an SLO's stored one changes nothing for it and reports
    ``held`` back (nothing crossed); an update is a mapping of the parameters of the
    update statement (``key``, ``new_steps``, ``new_at``), only for rows that change.
    """
    before: dict[str, frozenset[int]] = {}
    changes: list[dict[str, Any]] = []
    for row in rows:
        slo_id = row["slo_id"]
        steps = held[slo_id]
        if at < row["evaluated_at"]:
            before[slo_id] = steps
            continue
        before[slo_id] = frozenset(int(s) for s in row["steps"])
        if sorted(steps) != list(row["steps"]) or at != row["evaluated_at"]:
            changes.append({"key": slo_id, "new_steps": sorted(steps), "new_at": at})
    return before, changes
