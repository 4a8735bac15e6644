"""Reading Sloth's keys: two spellings of one key, keys to warn about, mappings.

Sloth's own files spell keys in snake_case (``error_query``) and its Kubernetes CRD in
camelCase (``errorQuery``); both are read in both forms. Keys Sloth knows but sloscope
does not use, and keys Sloth does not know, are warned about and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from sloscope.spec.fields import Context
from sloscope.spec.keys import warn_unknown
from sloscope.spec.yamlpos import YamlPath

# Keys Sloth defines that have no meaning in sloscope: warned about, then ignored.
_IGNORED = {"slo_plugins", "sloPlugins", "infoLabels", "info_labels", "interval", "plugins"}


def pick(
    ctx: Context, data: Mapping[str, object], path: YamlPath, *names: str
) -> tuple[YamlPath, object]:
    """The value of the first of several spellings of a key (``error_query``, ``errorQuery``)."""
    present = [name for name in names if name in data]
    if len(present) > 1:
        ctx.warn(
            (*path, present[1]),
            f"both {present[0]!r} and {present[1]!r} are given; {present[0]!r} is used",
            at_key=True,
        )
    if not present:
        return (*path, names[0]), None
    return (*path, present[0]), data[present[0]]


def check_keys(
    ctx: Context, data: Mapping[str, object], path: YamlPath, known: set[str], where: str
) -> None:
    """Warn about each key of ``data`` that is not ``known`` (sloscope ignores it)."""
    for key in data:
        if key in _IGNORED:
            ctx.warn((*path, key), f"Sloth's {key!r} is not used by sloscope; ignored", at_key=True)
    warn_unknown(ctx, {k: v for k, v in data.items() if k not in _IGNORED}, path, known, where)


def mapping(ctx: Context, path: YamlPath, value: object, what: str) -> Mapping[str, object] | None:
    """``value`` when it is a mapping; else an error at ``path`` and None."""
    if isinstance(value, Mapping):
        return value
    ctx.error(path, f"{what} must be a mapping, got {_kind(value)}")
    return None


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"
