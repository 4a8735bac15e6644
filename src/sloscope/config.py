"""The project configuration: ``sloscope.yaml`` in the workspace, every field optional.

::

    specs: [slos]                      # files or folders of specs
    step: 1m                           # evaluation resolution
    source:
      type: embedded                   # the embedded DuckDB telemetry store
      path: .sloscope/telemetry.duckdb
    # or a Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics):
    # source:
    #   type: prometheus
    #   url: https://prometheus.example.com:9090
    #   bearer_token_file: /run/secrets/prom-token   # or bearer_token, or basic_auth:
    #   basic_auth: {username: sloscope, password_file: /run/secrets/prom-password}
    #   headers: {X-Scope-OrgID: team-a}
    #   tls: {ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem}
    #   timeout: 30s
    #   max_retries: 3
    #   use_recording_rules: auto      # read generated rules where they cover the range
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
    alerting:                          # how alerts live (evaluate, backtest, tune)
      interval: 1m                     # evaluation interval (default: step)
      pending_for: 0s                  # fire once the condition held this long
      resolve_after: 15m               # resolve this long after the condition stopped
      guard: {min_total: 100, min_bad: 5}   # low-traffic guard of every window
      slos:                            # per service (slo omitted) or per SLO
        - {service: checkout, depends_on: [payments]}
        - {service: search, slo: search-availability, policy: fast,
           guard: {min_total: 500, min_bad: 10}}
    adjustments:                       # excluded from the budget and from alerting
      - reason: weekly database maintenance
        matchers: ['service="checkout"']    # none: every SLO
        start: 2026-11-01T02:00:00Z
        duration: 1h                   # or end: RFC 3339
        rrule: FREQ=WEEKLY;BYDAY=SU    # RFC 5545; omit for a one-off
        kind: maintenance              # or bad-data

Environment variables override the file: ``SLOSCOPE_SPECS`` (paths separated by
``:``), ``SLOSCOPE_STEP``, ``SLOSCOPE_SOURCE`` (type), ``SLOSCOPE_TELEMETRY_PATH``,
``SLOSCOPE_STATE_URL``, ``SLOSCOPE_PROMETHEUS_URL`` (the Prometheus URL; it selects
``type: prometheus`` unless ``SLOSCOPE_SOURCE`` says otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from sloscope.alerting.adjustments import Adjustment
from sloscope.alerting.spans import Lifetime
from sloscope.engine.windows import AlertPolicy, TrafficGuard, policy_from_mapping
from sloscope.errors import ConfigError, EvaluationError
from sloscope.policy.budget import DEFAULT_POLICY, BudgetPolicy, BudgetStep
from sloscope.spec.durations import parse_duration
from sloscope.spec.yamlpos import Document, parse_documents
from sloscope.timeparse import parse_time

if TYPE_CHECKING:
    from sloscope.sources.prometheus import PrometheusSource

CONFIG_FILE = "sloscope.yaml"
MAX_CONFIG_BYTES = 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuthConfig(_Strict):
    """HTTP basic auth for the Prometheus source: a password or a file holding it."""

    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_file: str | None = None

    @model_validator(mode="after")
    def _one_password(self) -> BasicAuthConfig:
        if (self.password is None) == (self.password_file is None):
            raise ValueError("give exactly one of password and password_file")
        return self


class TLSConfig(_Strict):
    """TLS for the Prometheus source: a private CA, a client certificate, or no checks."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False


class SourceConfig(_Strict):
    """Where telemetry is read from: the embedded store or a Prometheus server."""

    type: Literal["embedded", "prometheus"] = "embedded"
    path: str = ".sloscope/telemetry.duckdb"
    url: str | None = None
    bearer_token: SecretStr | None = None
    bearer_token_file: str | None = None
    basic_auth: BasicAuthConfig | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    tls: TLSConfig = Field(default_factory=TLSConfig)
    timeout: str = "30s"
    max_retries: int = Field(default=3, ge=0, le=10)
    use_recording_rules: Literal["auto", "always", "never"] = "auto"

    @field_validator("timeout")
    @classmethod
    def _timeout_is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _prometheus_settings(self) -> SourceConfig:
        if self.type == "prometheus" and not self.url:
            raise ValueError(
                "type: prometheus needs url: (e.g. http://prometheus:9090), or set "
                "SLOSCOPE_PROMETHEUS_URL"
            )
        if self.bearer_token is not None and self.bearer_token_file is not None:
            raise ValueError("give one of bearer_token and bearer_token_file, not both")
        has_token = self.bearer_token is not None or self.bearer_token_file is not None
        if has_token and self.basic_auth is not None:
            raise ValueError("give a bearer token or basic_auth, not both")
        return self

    def open_prometheus(self, root: Path) -> PrometheusSource:
        """The Prometheus source these settings describe; files are relative to ``root``.

        Secret files are read here (their content never appears in a message).
        """
        try:
            from sloscope.sources.prometheus import PrometheusSource
        except ImportError:
            raise ConfigError(
                "the prometheus source needs httpx: pip install 'sloscope[prometheus]'"
            ) from None

        def path(name: str | None) -> str | None:
            return None if name is None else str(root / name)

        token = self.bearer_token.get_secret_value() if self.bearer_token else None
        if self.bearer_token_file is not None:
            token = _read_secret(root / self.bearer_token_file, "source.bearer_token_file")
        basic: tuple[str, str] | None = None
        if self.basic_auth is not None:
            auth = self.basic_auth
            password = auth.password.get_secret_value() if auth.password else ""
            if auth.password_file is not None:
                password = _read_secret(
                    root / auth.password_file, "source.basic_auth.password_file"
                )
            basic = (auth.username, password)
        assert self.url is not None  # checked by _prometheus_settings
        return PrometheusSource(
            self.url,
            bearer_token=token,
            basic_auth=basic,
            headers=self.headers,
            ca_file=path(self.tls.ca_file),
            cert_file=path(self.tls.cert_file),
            key_file=path(self.tls.key_file),
            insecure_skip_verify=self.tls.insecure_skip_verify,
            timeout=float(parse_duration(self.timeout)),
            max_retries=self.max_retries,
            use_recording_rules=self.use_recording_rules,
        )


def _read_secret(path: Path, setting: str) -> str:
    """A credential from a file (trailing newline removed); the error names the file only."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"{CONFIG_FILE}: cannot read {setting} {path}: {reason}") from None


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


class GuardConfig(_Strict):
    """The low-traffic guard: minimum events and bad events for a window to count."""

    min_total: float = Field(default=100, ge=0, le=1e15)
    min_bad: float = Field(default=5, ge=0, le=1e15)

    def to_guard(self) -> TrafficGuard:
        """The engine's guard."""
        return TrafficGuard(min_total=self.min_total, min_bad=self.min_bad)


class AlertPolicyConfig(_Strict):
    """An alert policy table as written in ``sloscope.yaml``."""

    name: str = Field(min_length=1)
    description: str = ""
    guard: GuardConfig | None = None
    windows: list[AlertWindowConfig] = Field(min_length=1)


def duration_or_zero(value: str) -> int:
    """A duration in seconds, where ``0``/``0s``/``0m`` mean none."""
    if value.strip() in ("0", "0s", "0m", "0h"):
        return 0
    return parse_duration(value)


class SLOAlertingConfig(_Strict):
    """Alerting settings of one service (``slo`` omitted) or one SLO."""

    service: str = Field(min_length=1)
    slo: str | None = None
    policy: str | None = None
    guard: GuardConfig | None = None
    depends_on: list[str] = Field(default_factory=list)


class AlertingConfig(_Strict):
    """How alerts live: evaluation interval, pending time, hysteresis, guard, per-SLO settings."""

    interval: str | None = None
    pending_for: str = "0s"
    resolve_after: str = "15m"
    guard: GuardConfig = Field(default_factory=GuardConfig)
    slos: list[SLOAlertingConfig] = Field(default_factory=list)

    @field_validator("interval", "pending_for", "resolve_after")
    @classmethod
    def _is_duration(cls, value: str | None) -> str | None:
        if value is not None:
            duration_or_zero(value)
        return value

    def settings(self, service: str, slo: str) -> SLOAlertingConfig | None:
        """The most specific entry for an SLO: its own, else its service's, else None."""
        own = next((e for e in self.slos if e.service == service and e.slo == slo), None)
        return own or next((e for e in self.slos if e.service == service and e.slo is None), None)

    def depends_on(self) -> dict[str, tuple[str, ...]]:
        """Service → the services it depends on (from entries without ``slo``)."""
        found: dict[str, tuple[str, ...]] = {}
        for entry in self.slos:
            if entry.depends_on:
                found[entry.service] = tuple(
                    dict.fromkeys((*found.get(entry.service, ()), *entry.depends_on))
                )
        return found


class AdjustmentConfig(_Strict):
    """A budget adjustment as written in ``sloscope.yaml`` (see ``alerting.adjustments``)."""

    reason: str = Field(min_length=1, max_length=1000)
    start: str
    duration: str | None = None
    end: str | None = None
    rrule: str | None = Field(default=None, max_length=1000)
    matchers: list[str] = Field(default_factory=list)
    kind: Literal["maintenance", "bad-data"] = "maintenance"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _yaml_times(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-11-01T02:00:00Z as a datetime; take it as written.
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return aware.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    def to_adjustment(self) -> Adjustment:
        """The pure model; :class:`ValueError` names the field that is wrong."""
        start = _time_field("start", self.start)
        end = None if self.end is None else _time_field("end", self.end)
        try:
            duration = None if self.duration is None else parse_duration(self.duration)
        except ValueError as exc:
            raise ValueError(f"duration: {exc}") from None
        return Adjustment.create(
            start=start,
            end=end,
            duration=duration,
            reason=self.reason,
            matchers=self.matchers,
            rrule=self.rrule,
            kind=self.kind,
        )

    @model_validator(mode="after")
    def _valid(self) -> AdjustmentConfig:
        self.to_adjustment()
        return self


def _time_field(name: str, text: str) -> int:
    if text.strip().lower() == "now":
        raise ValueError(f"{name}: write a time (RFC 3339 or Unix seconds), not 'now'")
    try:
        return parse_time(text, now=0)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


class ProjectConfig(_Strict):
    """The whole of ``sloscope.yaml``; every field has a default."""

    specs: list[str] = Field(default_factory=lambda: ["slos"])
    step: str = "1m"
    source: SourceConfig = Field(default_factory=SourceConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    alert_policies: list[AlertPolicyConfig] = Field(default_factory=list)
    budget_policies: list[BudgetPolicyConfig] = Field(default_factory=list)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    adjustments: list[AdjustmentConfig] = Field(default_factory=list, max_length=1000)

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

    def lifetime(self) -> Lifetime:
        """The alert lifetime: evaluation interval, pending time and resolve hysteresis.

        Raises :class:`ConfigError` when they do not fit the step or each other.
        """
        alerting = self.alerting
        interval = parse_duration(alerting.interval) if alerting.interval else self.step_seconds
        if interval % self.step_seconds:
            raise ConfigError(
                f"{CONFIG_FILE}: alerting.interval ({alerting.interval}) must be a multiple of "
                f"the step ({self.step})"
            )
        try:
            return Lifetime(
                interval,
                duration_or_zero(alerting.pending_for),
                duration_or_zero(alerting.resolve_after),
            )
        except EvaluationError as exc:
            raise ConfigError(f"{CONFIG_FILE}: alerting: {exc}") from None

    def adjustment_list(self) -> tuple[Adjustment, ...]:
        """The budget adjustments, as the pure model."""
        return tuple(a.to_adjustment() for a in self.adjustments)

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
    "SLOSCOPE_PROMETHEUS_URL": ("source", "url"),
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
    if env.get("SLOSCOPE_PROMETHEUS_URL") and not env.get("SLOSCOPE_SOURCE"):
        # A Prometheus URL in the environment means: read from it.
        data["source"]["type"] = "prometheus"
    return data


def load_config(root: Path, env: Mapping[str, str] | None = None) -> ProjectConfig:
    """Read ``sloscope.yaml`` from ``root`` (absent: all defaults), then ``SLOSCOPE_*``.

    Raises :class:`ConfigError` naming the file, line and column of every problem.
    """
    env = os.environ if env is None else env
    path = root / CONFIG_FILE
    data: dict[str, Any] = {}
    doc: Document | None = None
    if path.exists() or path.is_symlink():
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
        raise ConfigError(_describe(path, doc, exc, _env_fields(env))) from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return config


def _read(path: Path) -> Document | None:
    if not path.is_file():
        # A folder (or a dangling link) where the config belongs is a mistake to name,
        # not a reason to run silently on defaults.
        raise ConfigError(f"{path}: not a file; the project config is a YAML file")
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than 1 MiB; is this really the project config?")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    docs, problems = parse_documents(text, str(path))
    if problems:
        raise ConfigError("invalid project config:\n  " + "\n  ".join(map(str, problems)))
    if len(docs) > 1:
        raise ConfigError(f"{path}: one YAML document expected, found {len(docs)}")
    return docs[0] if docs else None


def _env_fields(env: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """The settings an environment variable overrode, with the variable's name."""
    return {field: var for var, field in _ENV.items() if env.get(var)}


def _describe(
    path: Path,
    doc: Document | None,
    exc: ValidationError,
    from_env: Mapping[tuple[str, ...], str],
) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        field = ".".join(str(p) for p in loc) or "(top level)"
        message = err["msg"]
        var = next((v for f, v in from_env.items() if loc[: len(f)] == f), None)
        if err["type"] == "extra_forbidden":
            message = f"unknown setting {field!r}"
            pos = doc.key_pos(loc) if doc else None
        else:
            pos = doc.pos(loc) if doc else None
        # A value the environment set is not in the file: name the variable, not a line.
        if var is not None:
            where = f"{var} (overrides {path})"
        else:
            where = f"{path}:{pos.line}:{pos.column}" if pos else str(path)
        lines.append(f"{where}: {field}: {message}")
    return "invalid project config (see README: Workspace):\n  " + "\n  ".join(lines)
