"""Indented JSON text, written faster than :func:`json.dumps` writes it.

The one writer of sloscope's indented JSON documents (``report --json``, ``gate --json``
and what the API answers with them), so each stays the same text everywhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from json.encoder import encode_basestring_ascii


def dumps_indented(doc: object) -> str:
    """``json.dumps(doc, indent=2)``, the same text, in about a quarter less time.

    Python's encoder writes indented JSON in Python, one generator per value (1,000
    SLOs: 96-105 ms here, this 66-87 ms, and 19-26 ms since a mapping's scalar items are
    written with their keys as one part); this joins the parts directly, each scalar
    written as that encoder writes it (the C string escaper, ``repr`` of numbers).
    Anything but str keys, JSON scalars, lists, tuples and dicts goes to
    :func:`json.dumps` whole.
    """
    parts: list[str] = []
    try:
        _write(doc, "\n", parts)
    except _UnusualValueError:
        return json.dumps(doc, indent=2)
    return "".join(parts)


class _UnusualValueError(Exception):
    """A value :func:`dumps_indented` leaves to :func:`json.dumps`."""


def _write(value: object, newline: str, parts: list[str]) -> None:
    """Append the JSON of ``value`` at the indentation that ``newline`` ends with."""
    if isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        parts.append("{")
        separator = inner
        for key, item in value.items():
            if not isinstance(key, str):
                raise _UnusualValueError
            # Most items are plain scalars: written here, key and all, in one part.
            kind = item.__class__
            plain = _PLAIN.get(kind)
            if plain is not None and (kind is not float or math.isfinite(item)):
                parts.append(f"{separator}{encode_basestring_ascii(key)}: {plain(item)}")
            else:
                parts.append(f"{separator}{encode_basestring_ascii(key)}: ")
                _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        parts.append("[")
        separator = inner
        for item in value:
            parts.append(separator)
            _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    else:
        parts.append(_scalar(value))


#: How :func:`_scalar` writes a value of exactly these types (a float only when finite).
_PLAIN: dict[type, Callable[..., str]] = {
    str: encode_basestring_ascii,
    float: float.__repr__,
    int: int.__repr__,
    type(None): lambda _: "null",
    bool: lambda flag: "true" if flag else "false",
}


def _scalar(value: object) -> str:
    """One JSON scalar as :func:`json.dumps` writes it."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        return float.__repr__(value)
    raise _UnusualValueError
