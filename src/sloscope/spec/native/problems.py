"""pydantic's validation errors as problems at the YAML line and column they are about.

An unknown key names the keys allowed there and the closest one ("did you mean"); a
missing key or a wrong type carries a hint on how to write the field.
"""

from __future__ import annotations

import difflib
import types
import typing

from pydantic import BaseModel, ValidationError

from sloscope.spec.fields import Context
from sloscope.spec.yamlpos import Document, YamlPath, _has, format_path

_FIELD_HINTS = {
    "window": "write a duration such as 28d or 4w, or {calendar: month}",
    "objective": "a percent such as 99.9",
    "sli": "one of ratio, latency, timeslices or promql",
    "slos": "a list of SLOs, each with name, objective, window and sli",
}


def report_validation_error(ctx: Context, exc: ValidationError, model: type[BaseModel]) -> None:
    """Turn pydantic's errors into problems at the YAML nodes they are about."""
    for err in exc.errors(include_url=False):
        path = _real_path(ctx.doc, err["loc"])
        kind = err["type"]
        last = path[-1] if path else ""
        parent = path[:-1]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, parent)
            close = difflib.get_close_matches(str(last), allowed, n=1)
            message = f"unknown key {last!r} in {_where(parent)}"
            if close:
                message += f" (did you mean {close[0]!r}?)"
            ctx.error(path, message, "allowed keys: " + ", ".join(allowed), at_key=True)
        elif kind == "missing":
            hint = _FIELD_HINTS.get(str(last), "")
            ctx.error(parent, f"missing required key {last!r} in {_where(parent)}", hint)
        elif kind in ("union_tag_not_found", "union_tag_invalid"):
            ctx.error(
                path,
                f"{format_path(path)} has the wrong type ({_type_name(err['input'])})",
                _FIELD_HINTS.get(str(last), ""),
            )
        else:
            message = str(err["msg"])
            message = message[0].lower() + message[1:]
            got = err.get("input")
            if not isinstance(got, dict | list):
                message += f", got {got!r}"
            ctx.error(path, f"{format_path(path)}: {message}", _FIELD_HINTS.get(str(last), ""))


def _real_path(doc: Document, loc: tuple[int | str, ...]) -> YamlPath:
    """The loc of a pydantic error without union tags, as a path into the document."""
    path: list[int | str] = []
    node: object = doc.data
    for i, part in enumerate(loc):
        is_last = i == len(loc) - 1
        if _has(node, part):
            node = node[part]  # type: ignore[index]
        elif not is_last:
            continue  # a union tag ("calendar window") or "[key]": not in the data
        else:
            node = None
        path.append(part)
    return tuple(path)


def _where(path: YamlPath) -> str:
    return "the document" if not path else format_path(path)


def _type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _allowed_keys(model: type[BaseModel], path: YamlPath) -> list[str]:
    """The field names of the model that validates the mapping at ``path``."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            break
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        if info is None:
            continue
        current = _find_model(info.annotation)
    return sorted(current.model_fields) if current is not None else []


def _find_model(tp: object) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    origin = typing.get_origin(tp)
    if origin is None and not isinstance(tp, types.UnionType):
        return None
    for arg in typing.get_args(tp):
        found = _find_model(arg)
        if found is not None:
            return found
    return None
