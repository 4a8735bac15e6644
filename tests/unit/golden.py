"""Golden files of generated output (rules, dashboards, OpenSLO, Alertmanager snippets).

A test renders its output and calls :func:`check_golden`; after an intended change,
``SLOSCOPE_UPDATE_GOLDEN=1 pytest tests/unit/generate`` rewrites the files, and
the diff is reviewed like any other.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Set to 1 to rewrite the golden files instead of comparing with them.
UPDATE_VARIABLE = "SLOSCOPE_UPDATE_GOLDEN"


def check_golden(path: Path, text: str) -> None:
    """Assert that ``text`` is the content of ``path`` (or write it when updating)."""
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run with {UPDATE_VARIABLE}=1 to write it"
    assert text == path.read_text(encoding="utf-8"), (
        f"the output differs from {path}; if the change is intended, rerun with "
        f"{UPDATE_VARIABLE}=1 and review the diff"
    )
