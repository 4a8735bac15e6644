"""The collector held back while ``sloscope`` starts, and only in the ``sloscope`` process."""

from __future__ import annotations

import gc
from pathlib import Path

from sloscope.cli import collector
from tests.cli.conftest import CliRunner, run_probe

_PROBE = """\
import gc, json, sys
passes = []
gc.callbacks.append(lambda phase, info: passes.append(info) if phase == "stop" else None)
out, args = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["sloscope", *args]
from sloscope.cli import main
try:
    main()
except SystemExit:
    pass
with open(out, "w", encoding="utf-8") as file:
    json.dump({"passes": len(passes), "frozen": gc.get_freeze_count(),
               "threshold": gc.get_threshold()}, file)
"""


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    """What the collector did in a fresh ``sloscope ARGS`` process."""
    return run_probe(_PROBE, tmp_path / "collector.json", *args)


def test_validate_freezes_its_start_and_leaves_collection_as_python_has_it(
    workspace: Path, tmp_path: Path
) -> None:
    before = list(gc.get_threshold())  # this process's own, untouched: the default
    done = _run(tmp_path, "validate", "-w", str(workspace))
    assert done["threshold"] == before
    assert isinstance(done["frozen"], int)
    assert done["frozen"] > 10_000
    # Held from the entry point on: the passes left are those of Python's own start and
    # of the few lines between the command's start and its workspace.
    assert isinstance(done["passes"], int)
    assert done["passes"] < 20


def test_a_start_is_held_only_in_the_sloscope_process(workspace: Path, sloscope: CliRunner) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with collector.held():
        assert gc.get_threshold() == threshold
    result = sloscope("validate", "-w", str(workspace))
    assert result.code == 0, result.stderr
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)
