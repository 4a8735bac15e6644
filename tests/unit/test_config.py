"""Reading ``sloscope.yaml``: what is not a readable file is named, never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sloscope.config import ProjectConfig, _ProjectChecks, _validated, load_config
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


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "sloscope.yaml").write_text("step: 1m\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={"SLOSCOPE_STEP": "soon"})
    assert str(caught.value).endswith(
        f"SLOSCOPE_STEP (overrides {tmp_path / 'sloscope.yaml'}): step: Value error, 'soon' "
        "is not a duration; write a positive number and a unit (s, m, h, d or w) such as "
        "5m, 1h or 28d"
    )


def test_a_bad_value_in_the_file_keeps_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "sloscope.yaml").write_text("specs: [slos]\nstep: soon\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sloscope\.yaml:2:7: step: Value error, 'soon'"):
        load_config(tmp_path, env={"SLOSCOPE_SPECS": "other"})


def test_a_setting_left_out_takes_the_default_the_model_makes(tmp_path: Path) -> None:
    # Sections a file leaves out are made without building their validation.
    config = load_config(tmp_path, env={})
    assert config == ProjectConfig.model_validate({})
    for name, field in ProjectConfig.model_fields.items():
        made = field.get_default(call_default_factory=True, validated_data={})
        assert getattr(config, name) == made, name
    assert config.model_fields_set == set()


def test_the_settings_given_are_checked_as_the_whole_model_checks_them() -> None:
    data = {
        "zzz": 1,
        "alerting": {"guard": {"min_total": -1}, "slos": [{"service": ""}]},
        "step": "soon",
        "notifiers": [{"name": "n", "type": "slack"}, {"type": "nope"}],
        "budget_policies": 5,
        "specs": [],
        "catalog": [{"name": ""}, 3],
        "aaa": 2,
    }
    with pytest.raises(ValidationError) as whole:
        ProjectConfig.model_validate(data)
    with pytest.raises(ValidationError) as given:
        _validated(data)
    assert _shown(given.value) == _shown(whole.value)
    fine = {"step": "5m", "alerting": {"resolve_after": "1h"}, "catalog": ["a"]}
    checked = _validated(dict(fine))
    assert checked == ProjectConfig.model_validate(fine)
    assert checked.model_fields_set == set(fine)


def _shown(exc: ValidationError) -> list[tuple[object, ...]]:
    """What a message is made of: each error's type, place, text and input, in order."""
    return [(e["type"], e["loc"], e["msg"], e["input"]) for e in exc.errors()]


def test_every_check_of_the_config_is_one_the_settings_given_are_checked_with() -> None:
    # load_config checks a file's settings with models of _ProjectChecks: a validator
    # that ProjectConfig defined itself would never run there.
    own, shared = ProjectConfig.__pydantic_decorators__, _ProjectChecks.__pydantic_decorators__
    assert own.field_validators.keys() == shared.field_validators.keys()
    assert own.model_validators.keys() == shared.model_validators.keys()
