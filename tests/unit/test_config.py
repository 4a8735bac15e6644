"""Reading ``sloscope.yaml``: what is not a readable file is named, never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from sloscope.config import load_config
from sloscope.errors import ConfigError


def test_no_config_file_means_every_default(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert (config.specs, config.step_seconds) == (["slos"], 60)


def test_a_folder_named_like_the_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sloscope.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"sloscope\.yaml: not a file; the project config"):
        load_config(tmp_path, env={})


def test_a_dangling_link_named_like_the_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sloscope.yaml").symlink_to(tmp_path / "gone.yaml")
    with pytest.raises(ConfigError, match=r"sloscope\.yaml: not a file"):
        load_config(tmp_path, env={})


def test_an_unreadable_config_is_a_config_error_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sloscope.yaml").write_text("step: 1m\n", encoding="utf-8")

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    # Tests may run as root, for whom chmod 000 does not stop a read.
    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(ConfigError, match=r"sloscope\.yaml: cannot read it: Permission denied"):
        load_config(tmp_path, env={})
