"""The project configuration: ``sloscope.yaml`` in the workspace, every field optional.

::

    specs: [slos]                      # files or folders of specs
    step: 1m                           # evaluation resolution
    source:
      type: embedded                   # the embedded DuckDB telemetry store
      path: .sloscope/telemetry.duckdb
    state:
      url: sqlite:///.sloscope/state.db
    alert_policies:                    # extra tables beside the bundled "google"
      - name: fast
        windows:
          - {severity: page, budget_percent: 2, long: 1h, short: 5m}
    budget_policies:                   # "default" is notify at 50%, freeze at 90%
      - name: default
        steps: [{consumed: 50, action: notify}, {consumed: 90, action: freeze}]
        on_no_data: open
        exceptions: [security, incident-fix, rollback]

Environment variables override the file: ``SLOSCOPE_SPECS`` (paths separated by
``:``), ``SLOSCOPE_STEP``, ``SLOSCOPE_SOURCE`` (type), ``SLOSCOPE_TELEMETRY_PATH``,
``SLOSCOPE_STATE_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sloscope.engine.windows import AlertPolicy, policy_from_mapping
from sloscope.errors import ConfigError
from sloscope.policy.budget import DEFAULT_POLICY, BudgetPolicy, BudgetStep
from sloscope.spec.durations import parse_duration
from sloscope.spec.yamlpos import Document, parse_documents

CONFIG_FILE = "sloscope.yaml"
MAX_CONFIG_BYTES = 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """Where telemetry is read from."""

    type: Literal["embedded"] = "embedded"
    path: str = ".sloscope/telemetry.duckdb"


class StateConfig(_Strict):
    """The transactional state store (incidents, deployments, alert states)."""

    url: str = "sqlite:///.sloscope/state.db"


class BudgetStepConfig(_Strict):
    """One budget step: ``consumed`` percent, then ``action``."""

    consumed: float = Field(gt=0, le=1000)
    action: Literal["notify", "freeze"]


class BudgetPolicyConfig(_Strict):
    """A budget policy as written in ``sloscope.yaml``."""

    name: str = Field(min_length=1)
    steps: list[BudgetStepConfig] = Field(min_length=1)
    on_no_data: Literal["open", "closed"] = "open"
    exceptions: list[str] = Field(default_factory=lambda: list(DEFAULT_POLICY.exceptions))

    def to_policy(self) -> BudgetPolicy:
        """The engine-facing policy (fractions, not percents)."""
        return BudgetPolicy(
            name=self.name,
            steps=tuple(BudgetStep(round(s.consumed / 100.0, 12), s.action) for s in self.steps),
            on_no_data=self.on_no_data,
            exceptions=tuple(self.exceptions),
        )


class AlertWindowConfig(_Strict):
    """One alert window row as written in ``sloscope.yaml``."""

    severity: Literal["page", "ticket"]
    budget_percent: float = Field(gt=0, le=100)
    long: str
    short: str


class AlertPolicyConfig(_Strict):
    """An alert policy table as written in ``sloscope.yaml``."""

    name: str = Field(min_length=1)
    description: str = ""
    windows: list[AlertWindowConfig] = Field(min_length=1)


class ProjectConfig(_Strict):
    """The whole of ``sloscope.yaml``; every field has a default."""

    specs: list[str] = Field(default_factory=lambda: ["slos"])
    step: str = "1m"
    source: SourceConfig = Field(default_factory=SourceConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    alert_policies: list[AlertPolicyConfig] = Field(default_factory=list)
    budget_policies: list[BudgetPolicyConfig] = Field(default_factory=list)

    @field_validator("step")
    @classmethod
    def _step_is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("specs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def step_seconds(self) -> int:
        """The evaluation step in seconds."""
        return parse_duration(self.step)

    def alert_policy_tables(self) -> tuple[AlertPolicy, ...]:
        """The project's own alert policies (the bundled ones are added by the engine)."""
        return tuple(
            policy_from_mapping(p.model_dump(), where=f"{CONFIG_FILE} alert policy {p.name!r}")
            for p in self.alert_policies
        )

    def budget_policy_map(self) -> dict[str, BudgetPolicy]:
        """Budget policies by name, with ``default`` always present."""
        found = {DEFAULT_POLICY.name: DEFAULT_POLICY}
        found.update({p.name: p.to_policy() for p in self.budget_policies})
        return found


_ENV = {
    "SLOSCOPE_SPECS": ("specs",),
    "SLOSCOPE_STEP": ("step",),
    "SLOSCOPE_SOURCE": ("source", "type"),
    "SLOSCOPE_TELEMETRY_PATH": ("source", "path"),
    "SLOSCOPE_STATE_URL": ("state", "url"),
}


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    for var, path in _ENV.items():
        if var not in env or env[var] == "":
            continue
        value: Any = env[var]
        if path == ("specs",):
            value = [p for p in value.split(os.pathsep) if p]
        target = data
        for key in path[:-1]:
            inner = target.get(key)
            target[key] = dict(inner) if isinstance(inner, Mapping) else {}
            target = target[key]
        target[path[-1]] = value
    return data


def load_config(root: Path, env: Mapping[str, str] | None = None) -> ProjectConfig:
    """Read ``sloscope.yaml`` from ``root`` (absent: all defaults), then ``SLOSCOPE_*``.

    Raises :class:`ConfigError` naming the file, line and column of every problem.
    """
    env = os.environ if env is None else env
    path = root / CONFIG_FILE
    data: dict[str, Any] = {}
    doc: Document | None = None
    if path.is_file():
        doc = _read(path)
        if doc is not None:
            if not isinstance(doc.data, dict):
                raise ConfigError(
                    f"{path}:{doc.start.line}:{doc.start.column}: the config must be a "
                    "mapping of settings (specs:, step:, source:, ...)"
                )
            data = doc.data
    data = _apply_env(dict(data), env)
    try:
        config = ProjectConfig.model_validate(data)
        config.alert_policy_tables()
    except ValidationError as exc:
        raise ConfigError(_describe(path, doc, exc)) from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return config


def _read(path: Path) -> Document | None:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than 1 MiB; is this really the project config?")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    docs, problems = parse_documents(text, str(path))
    if problems:
        raise ConfigError("invalid project config:\n  " + "\n  ".join(map(str, problems)))
    if len(docs) > 1:
        raise ConfigError(f"{path}: one YAML document expected, found {len(docs)}")
    return docs[0] if docs else None


def _describe(path: Path, doc: Document | None, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        field = ".".join(str(p) for p in loc) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown setting {field!r}"
            pos = doc.key_pos(loc) if doc else None
        else:
            pos = doc.pos(loc) if doc else None
        where = f"{path}:{pos.line}:{pos.column}" if pos else str(path)
        lines.append(f"{where}: {field}: {message}")
    return "invalid project config (see README: Workspace):\n  " + "\n  ".join(lines)
