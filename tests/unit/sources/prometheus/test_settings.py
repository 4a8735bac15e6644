"""The ``source: {type: prometheus, ...}`` settings of sloscope.yaml, SLOSCOPE_PROMETHEUS_URL,
secret files, and ``Workspace.source()`` building the Prometheus source from them.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from prometheus_stub import stub_prometheus

from sloscope.config import load_config
from sloscope.errors import ConfigError, SourceError
from sloscope.sources.prometheus.source import PrometheusSource
from sloscope.spec.model import RatioSLI
from sloscope.spec.selectors import parse_selector
from sloscope.testing import PrometheusAnswer, PrometheusRequest, failure
from sloscope.workspace import Workspace

SLI = RatioSLI(total=parse_selector("req_total"), good=parse_selector('req_total{code="200"}'))
T0 = 1_700_000_040


def write(root: Path, text: str) -> None:
    (root / "sloscope.yaml").write_text(text, encoding="utf-8")


def echo_401(request: PrometheusRequest) -> PrometheusAnswer:
    return failure(401, "unauthorized", f"refused {request.headers.get('authorization')}")


def test_prometheus_needs_a_url_and_the_error_says_where(tmp_path: Path) -> None:
    write(tmp_path, "source:\n  type: prometheus\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, env={})
    assert (
        f"{tmp_path / 'sloscope.yaml'}:2:3: source: Value error, type: prometheus needs url:"
        in (str(err.value))
    )


def test_the_env_url_selects_prometheus_unless_the_env_names_another_source(
    tmp_path: Path,
) -> None:
    config = load_config(tmp_path, env={"SLOSCOPE_PROMETHEUS_URL": "http://prom:9090"})
    assert (config.source.type, config.source.url) == ("prometheus", "http://prom:9090")
    config = load_config(
        tmp_path,
        env={"SLOSCOPE_PROMETHEUS_URL": "http://prom:9090", "SLOSCOPE_SOURCE": "embedded"},
    )
    assert config.source.type == "embedded"


def test_one_kind_of_credential_at_a_time(tmp_path: Path) -> None:
    write(
        tmp_path,
        "source:\n  type: prometheus\n  url: http://p\n  bearer_token: abcdefgh\n"
        "  basic_auth: {username: u, password: pw}\n",
    )
    with pytest.raises(ConfigError, match="a bearer token or basic_auth, not both") as err:
        load_config(tmp_path, env={})
    assert "abcdefgh" not in str(err.value)


def test_basic_auth_needs_exactly_one_password_setting(tmp_path: Path) -> None:
    write(tmp_path, "source:\n  type: prometheus\n  url: http://p\n  basic_auth: {username: u}\n")
    with pytest.raises(ConfigError, match="exactly one of password and password_file"):
        load_config(tmp_path, env={})


def test_unknown_source_settings_are_named(tmp_path: Path) -> None:
    write(tmp_path, "source:\n  type: prometheus\n  url: http://p\n  tls: {verify: false}\n")
    with pytest.raises(ConfigError, match=r":4:9: source\.tls\.verify: unknown setting"):
        load_config(tmp_path, env={})


def test_the_workspace_builds_a_prometheus_source_with_every_setting(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("file-token-123\n", encoding="utf-8")
    write(
        tmp_path,
        "source:\n  type: prometheus\n  url: http://127.0.0.1:9\n  bearer_token_file: token\n"
        "  timeout: 2m\n  max_retries: 0\n  use_recording_rules: never\n",
    )
    source = Workspace.open(tmp_path, env={}).source()
    assert isinstance(source, PrometheusSource)
    assert source.api.timeout == 120.0
    assert source.api.max_retries == 0
    assert source.use_recording_rules == "never"
    assert source.api.client.headers["authorization"] == "Bearer file-token-123"
    source.close()


def test_a_token_from_a_file_is_sent_and_never_shown(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("file-token-123\n", encoding="utf-8")
    with stub_prometheus(echo_401) as stub:
        write(
            tmp_path,
            f"source:\n  type: prometheus\n  url: {stub.url}\n  bearer_token_file: token\n",
        )
        source = Workspace.open(tmp_path, env={}).source()
        with pytest.raises(SourceError) as err:
            source.fetch([SLI], T0, T0 + 60, 60)
        source.close()
    assert stub.requests[0].headers["authorization"] == "Bearer file-token-123"
    assert "file-token-123" not in str(err.value)


def test_basic_auth_with_a_password_file_and_extra_headers(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("correct horse\n", encoding="utf-8")
    with stub_prometheus(echo_401) as stub:
        write(
            tmp_path,
            f"source:\n  type: prometheus\n  url: {stub.url}\n"
            "  basic_auth: {username: sloscope, password_file: pw}\n"
            "  headers: {X-Scope-OrgID: team-a}\n",
        )
        source = Workspace.open(tmp_path, env={}).source()
        with pytest.raises(SourceError):
            source.fetch([SLI], T0, T0 + 60, 60)
        source.close()
    headers = stub.requests[0].headers
    assert (
        headers["authorization"] == "Basic " + base64.b64encode(b"sloscope:correct horse").decode()
    )
    assert headers["x-scope-orgid"] == "team-a"


def test_an_unreadable_secret_file_names_the_setting_and_file_only(tmp_path: Path) -> None:
    write(tmp_path, "source:\n  type: prometheus\n  url: http://p:9\n  bearer_token_file: nope\n")
    with pytest.raises(ConfigError) as err:
        Workspace.open(tmp_path, env={}).source()
    assert str(err.value) == (
        f"sloscope.yaml: cannot read source.bearer_token_file {tmp_path / 'nope'}: "
        "No such file or directory"
    )


def test_an_env_url_alone_makes_the_workspace_read_prometheus(tmp_path: Path) -> None:
    source = Workspace.open(
        tmp_path, env={"SLOSCOPE_PROMETHEUS_URL": "http://127.0.0.1:9"}
    ).source()
    assert isinstance(source, PrometheusSource)
    assert source.name == "prometheus"
    source.close()


def test_prometheus_settings_are_checked_while_the_config_loads(tmp_path: Path) -> None:
    """One owner (PrometheusSettings) checks them; the config reports where they are."""
    write(tmp_path, "source:\n  type: prometheus\n  url: http://p:9\n  max_retries: 11\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, env={})
    assert str(err.value).endswith(
        f"{tmp_path / 'sloscope.yaml'}:2:3: source: Value error, Prometheus source: "
        "max_retries must be 0 to 10, got 11 (source.max_retries)"
    )


def test_a_header_that_cannot_be_sent_is_refused_while_the_config_loads(tmp_path: Path) -> None:
    write(
        tmp_path,
        'source:\n  type: prometheus\n  url: http://p:9\n  headers: {X-Token: "s3cret\\nx"}\n',
    )
    with pytest.raises(ConfigError, match="header X-Token has a character") as err:
        load_config(tmp_path, env={})
    assert "s3cret" not in str(err.value)


def test_the_same_check_refuses_a_source_built_in_code() -> None:
    with pytest.raises(ConfigError, match=r"max_retries must be 0 to 10, got 11"):
        PrometheusSource("http://127.0.0.1:9", max_retries=11)
