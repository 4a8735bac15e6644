"""Credentials never shown: the one owner of how a secret is removed from text.

Every message and log line that may quote a server's answer (the Prometheus source, the
notifiers) goes through a :class:`Scrubber` built from the credentials in use. A server
may echo a secret in another form than the one configured, so each is removed as
written, percent-encoded (two ways, as in a URL or a form) and JSON-escaped; the callers
add the derived forms they send (a base64 ``Authorization: Basic`` value).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit

#: What replaces a secret in any message sloscope writes.
REDACTED = "***"
#: Secrets shorter than this (a tenant id "1") would garble messages and are not secrets.
MIN_SECRET = 4


def secret_forms(secret: str) -> list[str]:
    """``secret`` as written, percent-encoded (two ways) and JSON-escaped.

    >>> secret_forms("a/b c")
    ['a/b c', 'a%2Fb%20c', 'a%2Fb+c', 'a/b c']
    """
    return [secret, quote(secret, safe=""), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]]


class Scrubber:
    """Removes known secret values (tokens, signed URLs, passwords) from text, in every
    form of :func:`secret_forms`.

    >>> Scrubber(["s3cret/x"]).scrub("401 for token s3cret/x (s3cret%2Fx)")
    '401 for token *** (***)'
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {form for s in secrets if s for form in secret_forms(s)}
        # Longest first, so a secret that contains another is removed whole.
        self.secrets = tuple(
            sorted((s for s in found if len(s) >= MIN_SECRET), key=len, reverse=True)
        )

    @classmethod
    def for_url(cls, url: str, *others: str | None) -> Scrubber:
        """A scrubber for a URL that is itself a credential (a Slack webhook): the whole
        URL and its path and query, which servers echo without the host."""
        split = urlsplit(url)
        tail = split.path + (f"?{split.query}" if split.query else "")
        return cls([url, tail if len(tail) > 1 else None, *others])

    def scrub(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text
