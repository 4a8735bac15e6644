"""The project configuration: ``sloscope.yaml`` in the workspace, every field optional.

::

    specs: [slos]                      # files or folders of specs
    step: 1m                           # evaluation resolution
    max_groups: 500                    # most groups a grouped SLO (group_by) may have
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
    #   timeout: 30s                   # each request, from connecting to the last byte
    #   command_timeout: 10m           # all requests of one command, retries included
    #   max_retries: 3
    #   use_recording_rules: auto      # read generated rules where they cover the range
    state:
      url: sqlite:///.sloscope/state.db   # or postgresql+psycopg://USER@HOST:5432/DB
    ingest:                            # limits of one ingest (a file over one is refused)
      max_label_value_bytes: 4096
      max_labels_per_series: 64
      max_series_per_ingest: 100000
    notifiers:                         # see sloscope.alerting.notify.settings
      - {name: oncall, type: pagerduty, secret_env: PAGERDUTY_ROUTING_KEY}
    routes:
      - {matchers: [severity=page], notifiers: [oncall]}
    delivery: {max_attempts: 6, backoff: 30s, max_backoff: 1h}
    alert_policies:                    # extra tables beside the bundled "google"
      - name: fast
        windows:
          - {severity: page, budget_percent: 2, long: 1h, short: 5m}
    budget_policies:                   # "default" is notify at 50%, freeze at 90%
      - name: default                  # every field: see sloscope.policy.settings
        steps: [{consumed: 50, action: notify}, {consumed: 90, action: freeze}]
        on_no_data: open
        exceptions: [security, incident-fix, rollback]
    alerting:                          # every field: see sloscope.alerting.settings
      resolve_after: 15m
      guard: {min_total: 100, min_bad: 5}
    adjustments:                       # excluded from the budget and from alerting
      - {reason: db upgrade, start: 2026-11-01T02:00:00Z, duration: 1h}
    events:                            # deployments and incidents (sloscope.events)
      failure_window: 1h               # a deployment failed if an incident follows within
      repeat_window: 30d
      priorities: [{priority: P1, budget_percent: 20}, {priority: P2, budget_percent: 5}]
      open_on_page: false              # a page opens an incident (once per burn)
    catalog:                           # every service of the org, with SLOs or not
      - checkout                       # (report --org: % of services with SLOs)
      - {name: billing, owner: team-payments}

Environment variables override the file: ``SLOSCOPE_SPECS`` (paths separated by
``:``), ``SLOSCOPE_STEP``, ``SLOSCOPE_SOURCE`` (type), ``SLOSCOPE_TELEMETRY_PATH``,
``SLOSCOPE_STATE_URL``, ``SLOSCOPE_PROMETHEUS_URL`` (the Prometheus URL; it selects
``type: prometheus`` unless ``SLOSCOPE_SOURCE`` says otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from sloscope.alerting.notify.settings import (
    DeliveryConfig,
    NotifierConfig,
    RouteConfig,
    reference_problems,
)
from sloscope.alerting.settings import (
    AdjustmentConfig,
    AlertingConfig,
    GuardConfig,
    duration_or_zero,
)
from sloscope.engine.windows import AlertPolicy, policy_from_mapping
from sloscope.errors import ConfigError, EvaluationError
from sloscope.events.settings import EventsConfig
from sloscope.policy.budget import DEFAULT_POLICY, BudgetPolicy
from sloscope.policy.settings import BudgetPolicyConfig, scope_problems
from sloscope.sources.prometheus.settings import PrometheusSettings, RecordingRules
from sloscope.spec.durations import parse_duration
from sloscope.spec.yamlpos import Document, parse_documents
from sloscope.telemetry.limits import IngestLimits

if TYPE_CHECKING:
    from sloscope.alerting.adjustments import Adjustment
    from sloscope.alerting.spans import Lifetime
    from sloscope.sources.prometheus.source import PrometheusSource

CONFIG_FILE = "sloscope.yaml"
MAX_CONFIG_BYTES = 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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
    command_timeout: str = "10m"
    max_retries: int = 3
    use_recording_rules: RecordingRules = "auto"

    @field_validator("timeout", "command_timeout")
    @classmethod
    def _timeout_is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _prometheus_settings(self) -> SourceConfig:
        if self.bearer_token is not None and self.bearer_token_file is not None:
            raise ValueError("give one of bearer_token and bearer_token_file, not both")
        if self.type != "prometheus":
            return self
        if not self.url:
            raise ValueError(
                "type: prometheus needs url: (e.g. http://prometheus:9090), or set "
                "SLOSCOPE_PROMETHEUS_URL"
            )
        # The settings check their values (the one place that does); secret files are
        # read only when the source opens, so a placeholder stands for their content.
        try:
            self.prometheus_settings(_FROM_FILE, _FROM_FILE)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    def prometheus_settings(
        self, token_file: str, password_file: str, root: Path | None = None
    ) -> PrometheusSettings:
        """The Prometheus settings, with the content of the secret files given (TLS
        files relative to ``root`` when given).
        """

        def path(name: str | None) -> str | None:
            return name if name is None or root is None else str(root / name)

        token = self.bearer_token.get_secret_value() if self.bearer_token else None
        if self.bearer_token_file is not None:
            token = token_file
        basic: tuple[str, str] | None = None
        if self.basic_auth is not None:
            auth = self.basic_auth
            password = auth.password.get_secret_value() if auth.password else ""
            basic = (auth.username, password_file if auth.password_file else password)
        assert self.url is not None  # checked by _prometheus_settings
        return PrometheusSettings(
            self.url,
            bearer_token=token,
            basic_auth=basic,
            headers=self.headers,
            ca_file=path(self.tls.ca_file),
            cert_file=path(self.tls.cert_file),
            key_file=path(self.tls.key_file),
            insecure_skip_verify=self.tls.insecure_skip_verify,
            timeout=float(parse_duration(self.timeout)),
            command_timeout=float(parse_duration(self.command_timeout)),
            max_retries=self.max_retries,
            use_recording_rules=self.use_recording_rules,
        )

    def open_prometheus(self, root: Path) -> PrometheusSource:
        """The Prometheus source these settings describe; files are relative to ``root``.

        Secret files are read here (their content never appears in a message).
        """
        try:
            from sloscope.sources.prometheus.source import PrometheusSource
        except ImportError:
            raise ConfigError(
                "the prometheus source needs httpx: pip install 'sloscope[prometheus]'"
            ) from None
        token = password = ""
        if self.bearer_token_file is not None:
            token = _read_secret(root / self.bearer_token_file, "source.bearer_token_file")
        if self.basic_auth is not None and self.basic_auth.password_file is not None:
            password = _read_secret(
                root / self.basic_auth.password_file, "source.basic_auth.password_file"
            )
        return PrometheusSource.from_settings(self.prometheus_settings(token, password, root))


#: Stands for a secret file's content while the config loads (it is read on opening).
_FROM_FILE = "(the content of the secret file)"


def _read_secret(path: Path, setting: str) -> str:
    """A credential from a file (trailing newline removed); the error names the file only."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"{CONFIG_FILE}: cannot read {setting} {path}: {reason}") from None


#: The ingest limits' defaults, which ``ingest:`` settings start from.
_LIMITS = IngestLimits()


class IngestConfig(_Strict):
    """Limits of one ``sloscope ingest`` (:class:`~sloscope.telemetry.limits.IngestLimits`)."""

    max_label_value_bytes: int = Field(default=_LIMITS.max_label_value_bytes, ge=1)
    max_labels_per_series: int = Field(default=_LIMITS.max_labels_per_series, ge=1)
    max_series_per_ingest: int = Field(default=_LIMITS.max_series_per_ingest, ge=1)

    def limits(self) -> IngestLimits:
        """The limits as the ingest takes them."""
        return IngestLimits(**self.model_dump())


class StateConfig(_Strict):
    """The transactional state store (incidents, deployments, alert states)."""

    url: str = "sqlite:///.sloscope/state.db"


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
    guard: GuardConfig | None = None
    windows: list[AlertWindowConfig] = Field(min_length=1)


class CatalogServiceConfig(_Strict):
    """A service of the organisation's catalog (the org report counts those with SLOs)."""

    name: str = Field(min_length=1, max_length=200)
    owner: str = Field(default="", max_length=200)


class _ProjectChecks(_Strict):
    """The checks of ``sloscope.yaml``'s own settings: :class:`ProjectConfig`'s, and those
    of the models that check the settings a file gives (see :func:`_validated`)."""

    @field_validator("step", check_fields=False)
    @classmethod
    def _step_is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("specs", mode="before", check_fields=False)
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("budget_policies", check_fields=False)
    @classmethod
    def _one_policy_per_target(cls, value: list[BudgetPolicyConfig]) -> list[BudgetPolicyConfig]:
        problems = scope_problems(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("specs", check_fields=False)
    @classmethod
    def _some_specs(cls, value: list[str]) -> list[str]:
        # An empty list (or SLOSCOPE_SPECS=":") would load no SLO and report all is well.
        if not value or any(not path.strip() for path in value):
            raise ValueError(
                "name at least one spec file or folder, and no empty path (default: slos)"
            )
        return value


class ProjectConfig(_ProjectChecks):
    """The whole of ``sloscope.yaml``; every field has a default.

    Its checks are :class:`_ProjectChecks`' (``check_fields=False``): :func:`load_config`
    checks a file's settings with those, so a check defined here would not run there.
    """

    specs: list[str] = Field(default_factory=lambda: ["slos"])
    step: str = "1m"
    max_groups: int = Field(
        500, ge=1, le=100_000, description="Most groups (label values) a grouped SLO may have."
    )
    source: SourceConfig = Field(default_factory=SourceConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    alert_policies: list[AlertPolicyConfig] = Field(default_factory=list)
    budget_policies: list[BudgetPolicyConfig] = Field(default_factory=list)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    adjustments: list[AdjustmentConfig] = Field(default_factory=list, max_length=1000)
    notifiers: list[NotifierConfig] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    #: Every service of the organisation (names or {name, owner}); None: no catalog.
    catalog: list[CatalogServiceConfig | str] | None = Field(default=None, max_length=10_000)

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
        from sloscope.alerting.spans import Lifetime  # numpy: for the commands that evaluate

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

    def catalog_names(self) -> tuple[str, ...] | None:
        """The catalog's service names, each once, or None without a catalog."""
        if self.catalog is None:
            return None
        names = [e if isinstance(e, str) else e.name for e in self.catalog]
        return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))

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
            # Empty parts stay, so ":::" is refused rather than read as no specs at all.
            value = value.split(os.pathsep)
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
        config = _validated(data)
        config.alert_policy_tables()
    except ValidationError as exc:
        raise ConfigError(_describe(path, doc, exc, _env_fields(env))) from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    problems = reference_problems(config.notifiers, config.routes)
    if problems:
        raise ConfigError(_describe_references(path, doc, problems))
    return config


def _validated(data: dict[str, Any]) -> ProjectConfig:
    """``data`` validated as :class:`ProjectConfig` (the same values, the same errors in the
    same order), building the validation of the settings ``data`` gives only.

    Building the validation of every section (notifiers, budget policies, ...) is about
    a tenth of a short command's start, for a file that sets a few of them or none. A
    model with ``ProjectConfig``'s fields that ``data`` names, and its checks, gives what
    ``ProjectConfig`` would: pydantic checks fields in their order, then unknown keys. A
    setting left out takes its default, as in ``ProjectConfig`` (where pydantic checks no
    default either).
    """
    fields = ProjectConfig.model_fields
    given = tuple(name for name in fields if name in data)
    checked = _settings_model(given).model_validate(data)
    values = {name: _default(name) for name in fields if name not in data}
    values.update(checked.__dict__)
    return ProjectConfig.model_construct(_fields_set=set(given), **values)


@cache
def _settings_model(names: tuple[str, ...]) -> type[_ProjectChecks]:
    """A model of ``ProjectConfig``'s fields ``names`` with its checks (one per set)."""
    fields = ProjectConfig.model_fields
    chosen: dict[str, Any] = {name: (fields[name].annotation, fields[name]) for name in names}
    return create_model("ProjectConfig", __base__=_ProjectChecks, __module__=__name__, **chosen)


def _default(name: str) -> Any:
    """``ProjectConfig``'s default for the field ``name``.

    A section's default is its model with every field at its default, made without
    building that model's validation (``model_construct``): what ``SourceConfig()`` makes,
    as its own test checks. No default factory here takes the validated data, so each
    is called as it is (pydantic would first read its signature: for ``list``, a parse
    of its text signature, about 10 ms once).
    """
    field = ProjectConfig.model_fields[name]
    factory = field.default_factory
    if factory is None:
        return field.default  # None, a string or a number: nothing to copy
    if isinstance(factory, type) and issubclass(factory, BaseModel):
        return factory.model_construct()
    return cast("Callable[[], Any]", factory)()


def _without_tags(loc: tuple[str | int, ...], doc: Document | None) -> tuple[str | int, ...]:
    """``loc`` without the tags pydantic adds for a union chosen by ``type:``
    (``notifiers.0.slack.url`` is ``notifiers.0.url`` in the file)."""
    data: Any = doc.data if doc else None
    kept: list[str | int] = []
    for part in loc:
        is_tag = (
            isinstance(data, dict)
            and isinstance(part, str)
            and part not in data
            and data.get("type") == part
        )
        if is_tag:
            continue
        kept.append(part)
        data = _child(data, part)
    return tuple(kept)


def _child(data: Any, part: str | int) -> Any:
    if isinstance(data, dict):
        return data.get(part)
    if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
        return data[part]
    return None


def _describe_references(
    path: Path, doc: Document | None, problems: list[tuple[tuple[str | int, ...], str]]
) -> str:
    """Cross-references (routes to notifiers) that do not resolve, with their positions."""
    lines = []
    for loc, message in problems:
        pos = doc.pos(loc) if doc else None
        where = f"{path}:{pos.line}:{pos.column}" if pos else str(path)
        lines.append(f"{where}: {'.'.join(str(p) for p in loc)}: {message}")
    return "invalid project config (see README: Notifications):\n  " + "\n  ".join(lines)


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
        loc = _without_tags(tuple(p for p in err["loc"] if isinstance(p, str | int)), doc)
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
