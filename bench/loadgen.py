"""A lean, open-loop HTTP/1.1 load generator for the server benchmark (the role wrk2 plays).

Requests are due at a fixed rate (``rate`` per second, request ``i`` at ``start + i /
rate``) whatever the answers do, over a few keep-alive connections on one asyncio loop,
so the client spends a fraction of a millisecond of CPU per request and no thread waits
for another's turn at the interpreter lock. Each latency runs from the moment the request
was *due* to the last byte of its answer: a request that waited for a free connection or
for the loop counts that wait (no coordinated omission), which makes these figures
stricter than a client timing from the moment it actually sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Paced:
    """What a paced run measured: latencies (s, due to answered), the seconds from the
    first due time to the last answer, and the answers that were not 200."""

    latencies: list[float]
    elapsed: float
    failures: int


@dataclass(frozen=True)
class _Target:
    """Where the requests go and the headers they carry."""

    host: str
    port: int
    path: str
    headers: dict[str, str]

    def request(self, body: bytes) -> bytes:
        """One POST of ``body`` on a keep-alive connection."""
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += ["Connection: keep-alive", *(f"{k}: {v}" for k, v in self.headers.items())]
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
        return "\r\n".join(lines).encode("ascii") + body


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one answer (with a Content-Length, as the server's JSON answers have);
    its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, rest = head.partition(b"\r\n")
    length = 0
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _paced(
    target: _Target, bodies: Callable[[int], bytes], count: int, rate: float, connections: int
) -> Paced:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(target.host, target.port))
    latencies: list[float] = []
    failures = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(index: int) -> None:
        nonlocal failures
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        reader, writer = await pool.get()
        try:
            writer.write(target.request(bodies(index)))
            status = await _answer(reader)
        finally:
            pool.put_nowait((reader, writer))
        latencies.append(loop.time() - due)
        failures += status != 200

    await asyncio.gather(*(one(i) for i in range(count)))
    elapsed = loop.time() - start
    while not pool.empty():
        _, writer = pool.get_nowait()
        writer.close()
    return Paced(latencies, elapsed, failures)


def paced_posts(
    port: int,
    path: str,
    bodies: Callable[[int], bytes],
    headers: dict[str, str],
    *,
    count: int,
    rate: float,
    connections: int = 16,
    host: str = "127.0.0.1",
) -> tuple[Paced, float]:
    """POST ``bodies(i)`` to ``path`` ``count`` times at ``rate`` per second; what was
    measured and the client's own CPU seconds."""
    began = time.process_time()
    target = _Target(host, port, path, headers)
    measured = asyncio.run(_paced(target, bodies, count, rate, connections))
    return measured, time.process_time() - began
