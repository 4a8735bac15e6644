"""A server reloads its specs only when a spec file changed (ServedWorkspace): parsing a
hundred SLOs holds the interpreter lock long enough to stall every request, so an
unchanged folder reuses the services loaded before, and an edit, a new file or a removed
one is loaded."""

from __future__ import annotations

from pathlib import Path

from sloscope.server.context import ServedWorkspace
from sloscope.workspace import Workspace


def _served(root: Path) -> ServedWorkspace:
    # A ttl of 0: every call checks the specs on disk (no cached answer in the way).
    return ServedWorkspace.serving(Workspace.open(root), ttl=0)


def _objectives(served: ServedWorkspace) -> dict[str, float]:
    return {f"{s.name}/{slo.name}": slo.objective for s in served.services() for slo in s.slos}


def test_unchanged_specs_are_not_parsed_again(served_root: Path) -> None:
    served = _served(served_root)
    first = served.services()
    assert served.services() is first


def test_an_edited_added_or_removed_spec_is_loaded(served_root: Path) -> None:
    served = _served(served_root)
    before = _objectives(served)
    checkout = served_root / "slos" / "checkout.yaml"
    text = checkout.read_text(encoding="utf-8")
    assert "objective: 99.9\n" in text
    checkout.write_text(text.replace("objective: 99.9\n", "objective: 99.5\n", 1), "utf-8")
    edited = _objectives(served)
    changed = {k for k in before if before[k] != edited.get(k)}
    assert len(changed) == 1
    assert edited[changed.pop()] == 0.995
    payments = served_root / "slos" / "payments.yaml"
    moved = payments.read_text(encoding="utf-8")
    payments.unlink()
    assert not any(k.startswith("payments/") for k in _objectives(served))
    (served_root / "slos" / "again.yaml").write_text(moved, encoding="utf-8")
    assert any(k.startswith("payments/") for k in _objectives(served))
