"""The one owner of "a ``with`` block closes it": the base of every object that holds a
connection or a client (state store, telemetry store, Prometheus source and its fake).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Closing(ABC):
    """An object with a :meth:`close`: ``with`` gives the object itself and closes it on
    the way out, error or not."""

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
