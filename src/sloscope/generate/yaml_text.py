"""YAML text of generated documents: block style, literal multi-line strings, no folding.

:func:`dump_yaml` serves every YAML output (rules, promtool tests, Alertmanager, OpenSLO),
so they all read alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as ``|`` literals, keys in insertion order."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Mapping[str, Any], comments: Sequence[str] = ()) -> str:
    """YAML text of a generated document, with ``comments`` as ``#`` lines on top."""
    body = yaml.dump(
        _plain_data(data),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        # Never fold long expressions: a folded PromQL line is hard to read and diff.
        width=1_000_000,
    )
    head = "".join(f"# {line}\n" for comment in comments for line in comment.splitlines())
    return head + body


def _plain_data(value: Any) -> Any:
    """Mappings as plain dicts (the safe dumper refuses subclasses)."""
    if isinstance(value, Mapping):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v) for v in value]
    return value
