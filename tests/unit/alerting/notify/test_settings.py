"""``notifiers:``, ``routes:`` and ``delivery:`` in sloscope.yaml: errors at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sloscope.alerting.notify.email import EmailNotifier
from sloscope.alerting.notify.pagerduty import PagerDutyNotifier
from sloscope.alerting.notify.settings import build_notifiers
from sloscope.alerting.notify.slack import SlackNotifier
from sloscope.alerting.notify.webhook import WebhookNotifier
from sloscope.config import load_config
from sloscope.errors import ConfigError

GOOD = """\
notifiers:
  - {name: oncall, type: pagerduty, secret_env: PD_KEY}
  - {name: chat, type: slack, url_env: SLACK_URL, timeout: 5s}
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/hook", secret_env: HOOK_SECRET}
  - {name: am, type: alertmanager, url: "http://127.0.0.1:9093"}
  - name: mail
    type: email
    host: smtp.example.com
    port: 587
    security: starttls
    username: sloscope
    password_env: SMTP_PASSWORD
    from: slo@example.com
    to: [oncall@example.com]
routes:
  - name: checkout-pages
    matchers: [service=checkout, severity=page]
    notifiers: [oncall, chat]
  - {matchers: ["severity=ticket"], notifiers: [mail], continue: true}
delivery: {max_attempts: 4, backoff: 1m, max_backoff: 30m}
"""

ENV = {
    "PD_KEY": "pd-key-1",
    "SLACK_URL": "http://127.0.0.1:9/s",
    "HOOK_SECRET": "h",
    "SMTP_PASSWORD": "pw",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sloscope.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_notifiers_routes_and_delivery_are_read_from_the_config(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    config = load_config(tmp_path, env={})
    assert [n.name for n in config.notifiers] == ["oncall", "chat", "hook", "am", "mail"]
    first, second = (r.to_route() for r in config.routes)
    assert (first.name, first.notifiers, first.keep_going) == (
        "checkout-pages",
        ("oncall", "chat"),
        False,
    )
    assert [str(m) for m in first.matchers] == ["service=checkout", "severity=page"]
    assert second.keep_going is True
    assert (config.delivery.max_attempts, config.delivery.backoff) == (4, "1m")


def test_notifiers_are_built_with_secrets_from_the_environment(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    notifiers = build_notifiers(load_config(tmp_path, env={}).notifiers, ENV)
    assert isinstance(notifiers["oncall"], PagerDutyNotifier)
    assert isinstance(notifiers["chat"], SlackNotifier)
    assert isinstance(notifiers["hook"], WebhookNotifier)
    assert isinstance(notifiers["mail"], EmailNotifier)
    assert sorted(notifiers) == ["am", "chat", "hook", "mail", "oncall"]


def test_a_missing_secret_variable_is_named_without_any_value(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    config = load_config(tmp_path, env={})
    env = {k: v for k, v in ENV.items() if k != "SMTP_PASSWORD"}
    with pytest.raises(ConfigError) as caught:
        build_notifiers(config.notifiers, env)
    assert str(caught.value) == (
        "sloscope.yaml: notifiers.4.password_env: environment variable SMTP_PASSWORD is not "
        "set (or empty); export it where sloscope runs"
    )


def test_a_route_naming_an_unknown_notifier_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "notifiers:\n"
        "  - {name: oncall, type: pagerduty, secret_env: PD_KEY}\n"
        "routes:\n"
        "  - matchers: [service=checkout]\n"
        "    notifiers: [oncall, pagr]\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    assert str(caught.value).endswith(
        f"{path}:5:25: routes.0.notifiers.1: unknown notifier 'pagr'; known: oncall"
    )


def test_a_notifier_defined_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "notifiers:\n"
        "  - {name: a, type: alertmanager, url: 'http://127.0.0.1:9093'}\n"
        "  - {name: a, type: alertmanager, url: 'http://127.0.0.1:9094'}\n",
    )
    with pytest.raises(
        ConfigError, match=rf"{path}:3:12: notifiers.1.name: notifier 'a' is defined twice"
    ):
        load_config(tmp_path, env={})


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "routes:\n  - {matchers: [service], notifiers: [x]}\n",
            "2:17: routes.0.matchers",
            "'service' is not a matcher",
        ),
        (
            "notifiers:\n  - {name: x, type: sms}\n",
            "2:5: notifiers.0",
            "does not match any of the expected tags",
        ),
        (
            "notifiers:\n  - {name: x, type: slack}\n",
            "2:5: notifiers.0:",
            "give exactly one of url and url_env",
        ),
        (
            "notifiers:\n  - {name: x, type: pagerduty, secret_env: 'not a var'}\n",
            "2:44: notifiers.0.secret_env",
            "should match pattern",
        ),
        ("delivery: {backoff: soon}\n", "1:21: delivery.backoff", "'soon' is not a duration"),
        (
            "notifiers:\n  - {name: x, type: webhook, url: 'http://h', routing_key: k}\n",
            "2:47: notifiers.0.routing_key",
            "unknown setting",
        ),
    ],
)
def test_a_bad_notification_setting_is_named_at_its_line(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    assert f"{path}:{where}" in str(caught.value)
    assert message in str(caught.value)
