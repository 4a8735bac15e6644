"""Which series of the embedded store's catalog each selector matches.

:func:`match_selectors` reads the catalog once (id, metric name, and the values of the
labels the selectors name, an absent label read as ``""`` as in Prometheus) and matches
every selector in numpy, so ten thousand selectors cost about what one does:

- a selector's candidates are the series of its metric name and, when it has an ``=``
  matcher, of that label value (a dictionary lookup, not a scan);
- ``=`` and ``!=`` compare strings exactly, as SQL ``=`` does;
- regular expressions are RE2 and fully anchored, as in Prometheus: DuckDB's
  ``regexp_full_match`` judges each distinct value of the label once, in one query for
  every pattern, and a pattern RE2 cannot compile is a
  :class:`~sloscope.errors.SourceError` even when no series has the label.
"""

from __future__ import annotations

from collections.abc import Sequence

import _duckdb as duckdb
import numpy as np
from numpy.typing import NDArray

from sloscope.errors import SourceError
from sloscope.spec.selectors import Matcher, Selector

#: (series id, ``le`` label) of one matched series.
Match = tuple[int, str]
_IntArray = NDArray[np.int64]


class _Columns:
    """The catalog rows of some metric names: ids, names and label values, as arrays."""

    @staticmethod
    def key(selectors: Sequence[Selector]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(metric names, label names) the columns of ``selectors`` are read for."""
        names = sorted({s.metric for s in selectors})
        labels = sorted({m.label for s in selectors for m in s.matchers} - {"__name__"} | {"le"})
        return tuple(names), tuple(labels)

    def __init__(self, con: duckdb.DuckDBPyConnection, selectors: Sequence[Selector]) -> None:
        names, labels = self.key(selectors)
        columns = ", ".join(f"coalesce(labels[?], '') AS l{i}" for i in range(len(labels)))
        rows = con.execute(
            f"SELECT id, name, {columns} FROM series "
            "WHERE name IN (SELECT unnest(?::VARCHAR[])) ORDER BY id",
            [*labels, list(names)],
        ).fetchnumpy()
        self.ids: _IntArray = np.asarray(rows["id"], dtype=np.int64)
        self.values: dict[str, NDArray[np.object_]] = {
            label: np.asarray(rows[f"l{i}"], dtype=object) for i, label in enumerate(labels)
        }
        self.values["__name__"] = np.asarray(rows["name"], dtype=object)
        self._index: dict[str, dict[str, _IntArray]] = {}

    def rows_with(self, label: str, value: str) -> _IntArray:
        """Rows whose ``label`` is ``value`` (an index built on first use per label)."""
        if label not in self._index:
            column = self.values[label]
            if not len(column):
                return np.empty(0, dtype=np.int64)
            order = np.argsort(column, kind="stable")
            keys, starts = np.unique(column[order], return_index=True)
            self._index[label] = {
                str(k): rows for k, rows in zip(keys, np.split(order, starts[1:]), strict=True)
            }
        return self._index[label].get(value, np.empty(0, dtype=np.int64))


#: Catalog columns already read, by (metric names, label names): see :func:`match_selectors`.
CatalogCache = dict[tuple[tuple[str, ...], tuple[str, ...]], _Columns]


def match_selectors(
    con: duckdb.DuckDBPyConnection,
    selectors: Sequence[Selector],
    cache: CatalogCache | None = None,
) -> dict[Selector, list[Match]]:
    """Series (id, ``le`` label) matched by each selector, ids ascending.

    ``cache`` keeps the catalog columns read for one set of metric and label names, for
    a caller that matches batch after batch of like selectors (a report of thousands of
    SLOs) over a store that cannot change meanwhile (open read-only: DuckDB lets no
    process write while it is).
    """
    if not selectors:
        return {}
    key = _Columns.key(selectors)
    catalog = cache.get(key) if cache is not None else None
    if catalog is None:
        catalog = _Columns(con, selectors)
        if cache is not None:
            cache[key] = catalog
    regex_hits = _regex_hits(con, catalog, selectors)
    found: dict[Selector, list[Match]] = {}
    le = catalog.values["le"]
    for selector in selectors:
        rows = _matching_rows(catalog, selector, regex_hits)
        found[selector] = [(int(catalog.ids[r]), str(le[r])) for r in rows]
    return found


#: Candidate rows up to this many are judged one by one in Python: a selector with an
#: ``=`` matcher usually has a few, where numpy's per-call cost is most of the work.
_FEW_ROWS = 32


def _matching_rows(
    catalog: _Columns, selector: Selector, regex_hits: dict[tuple[str, str], set[str]]
) -> list[int]:
    """The catalog rows ``selector`` matches, ascending."""
    rows, by_name = _candidates(catalog, selector)
    if len(rows) <= _FEW_ROWS:
        kept = rows.tolist()
        if not by_name:
            names = catalog.values["__name__"]
            kept = [r for r in kept if names[r] == selector.metric]
        for matcher in selector.matchers:
            column = catalog.values[matcher.label]
            kept = [r for r in kept if _holds_one(matcher, column[r], regex_hits)]
        return sorted(kept)
    if not by_name:
        rows = rows[np.asarray(catalog.values["__name__"][rows] == selector.metric)]
    for matcher in selector.matchers:
        if not len(rows):
            break
        rows = rows[_holds(matcher, catalog.values[matcher.label][rows], regex_hits)]
    listed: list[int] = np.sort(rows).tolist()
    return listed


def _holds_one(
    matcher: Matcher, value: object, regex_hits: dict[tuple[str, str], set[str]]
) -> bool:
    """Whether ``matcher`` holds for one row's value of its label (as :func:`_holds`)."""
    if matcher.op == "=":
        return bool(value == matcher.value)
    if matcher.op == "!=":
        return bool(value != matcher.value)
    hit = value in regex_hits[(matcher.label, matcher.value)]
    return hit if matcher.op == "=~" else not hit


def _candidates(catalog: _Columns, selector: Selector) -> tuple[_IntArray, bool]:
    """The rows of the selector's last ``=`` matcher (the most specific, as selectors
    are usually written) when it has one, else of its metric; and whether they are all
    of its metric already (else the caller keeps those)."""
    equal = [m for m in selector.matchers if m.op == "=" and m.label != "__name__"]
    if not equal:
        return catalog.rows_with("__name__", selector.metric), True
    return catalog.rows_with(equal[-1].label, equal[-1].value), False


def _holds(
    matcher: Matcher,
    values: NDArray[np.object_],
    regex_hits: dict[tuple[str, str], set[str]],
) -> NDArray[np.bool_]:
    """Whether ``matcher`` holds for each of ``values`` (its label's value per row)."""
    if matcher.op in ("=", "!="):
        same = np.asarray(values == matcher.value, dtype=bool)
        return same if matcher.op == "=" else ~same
    hits = regex_hits[(matcher.label, matcher.value)]
    matched = np.fromiter((v in hits for v in values), dtype=bool, count=len(values))
    return matched if matcher.op == "=~" else ~matched


def _regex_hits(
    con: duckdb.DuckDBPyConnection, catalog: _Columns, selectors: Sequence[Selector]
) -> dict[tuple[str, str], set[str]]:
    """For each (label, pattern) of the selectors' regex matchers, the values it matches.

    One query judges each distinct value of each label once per pattern; every pattern
    is compiled even for a label no series has, so a bad one is always an error.
    """
    regexes = list(
        dict.fromkeys(
            (m.label, m.value) for s in selectors for m in s.matchers if m.op in ("=~", "!~")
        )
    )
    if not regexes:
        return {}
    # sorted(set()) rather than np.unique: on an object array numpy's unique loads
    # numpy.ma (tens of milliseconds of a gate's start) to ask whether it is masked.
    distinct = {label: sorted(set(catalog.values[label].tolist())) for label, _ in regexes}
    keys: list[int] = []
    values: list[str] = []
    patterns: list[str] = []
    for index, (label, pattern) in enumerate(regexes):
        candidates = ["", *(str(v) for v in distinct[label])]
        keys += [index] * len(candidates)
        values += candidates
        patterns += [pattern] * len(candidates)
    try:
        rows = con.execute(
            "SELECT k, v FROM (SELECT unnest(?::INTEGER[]) AS k, unnest(?::VARCHAR[]) AS v, "
            "unnest(?::VARCHAR[]) AS p) WHERE regexp_full_match(v, p)",
            [keys, values, patterns],
        ).fetchall()
    except duckdb.InvalidInputException as exc:
        raise SourceError(
            f"a selector's regular expression is not valid RE2: {exc} (selectors: "
            + "; ".join(str(s) for s in selectors if any(m.op in ("=~", "!~") for m in s.matchers))
            + "); RE2 has no backreferences or lookarounds, as in Prometheus"
        ) from None
    hits: dict[tuple[str, str], set[str]] = {regex: set() for regex in regexes}
    for index, value in rows:
        hits[regexes[index]].add(str(value))
    return hits
