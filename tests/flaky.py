"""A seeded flaky network for tests: a proxy in front of a wallet that resets connections, answers
with a load balancer's pages and delays answers, as staging networks do."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

PAGE = (
    "<html><head><title>{0}</title></head><body><center><h1>{0} {1}</h1></center><hr>"
    "<center>nginx</center></body></html>"
)
REASONS = {502: "Bad Gateway", 504: "Gateway Time-out"}
# What the proxy did with a request; the first three are what the suite counts as disturbances.
DISTURBING = ("reset", "502", "504")


@dataclass(frozen=True)
class Weather:
    """The share of requests each misfortune befalls; the rest are forwarded at once."""

    reset: float = 0.0  # the connection is reset once the request is read
    bad_gateway: float = 0.0  # a 502 HTML page
    gateway_timeout: float = 0.0  # a 504 HTML page, after `delay`
    slow: float = 0.0  # forwarded, the answer held back for `delay`
    delay: float = 0.2


class FlakyProxy:
    """Forwards HTTP/1.1 requests (Content-Length bodies) to one upstream, each request's fate
    drawn in arrival order from a seeded random.Random; `fates` counts what it did."""

    def __init__(self, upstream: str, weather: Weather, seed: int) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.weather, self.random = weather, random.Random(seed)
        self.fates: Counter[str] = Counter()
        self.loop = asyncio.new_event_loop()
        self.url = ""

    @property
    def disturbed(self) -> int:
        """Requests the suite should have counted as disturbances."""
        return sum(self.fates[f] for f in DISTURBING)

    def fate(self) -> str:
        w, draw = self.weather, self.random.random()
        for name, share in (
            ("reset", w.reset),
            ("502", w.bad_gateway),
            ("504", w.gateway_timeout),
            ("slow", w.slow),
        ):
            if draw < share:
                return name
            draw -= share
        return "forward"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request = await _message(reader)
                fate = self.fate()
                self.fates[fate] += 1
                if fate == "reset":
                    return _reset(writer)
                if fate in ("502", "504"):
                    if fate == "504":
                        await asyncio.sleep(self.weather.delay)
                    writer.write(_page(int(fate)))
                    await writer.drain()
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection(*self.upstream)
                upstream[1].write(request)
                try:
                    answer = await _message(upstream[0])
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.fates["upstream dropped"] += 1
                    return _reset(writer)  # the wallet closed without an answer: so does the proxy
                if fate == "slow":
                    await asyncio.sleep(self.weather.delay)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return None  # the client closed its connection
        finally:
            writer.close()
            if upstream is not None:
                upstream[1].close()


async def _message(reader: asyncio.StreamReader) -> bytes:
    """One HTTP/1.1 message with its Content-Length body, as bytes."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head + await reader.readexactly(length)


def _page(status: int) -> bytes:
    body = PAGE.format(status, REASONS[status]).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\nServer: nginx\r\n"
        f"Content-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a proxy that drops a connection does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextmanager
def flaky(upstream: str, weather: Weather, seed: int) -> Iterator[FlakyProxy]:
    """The proxy listening on 127.0.0.1 (a port the OS chose) while the block runs."""
    proxy = FlakyProxy(upstream, weather, seed)
    loop = proxy.loop
    thread = threading.Thread(target=loop.run_forever, name="flaky-proxy", daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(
        asyncio.start_server(proxy.serve, "127.0.0.1", 0), loop
    ).result(timeout=10)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:

        async def stop() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
