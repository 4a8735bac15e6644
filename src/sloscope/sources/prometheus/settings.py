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
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import unquote, urlsplit, urlunsplit

from sloscope.errors import ConfigError

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
#: Secrets shorter than this (a tenant id "1") would garble messages and are not secrets.
_MIN_SECRET = 4


@dataclass(frozen=True)
class PrometheusSettings:
    """How to reach one Prometheus server; raises :class:`ConfigError` when built wrong.

    Authentication: ``bearer_token`` or ``basic_auth=(user, password)`` (not both), and
    any ``headers`` (e.g. ``X-Scope-OrgID`` for Mimir). TLS: ``ca_file`` to trust a
    private CA, ``cert_file``/``key_file`` for client certificates,
    ``insecure_skip_verify``. ``timeout`` (seconds) bounds each request; 5xx, 429 and
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
    max_retries: int = 3
    backoff: float = 0.5
    step_limit: int = STEP_LIMIT
    concurrency: int = 4
    use_recording_rules: RecordingRules = "auto"

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(
                f"the Prometheus URL {safe_url(self.url)!r} must start with http:// or "
                "https:// (source.url in sloscope.yaml, or SLOSCOPE_PROMETHEUS_URL)"
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

    def secrets(self) -> list[str]:
        """Every credential a message must never show (the client scrubs them)."""
        found = [self.bearer_token or "", unquote(urlsplit(self.url).password or "")]
        found += self.header_map().values()
        if self.basic_auth:
            # The password, and the header a server might echo back.
            pair = f"{self.basic_auth[0]}:{self.basic_auth[1]}".encode()
            found += [self.basic_auth[1], base64.b64encode(pair).decode()]
        return [s for s in found if len(s) >= _MIN_SECRET]

    def tls(self) -> ssl.SSLContext | bool:
        """The ``verify`` argument of httpx: the system CAs unless something is configured."""
        if not (self.ca_file or self.cert_file or self.insecure_skip_verify):
            return True
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

    >>> safe_url("https://bob:secret@prom.example.com:9090/prometheus?token=x")
    'https://prom.example.com:9090/prometheus'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


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
