"""The one regex dialect of sloscope: RE2, fully anchored, as Prometheus matches labels.

A user's regular expression (``code!~"5.."`` in a selector) is checked and matched here
and nowhere else, so ``validate`` accepts exactly what evaluation accepts: RE2 syntax
(``\\pN`` and ``[[:digit:]]`` are valid; lookahead, backreferences and ``\\Z`` are not),
the dialect of Prometheus and of DuckDB's ``regexp_full_match`` (the embedded store).
RE2 matches in time linear in the text, so no pattern (``(x+x+)+y``) can stall a command.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

#: Patterns longer than this are refused: no label regex needs 64 KiB.
MAX_REGEX_CHARS = 65_536


class RegexError(ValueError):
    """A pattern is not valid RE2; the message says why, without the pattern's position."""


def _options() -> Any:
    options = re2.Options()
    # RE2 logs every parse error to stderr by default; the caller reports it instead.
    options.log_errors = False
    return options


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    if len(pattern) > MAX_REGEX_CHARS:
        raise RegexError(f"longer than {MAX_REGEX_CHARS} characters")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise RegexError(text) from None


def check_regex(pattern: str) -> None:
    """Raise :class:`RegexError` unless ``pattern`` is a valid RE2 regular expression.

    >>> check_regex(r"\\pN+")
    >>> check_regex("(?=a)")
    Traceback (most recent call last):
    ...
    sloscope.spec.regex.RegexError: invalid perl operator: (?=
    """
    _compiled(pattern)


def full_match(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches the whole of ``text`` (Prometheus' anchoring).

    >>> full_match("5..", "500"), full_match("5..", "1500")
    (True, False)
    """
    return _compiled(pattern).fullmatch(text) is not None
