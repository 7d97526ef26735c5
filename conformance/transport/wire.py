"""HTTP/1.1 exchanges with one origin: the bytes of a request exactly as recorded, the answer as
received. One home for how the suite's requests cross the wire.

`Wire` frames with h11 over asyncio streams and keeps idle connections for reuse. A request costs
about a tenth of the CPU it costs through httpx's client and connection pool, which matters when a
run sends thousands of them. `Httpx` sends the same requests through httpx, for the targets the
wire does not reach: an origin behind a proxy set in the environment. The project's own tests hand
them to the embedded servers in-process instead (`loopback.Loopback`, a `Transport` too). All raise
`Failure`, named after the step that failed (ConnectError, ReadError, RemoteProtocolError, ...) as
httpx names it, so a diagnosis reads the same either way.
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
import ssl
import urllib.request
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import h11
import httpx

from conformance.signing import request_uri

READ_CHUNK = 64 * 1024
NO_RESPONSE = "Server disconnected without sending a response."


@dataclass(frozen=True)
class Received:
    """An answer as received: header names in their received case."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool  # the body was longer than the bound and was cut there


class Failure(Exception):
    """No complete answer; `name` says at which step (an httpx exception's name)."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name


class Timeout(Failure):
    """A step's own deadline passed (ConnectTimeout, ReadTimeout, ...)."""


class Transport(Protocol):
    async def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, max_bytes: int
    ) -> Received: ...

    async def aclose(self) -> None: ...


def _reason(exc: BaseException) -> str:
    """An OS error as the system names it ("[Errno 111] Connection refused"); asyncio's own
    wording ("Connect call failed") names no cause."""
    plain = isinstance(exc, OSError) and not isinstance(exc, (ssl.SSLError, socket.gaierror))
    if plain and isinstance(exc, OSError) and exc.errno is not None and exc.errno > 0:
        return f"[Errno {exc.errno}] {os.strerror(exc.errno)}"
    return str(exc) or type(exc).__name__


class _Connection:
    __slots__ = ("h11", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)

    def idle_and_open(self) -> bool:
        """Whether this kept connection can carry another request: the server has not closed it
        (an idle connection that reads as ready holds only its end, or stray bytes)."""
        if self.reader.at_eof() or self.writer.is_closing():
            return False
        sock = self.writer.get_extra_info("socket")
        try:
            ready, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not ready

    def close(self) -> None:
        self.writer.close()


Origin = tuple[str, str, int]  # scheme, host, port


def origin(url: str) -> Origin:
    parts = urlsplit(url)
    return (
        parts.scheme,
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
    )


class Wire:
    """Requests over kept-alive connections to each origin, at most one request on each at once."""

    def __init__(self, tls: ssl.SSLContext, connect_timeout: float) -> None:
        self.tls, self.connect_timeout = tls, connect_timeout
        self.idle: dict[Origin, list[_Connection]] = {}

    async def _connect(self, where: Origin) -> _Connection:
        idle = self.idle.setdefault(where, [])
        while idle:
            kept = idle.pop()
            if kept.idle_and_open():
                return kept
            kept.close()
        scheme, host, port = where
        tls = self.tls if scheme == "https" else None
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=READ_CHUNK
                )
        except TimeoutError:
            raise Timeout("ConnectTimeout", "no connection within the connect timeout") from None
        except OSError as exc:
            raise Failure("ConnectError", _reason(exc)) from None
        return _Connection(reader, writer)

    async def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, max_bytes: int
    ) -> Received:
        where = origin(url)
        conn = await self._connect(where)
        kept = False
        try:
            reply = await self._over(conn, method, url, headers, body, max_bytes)
            kept = self._keep(conn)
            if kept:
                self.idle[where].append(conn)
            return reply
        finally:
            if not kept:  # failed, cancelled by the deadline, cut, or closed by the server
                conn.close()

    async def _over(
        self,
        conn: _Connection,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        max_bytes: int,
    ) -> Received:
        target = request_uri(url)  # the same Request-URI the signature covers
        try:
            out = conn.h11.send(h11.Request(method=method, target=target, headers=headers))
            out += conn.h11.send(h11.Data(data=body)) if body else b""
            out += conn.h11.send(h11.EndOfMessage())
        except (h11.LocalProtocolError, UnicodeEncodeError) as exc:  # a header h11 cannot write
            raise Failure("LocalProtocolError", str(exc)) from None
        try:
            conn.writer.write(out)
            await conn.writer.drain()
        except OSError as exc:
            raise Failure("WriteError", _reason(exc)) from None
        head: h11.Response | None = None
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = conn.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise Failure("RemoteProtocolError", str(exc)) from None
            if event is h11.NEED_DATA:
                try:
                    data = await conn.reader.read(READ_CHUNK)
                except OSError as exc:
                    raise Failure("ReadError", _reason(exc)) from None
                if not data and head is None:
                    raise Failure("RemoteProtocolError", NO_RESPONSE)
                conn.h11.receive_data(data)
            elif isinstance(event, h11.Response):
                head = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
                size += len(event.data)
                if size > max_bytes:
                    assert head is not None
                    return _reply(head, b"".join(chunks)[:max_bytes], truncated=True)
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return _reply(head, b"".join(chunks), truncated=False)
            elif isinstance(event, h11.ConnectionClosed):
                raise Failure(
                    "RemoteProtocolError", "Server disconnected without sending a response."
                )
            # an InformationalResponse (1xx) precedes the answer: read on

    @staticmethod
    def _keep(conn: _Connection) -> bool:
        # A cut answer leaves the server's side unfinished, so its connection is never kept.
        if conn.h11.our_state is not h11.DONE or conn.h11.their_state is not h11.DONE:
            return False
        conn.h11.start_next_cycle()
        return True

    async def aclose(self) -> None:
        for idle in self.idle.values():
            for conn in idle:
                conn.close()
        self.idle.clear()


def _reply(head: h11.Response, body: bytes, truncated: bool) -> Received:
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers.raw_items())
    return Received(head.status_code, headers, body, truncated)


def from_httpx(answer: httpx.Response, body: bytes, max_bytes: int) -> Received:
    """An httpx answer as received: header names in their received case, the body cut at the
    bound."""
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers.raw)
    return Received(answer.status_code, headers, body[:max_bytes], len(body) > max_bytes)


class Httpx:
    """The same exchange through httpx: environment proxies, or a transport of the tests'."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, max_bytes: int
    ) -> Received:
        request = httpx.Request(method, url, headers=headers, content=body)
        try:
            answer = await self.client.send(request, stream=True, follow_redirects=False)
            try:
                chunks, size = [], 0
                async for chunk in answer.aiter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        break
            finally:
                await answer.aclose()
        except httpx.TimeoutException as exc:
            raise Timeout(type(exc).__name__, str(exc)) from None
        except httpx.HTTPError as exc:
            raise Failure(type(exc).__name__, str(exc)) from None
        return from_httpx(answer, b"".join(chunks), max_bytes)

    async def aclose(self) -> None:
        await self.client.aclose()


class Routes:
    """The wire to every origin it reaches; httpx for an origin behind a proxy the environment
    sets; everything to `only` when the tests give one (their in-process servers)."""

    def __init__(self, direct: Wire, via_httpx: Httpx, only: Transport | None = None) -> None:
        self.direct, self.via_httpx, self.only = direct, via_httpx, only
        self.proxied: dict[Origin, bool] = {}

    def _route(self, url: str) -> Transport:
        if self.only is not None:
            return self.only
        where = origin(url)
        if where not in self.proxied:
            self.proxied[where] = _proxied(where)
        return self.via_httpx if self.proxied[where] else self.direct

    async def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, max_bytes: int
    ) -> Received:
        return await self._route(url).exchange(method, url, headers, body, max_bytes)

    async def aclose(self) -> None:
        await self.direct.aclose()
        await self.via_httpx.aclose()
        if self.only is not None:
            await self.only.aclose()


def _proxied(where: Origin) -> bool:
    """Whether the environment routes this origin through a proxy (HTTPS_PROXY, NO_PROXY)."""
    proxies = urllib.request.getproxies()
    if where[0] not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(where[1])


def open_transport(
    tls: ssl.SSLContext,
    workers: int,
    timeout: float,
    connect_timeout: float,
    only: Transport | None = None,
) -> Routes:
    """The routes of a run's requests; `only` (the tests' in-process servers) takes them all."""
    pool = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        verify=tls,
        limits=pool,
        follow_redirects=False,
    )
    return Routes(Wire(tls, connect_timeout), Httpx(client), only)
