"""Evaluated status, reused for a few seconds: a burst of gate calls reads telemetry once.

Keys are (evaluation time, service); a request without ``at`` is evaluated at the
current minute, so every request within that minute shares one evaluation. An entry is
fresh for ``ttl`` seconds; after that, and for a new minute whose evaluation is not ready
yet, the last answer is served (at most ``max_stale`` seconds old, saying its own ``at``)
while one background thread evaluates the new one: a request never waits for the
telemetry when an answer that recent exists. One lock per key makes a single thread
evaluate while others that must wait share its answer (no stampede). With ``ahead``, a
hit refreshes its entry a little before it expires, and a new minute keeps the previous
minute's answer until that one reaches the same age: keys given different figures are
evaluated one after another instead of all at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

T = TypeVar("T")

#: Entries kept at most; the oldest go first.
MAX_ENTRIES = 512

log = structlog.get_logger("sloscope.cache")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A cached value and when it was made (monotonic seconds)."""

    made: float
    value: T


def _lower_priority() -> None:
    """Refreshes run at a lower CPU priority (Linux: per thread), so requests answered
    from the cache keep their latency while an evaluation runs beside them."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class TTLCache(Generic[T]):
    """A small thread-safe cache with background refresh of stale entries."""

    def __init__(
        self,
        ttl: float,
        max_stale: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_stale = 4 * ttl if max_stale is None else max_stale
        self._clock = clock
        self._entries: dict[Hashable, Entry[T]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()
        self._guard = threading.Lock()
        self._background = ThreadPoolExecutor(
            1, thread_name_prefix="sloscope-cache", initializer=_lower_priority
        )
        self.hits = 0
        self.misses = 0

    def get(
        self,
        key: Hashable,
        make: Callable[[], T],
        fallback: Hashable | None = None,
        ahead: float = 0.0,
    ) -> T:
        """The value for ``key``: fresh from the cache; else a stale one (or ``fallback``'s,
        the previous minute's) while ``make`` runs in the background; else ``make()`` now.

        ``ahead``: seconds before an entry expires from which a hit already refreshes it in
        the background, and within which ``fallback``'s entry still stands for ``key``
        without an evaluation. Callers give each key a different figure, so entries made
        together (and a new minute's, all missing at once) are evaluated one at a time
        rather than in one burst; an answer is still never older than ``ttl``.
        """
        now = self._clock()
        entry = self._entry(key)
        if entry is not None and now - entry.made < self.ttl:
            self.hits += 1
            if now - entry.made >= self.ttl - ahead:
                self._refresh(key, make, self.ttl - ahead)
            return entry.value
        usable = self._usable(entry, now)
        if usable is None and fallback is not None:
            older = self._entry(fallback)
            if older is not None and now - older.made < self.ttl - ahead:
                self.hits += 1
                return older.value
            usable = self._usable(older, now)
        if usable is not None:
            self.hits += 1
            self._refresh(key, make, self.ttl)
            return usable.value
        return self._make(key, make, self.ttl)

    def _usable(self, entry: Entry[T] | None, now: float) -> Entry[T] | None:
        """``entry`` if it may still be served while a new value is made."""
        return entry if entry is not None and now - entry.made < self.max_stale else None

    def get_nowait(self, key: Hashable, make: Callable[[], T]) -> tuple[bool, T | None]:
        """``(True, value)`` when :meth:`get` would answer without calling ``make`` in
        this thread (a fresh entry, or a stale one while ``make`` runs in the
        background); ``(False, None)`` when only ``make()`` now could answer."""
        entry = self._entry(key)
        if entry is None:
            return False, None
        age = self._clock() - entry.made
        if age >= self.max_stale:
            return False, None
        self.hits += 1
        if age >= self.ttl:
            self._refresh(key, make, self.ttl)
        return True, entry.value

    def peek(self, key: Hashable) -> T | None:
        """The value for ``key`` if one younger than ``max_stale`` is cached (no refresh)."""
        entry = self._entry(key)
        if entry is None or self._clock() - entry.made >= self.max_stale:
            return None
        return entry.value

    def _entry(self, key: Hashable) -> Entry[T] | None:
        with self._guard:
            return self._entries.get(key)

    def _make(self, key: Hashable, make: Callable[[], T], fresh: float) -> T:
        """``make()`` stored for ``key``, unless another thread stored an entry younger
        than ``fresh`` seconds meanwhile."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._entry(key)
            if entry is not None and self._clock() - entry.made < fresh:
                return entry.value
            self.misses += 1
            value = make()
            self._store(key, value)
            return value

    def _store(self, key: Hashable, value: T) -> None:
        with self._guard:
            if key not in self._entries and len(self._entries) >= MAX_ENTRIES:
                oldest = min(self._entries, key=lambda k: self._entries[k].made)
                del self._entries[oldest]
                self._locks.pop(oldest, None)
            self._entries[key] = Entry(self._clock(), value)

    def _refresh(self, key: Hashable, make: Callable[[], T], fresh: float) -> None:
        with self._guard:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                self._make(key, make, fresh)
            except Exception as exc:  # the next request evaluates (and reports) it
                log.warning("background evaluation failed", error=type(exc).__name__)
            finally:
                with self._guard:
                    self._refreshing.discard(key)

        self._background.submit(run)

    def forget(self, key: Hashable) -> None:
        """Drop one entry."""
        with self._guard:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every entry (after new telemetry is ingested)."""
        with self._guard:
            self._entries.clear()

    def close(self) -> None:
        """Stop the background thread (pending refreshes are dropped)."""
        self._background.shutdown(wait=False, cancel_futures=True)
