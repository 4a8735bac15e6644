"""The curated public API: complete, importable, and lazy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sloscope
from sloscope import _EXPORTS


def test_every_name_in_all_resolves_to_the_object_of_its_module() -> None:
    for name in sloscope.__all__:
        if name == "__version__":
            continue
        module = __import__(_EXPORTS[name], fromlist=[name])
        assert getattr(sloscope, name) is getattr(module, name), name


def test_all_lists_exactly_the_exported_names() -> None:
    assert sorted(sloscope.__all__) == sorted(["__version__", *_EXPORTS])
    assert len(set(sloscope.__all__)) == len(sloscope.__all__)


def test_every_exported_name_has_a_docstring() -> None:
    for name in _EXPORTS:
        assert (getattr(sloscope, name).__doc__ or "").strip(), f"{name} has no docstring"


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _ = sloscope.NoSuchThing  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_heavy_module() -> None:
    code = (
        "import sys, sloscope; "
        "print(','.join(m for m in ('duckdb', 'numpy', 'pydantic') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
