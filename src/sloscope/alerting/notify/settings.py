"""``notifiers:``, ``routes:`` and ``delivery:`` in ``sloscope.yaml``.

::

    notifiers:
      - {name: oncall, type: pagerduty, secret_env: PAGERDUTY_ROUTING_KEY}
      - {name: chat, type: slack, url_env: SLACK_WEBHOOK_URL}
      - {name: hook, type: webhook, url: https://hooks.example.com/slo, secret_env: HOOK_SECRET}
      - {name: am, type: alertmanager, url: http://alertmanager:9093}
      - name: mail
        type: email
        host: smtp.example.com
        port: 587
        security: starttls              # none, starttls or tls
        username: sloscope
        password_env: SMTP_PASSWORD
        from: sloscope@example.com
        to: [oncall@example.com]
    routes:
      - name: checkout-pages
        matchers: [service=checkout, severity=page]
        notifiers: [oncall, chat]
      - {matchers: [severity=ticket], notifiers: [mail]}
    delivery: {max_attempts: 6, backoff: 30s, max_backoff: 1h}

Secrets are never written in the file: ``secret_env``, ``url_env`` and ``password_env``
name environment variables, read when the notifiers are built. Their values never appear
in a message, a log line or the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sloscope.errors import ConfigError
from sloscope.spec.durations import parse_duration

if TYPE_CHECKING:
    from sloscope.alerting.notify.base import Notifier
    from sloscope.alerting.notify.routing import Route

#: PagerDuty's Events API v2 endpoint (the default ``url`` of a pagerduty notifier).
EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: Where a problem is: a path of keys and indexes in the config, as pydantic writes it.
Loc = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


def _duration(value: str) -> str:
    parse_duration(value)
    return value


def _matcher(value: str) -> str:
    # Imported on first use: the matchers (RE2) load only for a config that routes alerts.
    from sloscope.alerting.matchers import parse_matcher

    parse_matcher(value)
    return value


class _NotifierBase(_Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    timeout: str = "10s"

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str) -> str:
        return _duration(value)

    @property
    def deadline(self) -> float:
        """The delivery deadline in seconds."""
        return float(parse_duration(self.timeout))


class _UrlOrEnv(_NotifierBase):
    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: str | None = Field(default=None, pattern=_ENV_NAME)

    @model_validator(mode="after")
    def _one_url(self) -> _UrlOrEnv:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env (a variable holding the URL)")
        return self

    def resolved_url(self, env: Mapping[str, str], where: str) -> str:
        """The URL, read from the environment when ``url_env`` names it."""
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        return _env(env, self.url_env, f"{where}.url_env")


class WebhookConfig(_UrlOrEnv):
    """A generic JSON webhook, signed with the secret in ``secret_env`` when given."""

    type: Literal["webhook"]
    secret_env: str | None = Field(default=None, pattern=_ENV_NAME)
    headers: dict[str, str] = Field(default_factory=dict)


class SlackConfig(_UrlOrEnv):
    """A Slack-compatible incoming webhook (its URL is a secret: prefer ``url_env``)."""

    type: Literal["slack"]


class PagerDutyConfig(_NotifierBase):
    """PagerDuty Events API v2; ``secret_env`` holds the routing (integration) key."""

    type: Literal["pagerduty"]
    secret_env: str = Field(pattern=_ENV_NAME)
    url: str = Field(default=EVENTS_URL, pattern=r"^https?://")


class AlertmanagerConfig(_NotifierBase):
    """An Alertmanager (API v2); ``url`` is its base URL."""

    type: Literal["alertmanager"]
    url: str = Field(pattern=r"^https?://")
    resolve_after: str = "24h"

    @field_validator("resolve_after")
    @classmethod
    def _resolve_after(cls, value: str) -> str:
        return _duration(value)


class EmailConfig(_NotifierBase):
    """Email through an SMTP server."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    sender: str = Field(alias="from", min_length=3)
    to: list[str] = Field(min_length=1, max_length=100)


NotifierConfig = Annotated[
    WebhookConfig | SlackConfig | PagerDutyConfig | AlertmanagerConfig | EmailConfig,
    Field(discriminator="type"),
]


class RouteConfig(_Strict):
    """A route: alerts whose labels match every matcher go to ``notifiers``."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    matchers: list[Annotated[str, AfterValidator(_matcher)]] = Field(
        default_factory=list, max_length=50
    )
    notifiers: list[str] = Field(min_length=1)
    keep_going: bool = Field(default=False, alias="continue")

    def to_route(self) -> Route:
        """The route the router uses."""
        from sloscope.alerting.matchers import parse_matcher
        from sloscope.alerting.notify.routing import Route

        matchers = tuple(parse_matcher(m) for m in self.matchers)
        return Route(matchers, tuple(self.notifiers), self.name, self.keep_going)


class DeliveryConfig(_Strict):
    """Retries: up to ``max_attempts``, waiting ``backoff`` doubled each time, at most
    ``max_backoff``; then the notification is kept as a dead letter."""

    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff: str = "30s"
    max_backoff: str = "1h"

    @field_validator("backoff", "max_backoff")
    @classmethod
    def _durations(cls, value: str) -> str:
        return _duration(value)


def reference_problems(
    notifiers: Sequence[NotifierConfig], routes: Sequence[RouteConfig]
) -> list[tuple[Loc, str]]:
    """Names used twice, and routes naming a notifier that is not defined."""
    problems: list[tuple[Loc, str]] = []
    seen: set[str] = set()
    for index, notifier in enumerate(notifiers):
        if notifier.name in seen:
            problems.append(
                (("notifiers", index, "name"), f"notifier {notifier.name!r} is defined twice")
            )
        seen.add(notifier.name)
    known = ", ".join(sorted(seen)) or "none defined under notifiers:"
    for r_index, route in enumerate(routes):
        for n_index, name in enumerate(route.notifiers):
            if name not in seen:
                problems.append(
                    (
                        ("routes", r_index, "notifiers", n_index),
                        f"unknown notifier {name!r}; known: {known}",
                    )
                )
    return problems


def build_notifier(config: NotifierConfig, env: Mapping[str, str], where: str) -> Notifier:
    """The notifier ``config`` describes, with its secrets read from ``env``.

    ``where`` names the setting in errors (``notifiers.2``); a missing variable is a
    :class:`ConfigError` naming the variable, never a value.
    """
    # The channels (httpx, smtplib) load only when notifiers are built, not with the
    # config that every command reads.
    from sloscope.alerting.notify.alertmanager import AlertmanagerNotifier
    from sloscope.alerting.notify.email import EmailNotifier
    from sloscope.alerting.notify.pagerduty import PagerDutyNotifier
    from sloscope.alerting.notify.slack import SlackNotifier
    from sloscope.alerting.notify.webhook import WebhookNotifier

    if isinstance(config, WebhookConfig):
        return WebhookNotifier(
            config.name,
            config.resolved_url(env, where),
            secret=_optional_env(env, config.secret_env, f"{where}.secret_env"),
            headers=config.headers,
            deadline=config.deadline,
            url_is_secret=config.url_env is not None,
        )
    if isinstance(config, SlackConfig):
        return SlackNotifier(config.name, config.resolved_url(env, where), deadline=config.deadline)
    if isinstance(config, PagerDutyConfig):
        key = _env(env, config.secret_env, f"{where}.secret_env")
        return PagerDutyNotifier(config.name, key, url=config.url, deadline=config.deadline)
    if isinstance(config, AlertmanagerConfig):
        return AlertmanagerNotifier(
            config.name,
            config.url,
            resolve_after=parse_duration(config.resolve_after),
            deadline=config.deadline,
        )
    password = _optional_env(env, config.password_env, f"{where}.password_env")
    return EmailNotifier(
        config.name,
        host=config.host,
        port=config.port,
        sender=config.sender,
        recipients=config.to,
        security=config.security,
        username=config.username,
        password=password,
        deadline=config.deadline,
    )


def build_notifiers(
    configs: Sequence[NotifierConfig], env: Mapping[str, str]
) -> dict[str, Notifier]:
    """Every configured notifier by name."""
    return {
        config.name: build_notifier(config, env, f"notifiers.{index}")
        for index, config in enumerate(configs)
    }


def _optional_env(env: Mapping[str, str], name: str | None, setting: str) -> str | None:
    return None if name is None else _env(env, name, setting)


def _env(env: Mapping[str, str], name: str, setting: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(
            f"sloscope.yaml: {setting}: environment variable {name} is not set (or empty); "
            "export it where sloscope runs"
        )
    return value
