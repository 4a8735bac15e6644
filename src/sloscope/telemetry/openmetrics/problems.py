"""The problems found in one file, with their line numbers, up to a cap.

A file with problems is parsed to the end so the user sees several at once; only the
first :data:`MAX_PROBLEMS` are kept, the rest are counted.
"""

from __future__ import annotations

from sloscope.errors import IngestError

#: Stop collecting problems after this many; the error then says there were more.
MAX_PROBLEMS = 20


class Problems:
    """Problems of one file: ``(line, message)`` pairs, the first :data:`MAX_PROBLEMS`."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.found: list[tuple[int, str]] = []
        self.more = 0

    def __bool__(self) -> bool:
        return bool(self.found)

    @property
    def full(self) -> bool:
        """Whether more problems would only be counted."""
        return len(self.found) >= MAX_PROBLEMS

    def add(self, lineno: int, message: str) -> None:
        """Record a problem on line ``lineno``."""
        if self.full:
            self.more += 1
        else:
            self.found.append((lineno, message))

    def raise_any(self) -> None:
        """Raise :class:`IngestError` listing the problems, if there are any."""
        if not self.found:
            return
        lines = "\n  ".join(f"{self.filename}:{n}: {m}" for n, m in sorted(self.found))
        more = f"\n  ... and {self.more} more" if self.more else ""
        count = len(self.found) + self.more
        raise IngestError(
            f"{count} problem(s) in {self.filename}; nothing was stored:\n  {lines}{more}"
        )
