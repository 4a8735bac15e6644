"""Attacks on where specs are found: no SLO may drop out of a project without a word."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.attacks.conftest import CliRunner


def test_a_specs_path_that_does_not_exist_is_an_error_naming_the_setting(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "sloscope.yaml").write_text("specs: [slos, team-b/]\n", encoding="utf-8")
    result = sloscope("validate", cwd=workspace)
    assert result.code == 2
    assert "no specs at team-b (the specs setting: specs: in sloscope.yaml" in result.stderr


def test_an_empty_specs_list_is_an_error_naming_the_setting(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "sloscope.yaml").write_text("specs: []\n", encoding="utf-8")
    result = sloscope("report", cwd=workspace)
    assert result.code == 2
    assert "sloscope.yaml:1:8: specs:" in result.stderr
    assert "name at least one spec file or folder" in result.stderr


def test_specs_of_only_separators_in_the_environment_is_an_error_naming_the_variable(
    sloscope: CliRunner, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOSCOPE_SPECS", ":::")
    result = sloscope("validate", cwd=workspace)
    assert result.code == 2
    assert "SLOSCOPE_SPECS (overrides" in result.stderr
    assert "no empty path" in result.stderr


def test_a_dangling_symlink_among_the_specs_is_an_error(
    sloscope: CliRunner, workspace: Path
) -> None:
    (workspace / "slos" / "payments.yaml").symlink_to(workspace / "gone.yaml")
    result = sloscope("validate", cwd=workspace)
    assert result.code == 1
    assert "payments.yaml: error: dangling symbolic link" in result.stderr


def test_a_named_pipe_among_the_specs_is_an_error_not_skipped(
    sloscope: CliRunner, workspace: Path
) -> None:
    os.mkfifo(workspace / "slos" / "payments.yaml")
    result = sloscope("validate", cwd=workspace)
    assert result.code == 1
    assert "payments.yaml: error: not a regular file" in result.stderr


@pytest.fixture
def unreadable_team_folder(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """slos/team/ that cannot be listed (chmod 000, and denied for root too)."""
    folder = workspace / "slos" / "team"
    folder.mkdir()
    (folder / "team.yaml").write_text("not read", encoding="utf-8")
    folder.chmod(0)
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        # Root reads any folder: deny this one as the kernel denies other users.
        if Path(path).resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    yield folder
    folder.chmod(0o755)


def test_an_unreadable_spec_folder_says_it_is_unreadable(
    sloscope: CliRunner, workspace: Path, unreadable_team_folder: Path
) -> None:
    result = sloscope("validate", cwd=workspace)
    assert result.code == 1
    assert "slos/team: error: cannot read this folder: Permission denied" in result.stderr
    assert "has no spec files" not in result.stderr
