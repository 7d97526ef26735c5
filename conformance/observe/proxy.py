"""The forwarder: a reverse proxy that passes every byte through and reports what it saw.

The client side is parsed with h11 and the upstream is reached with httpcore, so header names keep
their case, the request-target and both bodies go through unchanged, and nothing is added but the
framing HTTP/1.1 needs. Only hop-by-hop headers are dropped, Host names the upstream, and an
absolute-form target goes on in origin-form.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11
import httpcore

from .. import signing
from .wire import CHUNK, Headers, Kept, Observed, forwarded


class Proxy:
    """Serves connections; each request goes to the upstream and each exchange to `report`."""

    def __init__(
        self,
        upstream: str,
        timeout: float,
        verify: ssl.SSLContext | None,
        report: Callable[[Observed], None],
    ) -> None:
        parts = urlsplit(upstream)
        self.scheme = parts.scheme.encode()
        self.host = (parts.hostname or "").encode()
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.authority, self.base = parts.netloc.encode(), upstream
        self.timeout, self.report = timeout, report
        self.pool = httpcore.AsyncConnectionPool(
            ssl_context=verify, max_connections=256, keepalive_expiry=30.0
        )
        self.numbers = itertools.count(1)
        self.active: set[asyncio.Task[None]] = set()
        self.inflight = 0  # exchanges between their request head and their report

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: requests in turn, until either side closes."""
        task = asyncio.current_task()
        if task is not None:
            self.active.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event = await self._next(conn, reader, writer)
                if not isinstance(event, h11.Request):
                    break
                await self._exchange(conn, event, reader, writer)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break
                conn.start_next_cycle()
        except h11.RemoteProtocolError as exc:
            # Not HTTP the proxy can forward: answered here, the upstream never sees it.
            with contextlib.suppress(Exception):
                bad = h11.Response(
                    status_code=exc.error_status_hint, headers=[(b"Content-Length", b"0")]
                )
                writer.write(conn.send(bad) or b"")
                writer.write(conn.send(h11.EndOfMessage()) or b"")
        except (ConnectionError, OSError, h11.LocalProtocolError):
            pass
        except asyncio.CancelledError:
            pass  # the session ended: this connection closes (its exchange reported as aborted)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self.active.discard(task)

    async def _next(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> object:
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            if conn.they_are_waiting_for_100_continue:
                go_on = h11.InformationalResponse(status_code=100, headers=[])
                writer.write(conn.send(go_on) or b"")
            conn.receive_data(await reader.read(CHUNK))

    async def _body(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        kept: Kept,
    ) -> AsyncIterator[bytes]:
        while True:
            event = await self._next(conn, reader, writer)
            if isinstance(event, h11.Data):
                kept.add(bytes(event.data))
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise ClientAborted("the client closed the connection before its request ended")

    async def _exchange(
        self,
        conn: h11.Connection,
        request: h11.Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        arrived, started, number = time.monotonic(), time.time(), next(self.numbers)
        self.inflight += 1
        raw = tuple(request.headers.raw_items())
        received = bytes(request.target).decode("latin-1")
        # RFC 9112 §3.2: the absolute-form is for a request to a proxy; to an origin server a
        # client sends the origin-form. Its authority names this proxy, and an origin server takes
        # the host from an absolute target, ignoring the Host rewritten for it: so the origin-form.
        target = signing.origin_form(received).encode("latin-1")
        url = httpcore.URL(scheme=self.scheme, host=self.host, port=self.port, target=target)
        sent, body, answer = Kept(), Kept(), _Answer()
        # A request without Content-Length or Transfer-Encoding has no body: none is framed for it.
        framed = any(n.lower() in (b"content-length", b"transfer-encoding") for n, _ in raw)
        content = self._body(conn, reader, writer, sent) if framed else None
        sending = time.monotonic()
        try:
            if content is None:
                await self._next(conn, reader, writer)  # its EndOfMessage
            async with asyncio.timeout(self.timeout):
                async with self.pool.stream(
                    request.method, url, headers=forwarded(raw, self.authority), content=content
                ) as response:
                    answer.head = time.monotonic()
                    answer.status, answer.headers = response.status, tuple(response.headers)
                    reason = response.extensions.get("reason_phrase", b"")
                    gone = asyncio.ensure_future(_closed(conn, reader))
                    await asyncio.sleep(0)  # a client that already left is seen before relaying
                    try:
                        await self._relay(conn, writer, response, reason, body, answer, gone)
                    finally:
                        gone.cancel()
        except ClientAborted as exc:
            answer.error, answer.aborted = str(exc), True
        except h11.RemoteProtocolError:
            answer.error, answer.aborted = "the client's request broke HTTP/1.1 framing", True
            raise
        except asyncio.CancelledError:
            answer.error, answer.aborted = "the session ended before this exchange did", True
            raise
        except TimeoutError:
            answer.error = (
                f"timeout: no complete answer from the upstream within {self.timeout:g} s"
            )
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            answer.error = f"{type(exc).__name__}: {exc or 'no detail'}"
        except (httpcore.UnsupportedProtocol, httpcore.ProxyError, ssl.SSLError) as exc:
            answer.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.inflight -= 1
            self.report(
                Observed(
                    number,
                    request.method.decode("latin-1"),
                    received,
                    self.base + target.decode("latin-1"),
                    raw,
                    bytes(sent.data),
                    answer.status if answer.error is None else None,
                    answer.headers,
                    bytes(body.data),
                    body.truncated,
                    answer.error,
                    answer.delivered,
                    started,
                    arrived,
                    time.monotonic(),
                    (answer.last or time.monotonic()) - sending,
                    (sending - arrived) + answer.added,
                    answer.aborted,
                )
            )
        if answer.error is not None:
            # The upstream's failure passes through: the client gets no complete answer either.
            raise ConnectionError(answer.error)

    async def _relay(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        response: httpcore.Response,
        reason: bytes,
        body: Kept,
        answer: _Answer,
        gone: asyncio.Future[bool],
    ) -> None:
        """Stream the upstream's answer to the client (kept for judging even if the client left)."""
        open_ = not gone.done()
        head = h11.Response(
            status_code=response.status, headers=forwarded(answer.headers), reason=reason
        )
        open_ = await _write(writer, conn.send(head), open_, gone)
        answer.added += time.monotonic() - answer.head
        async for chunk in response.aiter_stream():
            got = time.monotonic()
            body.add(chunk)
            open_ = await _write(writer, conn.send(h11.Data(data=chunk)), open_, gone)
            answer.added += time.monotonic() - got
        answer.last = time.monotonic()
        open_ = await _write(writer, conn.send(h11.EndOfMessage()), open_, gone)
        answer.added += time.monotonic() - answer.last
        answer.delivered = open_
        if not open_:
            raise ConnectionError("the client left before the answer was delivered")


class ClientAborted(ConnectionError):
    """The client closed its connection before its request was complete."""


@dataclass
class _Answer:
    aborted: bool = False
    status: int | None = None
    headers: Headers = ()
    error: str | None = None
    delivered: bool = False
    head: float = 0.0
    last: float = 0.0
    added: float = 0.0


async def _closed(conn: h11.Connection, reader: asyncio.StreamReader) -> bool:
    """Wait for the client to close while its answer is on its way (pipelined bytes are kept)."""
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return True
        conn.receive_data(data)


async def _write(
    writer: asyncio.StreamWriter, data: bytes | None, open_: bool, gone: asyncio.Future[bool]
) -> bool:
    """Write to the client while it listens; False once it has gone."""
    if not open_ or gone.done():
        return False
    try:
        writer.write(data or b"")
        await writer.drain()
    except (ConnectionError, OSError):
        return False
    return True
