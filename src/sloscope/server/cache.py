"""Evaluated status, reused for a few seconds: a burst of gate calls reads telemetry once.

Keys are (evaluation time, service); a request without ``at`` is evaluated at the
current minute, so every request within that minute shares one evaluation. Entries live
``ttl`` seconds; one lock per key lets a single thread evaluate while the others wait for
its answer (no stampede). The specs are reloaded after the same ``ttl``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: Entries kept at most; the oldest go first.
MAX_ENTRIES = 512


class TTLCache(Generic[T]):
    """A small thread-safe cache whose entries expire ``ttl`` seconds after they are made."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[object, tuple[float, T]] = {}
        self._locks: dict[object, threading.Lock] = {}
        self._guard = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: object, make: Callable[[], T]) -> T:
        """The fresh entry for ``key``, else ``make()`` (once, however many threads ask)."""
        found = self._fresh(key)
        if found is not None:
            return found[1]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self._fresh(key)
            if found is not None:
                return found[1]
            self.misses += 1
            value = make()
            with self._guard:
                if len(self._entries) >= MAX_ENTRIES:
                    oldest = min(self._entries, key=lambda k: self._entries[k][0])
                    del self._entries[oldest]
                    self._locks.pop(oldest, None)
                self._entries[key] = (self._clock(), value)
            return value

    def _fresh(self, key: object) -> tuple[float, T] | None:
        with self._guard:
            entry = self._entries.get(key)
            if entry is not None and self._clock() - entry[0] < self.ttl:
                self.hits += 1
                return entry
        return None

    def clear(self) -> None:
        """Forget every entry (after new telemetry is ingested)."""
        with self._guard:
            self._entries.clear()
