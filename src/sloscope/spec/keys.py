"""Unknown keys: the one check every spec format runs, with a "did you mean" hint.

Nothing in a spec is ignored in silence: a key a format does not know is a warning at
the key (``validate --strict`` fails on it), and a key close to a known one
(``descripton``, ``budgetingMetod``) names the key it was probably meant to be.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping

from sloscope.spec.fields import Context
from sloscope.spec.yamlpos import YamlPath

#: A key schema: each known key, and the schema of its value (None: not checked below).
#: A list value is checked item by item against the schema of its one element.
Schema = Mapping[str, "Schema | list[Schema] | None"]


def did_you_mean(key: str, known: Collection[str]) -> str:
    """The hint for an unknown key: the closest known key, else the known keys."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]!r}?"
    return "allowed keys: " + ", ".join(sorted(known))


def warn_unknown(
    ctx: Context, data: Mapping[str, object], path: YamlPath, known: Collection[str], where: str
) -> None:
    """Warn about each key of ``data`` that is not ``known``: it is ignored."""
    for key in data:
        if key not in known:
            ctx.warn(
                (*path, key),
                f"unknown key {key!r} in {where}; ignored",
                did_you_mean(key, known),
                at_key=True,
            )


def check_schema(ctx: Context, data: object, path: YamlPath, schema: Schema, where: str) -> None:
    """Warn about unknown keys of ``data`` and, recursively, of the values ``schema`` knows.

    Values of the wrong shape are left to the format's own checks.
    """
    if not isinstance(data, Mapping):
        return
    warn_unknown(ctx, data, path, schema, where)
    for key, sub in schema.items():
        value = data.get(key)
        if sub is None or value is None:
            continue
        if isinstance(sub, list):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    check_schema(ctx, item, (*path, key, index), sub[0], f"{key}[{index}]")
        else:
            check_schema(ctx, value, (*path, key), sub, key)
