"""The settings of the Prometheus source, and the one place they are checked.

:class:`PrometheusSettings` checks every value when it is built: ``sloscope.yaml``
(:mod:`sloscope.config`) builds one while the config loads, so a bad setting is reported
with its file and line; :class:`~sloscope.sources.prometheus.source.PrometheusSource`
builds one from its arguments. No other module checks a Prometheus setting.

This module needs no HTTP library, so the config can check settings without the
``prometheus`` extra installed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args
from urllib.parse import unquote, urlsplit, urlunsplit

from sloscope.errors import ConfigError

if TYPE_CHECKING:
    import ssl

#: Where the generated recording rules are read: wherever they cover the range, always
#: (an error where they do not), or never.
RecordingRules = Literal["auto", "always", "never"]

#: Points per series Prometheus answers in one range query (``query_range``'s limit).
STEP_LIMIT = 11_000
#: The most retries of one request: each waits up to 30s.
MAX_RETRIES = 10

#: What an HTTP header value may hold as httpx sends it: visible ASCII, space and tab.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
#: A header name: an RFC 9110 token.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class PrometheusSettings:
    """How to reach one Prometheus server; raises :class:`ConfigError` when built wrong.

    Authentication: ``bearer_token`` or ``basic_auth=(user, password)`` (not both), and
    any ``headers`` (e.g. ``X-Scope-OrgID`` for Mimir). TLS: ``ca_file`` to trust a
    private CA, ``cert_file``/``key_file`` for client certificates,
    ``insecure_skip_verify``. ``timeout`` (seconds) bounds each request, from connecting
    to the last byte; ``command_timeout`` all the requests of one evaluation, retries
    and waits included. 5xx, 429 and
    connection errors are retried ``max_retries`` times (at most :data:`MAX_RETRIES`)
    with exponential backoff from ``backoff`` seconds. ``step_limit`` is the server's
    points per series in one range query; ``concurrency`` how many queries run at once.
    """

    url: str
    bearer_token: str | None = None
    basic_auth: tuple[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False
    timeout: float = 30.0
    command_timeout: float = 600.0
    max_retries: int = 3
    backoff: float = 0.5
    step_limit: int = STEP_LIMIT
    concurrency: int = 4
    use_recording_rules: RecordingRules = "auto"

    def __post_init__(self) -> None:
        _check_url(self.url)
        if self.basic_auth and urlsplit(self.url).username is not None:
            raise ConfigError(
                "Prometheus source: give the user and password in the URL or in basic_auth, "
                "not both (source.url, source.basic_auth)"
            )
        self._check_numbers()
        if self.use_recording_rules not in get_args(RecordingRules):
            raise ConfigError(
                "use_recording_rules must be auto, always or never, got "
                f"{self.use_recording_rules!r}"
            )
        if self.bearer_token and self.basic_auth:
            raise ConfigError(
                "Prometheus source: give a bearer token or basic_auth, not both "
                "(source.bearer_token, source.bearer_token_file, source.basic_auth)"
            )
        for header, value in self.headers.items():
            _check_header(f"header {header}", value, "source.headers")
        if self.bearer_token:
            _check_header(
                "the bearer token",
                self.bearer_token,
                "source.bearer_token or its bearer_token_file",
            )

    def _check_numbers(self) -> None:
        rules = (
            (self.timeout > 0, f"timeout must be positive, got {self.timeout}s (source.timeout)"),
            (
                self.command_timeout > 0,
                f"command_timeout must be positive, got {self.command_timeout}s "
                "(source.command_timeout)",
            ),
            (
                0 <= self.max_retries <= MAX_RETRIES,
                f"max_retries must be 0 to {MAX_RETRIES}, got {self.max_retries} "
                "(source.max_retries)",
            ),
            (self.backoff >= 0, f"backoff must be >= 0, got {self.backoff}"),
            (self.step_limit >= 1, f"step_limit must be >= 1, got {self.step_limit}"),
            (self.concurrency >= 1, f"concurrency must be >= 1, got {self.concurrency}"),
        )
        for ok, problem in rules:
            if not ok:
                raise ConfigError(f"Prometheus source: {problem}")

    def header_map(self) -> dict[str, str]:
        """Headers of every request: the configured ones and the bearer token's."""
        headers = dict(self.headers)
        if self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        return headers

    def request_url(self) -> str:
        """The URL requests go to: without user info, which :meth:`credentials` carries.

        httpx logs every request's URL, so a password must not travel in it.
        """
        parts = urlsplit(self.url)
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def credentials(self) -> tuple[str, str] | None:
        """The basic-auth user and password: ``basic_auth``, or the URL's user info."""
        if self.basic_auth:
            return self.basic_auth
        parts = urlsplit(self.url)
        if parts.username is None:
            return None
        return unquote(parts.username), unquote(parts.password or "")

    def secrets(self) -> list[str]:
        """Every credential a message must never show (the client's
        :class:`~sloscope.secrets.Scrubber` also removes their encoded forms).

        The URL's user info (as written and decoded), the basic-auth password and the
        base64 ``Authorization: Basic`` value, the bearer token and every header value.
        """
        raw_userinfo = urlsplit(self.url).netloc.rpartition("@")[0]
        found = [self.bearer_token or "", raw_userinfo, raw_userinfo.partition(":")[2]]
        found += self.headers.values()
        pair = self.credentials()
        if pair:
            basic = base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()
            found += [pair[1], basic, basic.rstrip("=")]
        return [s for s in found if s]

    def tls(self) -> ssl.SSLContext | bool:
        """The ``verify`` argument of httpx: the system CAs unless something is configured."""
        if not (self.ca_file or self.cert_file or self.insecure_skip_verify):
            return True
        import ssl  # only a configured TLS setting needs it (sloscope.yaml loads on every start)

        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            if self.insecure_skip_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if self.cert_file:
                context.load_cert_chain(self.cert_file, self.key_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"cannot load the TLS files of the Prometheus source (source.tls: ca_file="
                f"{self.ca_file}, cert_file={self.cert_file}, key_file={self.key_file}): {exc}"
            ) from None
        return context


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment: fit for messages and logs.

    Never raises: a URL that does not parse is shown as its scheme and host text.

    >>> safe_url("https://bob:secret@prom.example.com:9090/prometheus?token=x")
    'https://prom.example.com:9090/prometheus'
    >>> safe_url("http://u:p@[::1")
    'http://[::1'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        rest = url.partition("://")[2].rpartition("@")[2]
        head = url.partition("://")[0]
        return f"{head}://{rest.split('/')[0].split('?')[0]}"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _check_url(url: str) -> None:
    """Refuse a Prometheus URL that cannot be requested, saying what is wrong with it."""
    where = "(source.url in sloscope.yaml, or SLOSCOPE_PROMETHEUS_URL)"
    shown = safe_url(url)
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"the Prometheus URL {shown!r} must start with http:// or https:// {where}"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(
            f"the Prometheus URL {shown!r} is not a valid URL: {exc} (a port is 1 to 65535; "
            f"an IPv6 address is written in brackets, http://[::1]:9090) {where}"
        ) from None
    if not parts.hostname:
        raise ConfigError(f"the Prometheus URL {shown!r} has no host name {where}")
    if port == 0:
        raise ConfigError(f"the Prometheus URL {shown!r}: a port is 1 to 65535 {where}")


def _check_header(what: str, value: str, setting: str) -> None:
    """Refuse a header httpx could not send, without showing its value.

    Otherwise httpx fails on the first request and quotes the whole header (the token
    with it) in its error, escaped so that no scrubbing of the plain secret catches it.
    """
    name = what.removeprefix("header ")
    if what.startswith("header ") and not _HEADER_NAME.fullmatch(name):
        raise ConfigError(
            f"Prometheus source: {name!r} is not a valid HTTP header name (check {setting})"
        )
    bad = _HEADER_VALUE.match(value)
    end = bad.end() if bad else 0
    if end < len(value):
        raise ConfigError(
            f"Prometheus source: {what} has a character that cannot be sent in an HTTP header "
            f"(a line break, a control character or a non-ASCII character) at position "
            f"{end + 1} of {len(value)}; check {setting} (a secret file should hold the "
            "value on one line)"
        )
