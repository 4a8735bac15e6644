"""``sloscope silence`` and ``sloscope notify test`` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.cli.conftest import CliRunner, Run
from tests.notify.servers import Answer, RecordingServer, start_recording_server
from tests.store import postgres

Runner = Callable[..., Run]


@pytest.fixture
def run(sloscope: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run a command in process, with ``env`` set for it (and for the rest of the test)."""

    def go(*args: str, env: dict[str, str] | None = None) -> Run:
        for name in ("HOOK_SECRET", "PD_KEY", "SLOSCOPE_STATE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        return sloscope(*args)

    return go


@pytest.fixture
def recorder() -> Iterator[RecordingServer]:
    """A local HTTP server that records requests."""
    server = start_recording_server()
    yield server
    server.stop()


def test_a_silence_is_added_listed_and_expired_in_the_workspace_state_store(
    run: Runner,
    tmp_path: Path,
) -> None:
    ws = str(tmp_path)
    added = run(
        "silence",
        "add",
        "-w",
        ws,
        "--matcher",
        "service=checkout",
        "-m",
        "severity=~page|ticket",
        "--duration",
        "2h",
        "--author",
        "ana",
        "--comment",
        "planned failover",
        "--json",
    )
    assert added.code == 0, added.stderr
    silence = json.loads(added.stdout)
    assert silence["matchers"] == ["service=checkout", "severity=~page|ticket"]
    assert (silence["state"], silence["author"], silence["comment"]) == (
        "active",
        "ana",
        "planned failover",
    )
    assert (tmp_path / ".sloscope" / "state.db").is_file()

    listed = json.loads(run("silence", "list", "-w", ws, "--json").stdout)
    assert [s["id"] for s in listed] == [silence["id"]]
    table = run("silence", "list", "-w", ws)
    assert "service=checkout, severity=~page|ticket" in table.stdout

    expired = run("silence", "expire", str(silence["id"]), "-w", ws)
    assert expired.code == 0, expired.stderr
    assert run("silence", "list", "-w", ws, "--json").stdout.strip() == "[]"
    kept = json.loads(run("silence", "list", "-w", ws, "--all", "--json").stdout)
    assert [s["state"] for s in kept] == ["expired"]


def test_a_silence_that_starts_later_is_listed_as_pending(run: Runner, tmp_path: Path) -> None:
    result = run(
        "silence",
        "add",
        "-w",
        str(tmp_path),
        "-m",
        "service=cart",
        "--duration",
        "1h",
        "--start",
        "2999-01-01T00:00:00Z",
        "--author",
        "bo",
        "--comment",
        "migration",
        "--json",
    )
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["state"] == "pending"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "service"], "--matcher 'service': 'service' is not a matcher"),
        (["-m", "a=~("], "is not a regular expression"),
        (["-m", "a=b", "--duration", "soon"], "--duration: 'soon' is not a duration"),
        (["-m", "a=b", "--duration", "400d"], "--duration: at most 366d"),
        (["-m", "a=b", "--author", " "], "--author: give a name"),
        (["-m", "a=b", "--start", "yesterday"], "--start: 'yesterday' is not a time"),
    ],
)
def test_a_malformed_silence_is_refused_with_exit_2(
    run: Runner, tmp_path: Path, args: list[str], message: str
) -> None:
    defaults = {"--duration": "1h", "--author": "ana", "--comment": "why"}
    for option, value in defaults.items():
        if option not in args:
            args = [*args, option, value]
    result = run("silence", "add", "-w", str(tmp_path), *args)
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_expiring_an_unknown_silence_is_exit_2(run: Runner, tmp_path: Path) -> None:
    result = run("silence", "expire", "41", "-w", str(tmp_path))
    assert result.code == 2
    assert "no silence with id 41" in result.stderr


def test_silences_live_in_postgresql_when_the_state_url_says_so(
    run: Runner, tmp_path: Path
) -> None:
    try:
        url = postgres.server_url()
    except postgres.PostgresUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)
    schema = postgres.create_schema(url)
    try:
        env = {"SLOSCOPE_STATE_URL": f"{url}?options={quote(f'-csearch_path={schema}')}"}
        added = run(
            "silence",
            "add",
            "-w",
            str(tmp_path),
            "-m",
            "service=checkout",
            "--duration",
            "1h",
            "--author",
            "ana",
            "--comment",
            "pg",
            env=env,
        )
        assert added.code == 0, added.stderr
        listed = json.loads(run("silence", "list", "-w", str(tmp_path), "--json", env=env).stdout)
        assert [s["comment"] for s in listed] == ["pg"]
        assert not (tmp_path / ".sloscope").exists()
    finally:
        postgres.drop_schema(url, schema)


def _config(tmp_path: Path, recorder: RecordingServer) -> str:
    (tmp_path / "sloscope.yaml").write_text(
        "notifiers:\n"
        f"  - {{name: hook, type: webhook, url: '{recorder.url}/hook', secret_env: HOOK_SECRET}}\n"
        f"  - {{name: pager, type: pagerduty, secret_env: PD_KEY, url: '{recorder.url}/pd'}}\n"
        "routes:\n"
        "  - {name: pages, matchers: [severity=page], notifiers: [pager, hook]}\n",
        encoding="utf-8",
    )
    return str(tmp_path)


SECRETS = {"HOOK_SECRET": "hook-secret-value", "PD_KEY": "pd-routing-key"}


def test_notify_test_sends_a_marked_message_to_one_notifier(
    run: Runner, tmp_path: Path, recorder: RecordingServer
) -> None:
    result = run("notify", "test", "hook", "-w", _config(tmp_path, recorder), env=SECRETS)
    assert result.code == 0, result.stderr
    assert "hook: delivered (HTTP 200: ok)" in result.stdout
    [request] = recorder.requests
    body = json.loads(request.body)
    assert body["title"].startswith("[TEST] [FIRING page] sloscope/notification-test")
    assert body["notification"]["test"] is True
    assert request.headers["x-sloscope-signature"].startswith("sha256=")


def test_notify_test_of_a_route_sends_to_each_of_its_notifiers(
    run: Runner, tmp_path: Path, recorder: RecordingServer
) -> None:
    result = run("notify", "test", "pages", "-w", _config(tmp_path, recorder), env=SECRETS)
    assert result.code == 0, result.stderr
    assert sorted(r.path for r in recorder.requests) == ["/hook", "/pd"]


def test_a_failed_test_message_exits_1_without_showing_the_secret(
    run: Runner, tmp_path: Path, recorder: RecordingServer
) -> None:
    recorder.default = Answer(400, b"bad routing key pd-routing-key")
    result = run("notify", "test", "pager", "-w", _config(tmp_path, recorder), env=SECRETS)
    assert result.code == 1
    assert "pager: failed: HTTP 400: bad routing key *** (a retry will not help)" in result.stderr
    assert "pd-routing-key" not in result.stderr + result.stdout


def test_notify_test_of_an_unknown_name_lists_the_known_ones(
    run: Runner, tmp_path: Path, recorder: RecordingServer
) -> None:
    result = run("notify", "test", "pagr", "-w", _config(tmp_path, recorder), env=SECRETS)
    assert result.code == 2
    assert (
        "no notifier or route named 'pagr'; notifiers: hook, pager; named routes: pages"
        in result.stderr
    )


def test_a_missing_secret_variable_is_exit_2_naming_it(
    run: Runner, tmp_path: Path, recorder: RecordingServer
) -> None:
    result = run(
        "notify", "test", "hook", "-w", _config(tmp_path, recorder), env={"HOOK_SECRET": "x"}
    )
    assert result.code == 2
    assert "notifiers.1.secret_env: environment variable PD_KEY is not set" in result.stderr
