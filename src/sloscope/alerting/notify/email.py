"""Email over SMTP: the title as subject, the facts as a plain-text body.

STARTTLS or implicit TLS, and a login whose password comes from the environment. SMTP
answers decide retries: 4xx (and lost connections, timeouts) are retried, 5xx (a refused
recipient, a rejected message) go to the dead letters.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sloscope.alerting.notify import render
from sloscope.alerting.notify.base import DeliveryResult
from sloscope.alerting.notify.message import Notification
from sloscope.secrets import Scrubber


def email_message(message: Notification, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The email for ``message``."""
    # Long subjects stay on one line (RFC 5322 allows 998 characters): folding them makes
    # some clients show a leading space.
    mail = EmailMessage(policy=policy.default.clone(max_line_length=998))
    mail["Subject"] = render.title(message)
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(message.at, usegmt=True)
    mail["Message-ID"] = make_msgid(domain="sloscope")
    mail["X-Sloscope-Dedup-Key"] = message.dedup_key
    mail.set_content(render.text(message))
    return mail


class EmailNotifier:
    """Sends each notification as one email through an SMTP server."""

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        deadline: float = 10.0,
    ) -> None:
        self.name = name
        self._host, self._port = host, port
        self._sender, self._recipients = sender, tuple(recipients)
        self._security = security
        self._username, self._password = username, password
        self._deadline = deadline
        self._scrubber = Scrubber([password])

    def send(self, message: Notification) -> DeliveryResult:
        """Deliver the email; classify SMTP failures into retry or dead letter."""
        mail = email_message(message, self._sender, self._recipients)
        try:
            with self._connect() as smtp:
                if self._security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self._username is not None:
                    smtp.login(self._username, self._password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            return DeliveryResult.failed(
                f"every recipient refused: {', '.join(sorted(exc.recipients))}", retryable=False
            )
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            detail = self._scrubber.scrub(f"SMTP {exc.smtp_code}: {text}")
            return DeliveryResult.failed(
                detail, retryable=400 <= exc.smtp_code < 500, status=exc.smtp_code
            )
        except (smtplib.SMTPException, OSError) as exc:
            reason = self._scrubber.scrub(str(exc)) or type(exc).__name__
            return DeliveryResult.failed(f"{type(exc).__name__}: {reason}", retryable=True)
        if refused:
            return DeliveryResult.delivered(f"sent; refused: {', '.join(sorted(refused))}")
        return DeliveryResult.delivered(f"sent to {len(self._recipients)} recipient(s)")

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._deadline, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self._host, self._port, timeout=self._deadline)
