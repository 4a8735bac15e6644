"""The alert policy tables shipped beside ``sloscope.engine.windows``."""

from __future__ import annotations

from importlib import resources

from sloscope.engine import windows


def test_the_tables_are_read_from_the_files_importlib_resources_lists() -> None:
    # Read from the module's folder (no resource readers on a start); the same files.
    listed = sorted(e.name for e in resources.files(windows.__name__).iterdir())
    assert sorted(e.name for e in windows._table_files()) == listed
    assert {"google.yaml", "pyrra.yaml"} <= set(listed)
    assert {"google", "pyrra"} <= set(windows.bundled_policies())
