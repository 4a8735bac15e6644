"""POSTing to a notification endpoint within a deadline, turning every outcome into a
:class:`~sloscope.alerting.notify.base.DeliveryResult`.

The deadline bounds the whole attempt: every socket operation (connecting, sending, the
answer's headers and body) may take at most the time left until it
(:class:`~sloscope.deadline.DeadlineTransport`), so a server that trickles bytes cannot
hold the delivery loop. With a transport passed in (tests), reading the answer stops at
the first chunk after the deadline.

Answers: 2xx delivered; 408, 429 and 5xx retried; other 4xx are the request's fault and
go to the dead letters at once. Redirects are not followed (a redirecting webhook is
misconfigured).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from sloscope.alerting.notify.base import DeliveryResult
from sloscope.deadline import DeadlineTransport
from sloscope.deadline import deadline as request_deadline
from sloscope.secrets import Scrubber

#: Bytes of an answer kept for the error detail; the rest is read and dropped.
MAX_ANSWER_BYTES = 64 * 1024
#: Characters of an answer shown in a detail.
SHOWN_ANSWER_CHARS = 300
USER_AGENT = "sloscope-notifier"


class DeadlineExceededError(Exception):
    """The answer did not arrive within the deadline."""


def json_bytes(body: Any) -> bytes:
    """The exact bytes sent for a JSON body (compact, UTF-8), so signatures match them."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def post(
    url: str,
    body: bytes,
    *,
    deadline: float,
    scrubber: Scrubber,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DeliveryResult:
    """POST ``body`` (JSON) to ``url`` and classify the outcome; never raises."""
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    started = time.monotonic()

    def remaining() -> float:
        left = deadline - (time.monotonic() - started)
        if left <= 0:
            raise DeadlineExceededError
        return left

    try:
        with (
            httpx.Client(
                transport=transport or DeadlineTransport(), follow_redirects=False
            ) as client,
            request_deadline(started + deadline),
        ):
            request = client.build_request(
                "POST", url, content=body, headers=all_headers, timeout=httpx.Timeout(remaining())
            )
            response = client.send(request, stream=True)
            try:
                answer = bytearray()
                for chunk in response.iter_bytes():
                    if len(answer) < MAX_ANSWER_BYTES:
                        answer += chunk[: MAX_ANSWER_BYTES - len(answer)]
                    remaining()
            finally:
                response.close()
    except (DeadlineExceededError, httpx.TimeoutException):
        return DeliveryResult.failed(f"no answer within the {deadline:g}s deadline", retryable=True)
    except httpx.HTTPError as exc:
        reason = scrubber.scrub(str(exc)) or type(exc).__name__
        return DeliveryResult.failed(f"{type(exc).__name__}: {reason}", retryable=True)
    return classify(response.status_code, bytes(answer), scrubber)


def classify(status: int, answer: bytes, scrubber: Scrubber) -> DeliveryResult:
    """The result of an HTTP answer with ``status`` and body ``answer``."""
    shown = scrubber.scrub(answer.decode("utf-8", "replace")[:SHOWN_ANSWER_CHARS]).strip()
    detail = f"HTTP {status}" + (f": {shown}" if shown else "")
    if 200 <= status < 300:
        return DeliveryResult.delivered(detail, status=status)
    retryable = status in (408, 429) or status >= 500
    return DeliveryResult.failed(detail, retryable=retryable, status=status)
