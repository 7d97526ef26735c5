"""The forwarder: a reverse proxy that passes every byte through and reports what it saw.

The client side is parsed with h11 and the upstream is reached with httpcore, so header names keep
their case, the request-target and both bodies go through unchanged, and nothing is added but the
framing HTTP/1.1 needs. Only hop-by-hop headers are dropped, Host names the upstream, and an
absolute-form target goes on in origin-form.

Clients are held to the bounds of `ProxyLimits`: a connection that waits too long for its next
request,
or trickles its head or its body, is closed. At the connection cap, the connection idle the longest
(no request begun) is closed to make room; when none is idle, the new one is closed as it arrives.
A request whose framing is ambiguous is refused with 400 and its connection closed. Each such close
is counted for the report and told on stderr in one rate-limited line.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import h11
import httpcore

from conformance import signing
from conformance.observe.bounds import ProxyLimits
from conformance.observe.throttled import Throttled
from conformance.observe.traffic import (
    CHUNK,
    CLOSED,
    PIPELINED,
    Headers,
    Kept,
    Observed,
    ambiguous,
    forwarded,
)

_QUOTED = re.compile(r"\s*b?['\"].*", re.DOTALL)  # h11 quotes the offending bytes: never shown


class Proxy:
    """Serves connections; each request goes to the upstream and each exchange to `report`."""

    def __init__(
        self,
        upstream: str,
        timeout: float,
        verify: ssl.SSLContext | None,
        report: Callable[[Observed], None],
        limits: ProxyLimits | None = None,
        log: Throttled | None = None,
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
        self.limits = limits or ProxyLimits()
        self.log = log or Throttled(self.limits.log_every)
        self.closed: Counter[str] = Counter(dict.fromkeys(CLOSED, 0))
        self.waiting: dict[asyncio.Task[None], None] = {}  # idle connections, the longest first
        self.reclaimed: set[asyncio.Task[None]] = set()  # idle ones closed to make room

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: requests in turn, until either side closes."""
        task = asyncio.current_task()
        if len(self.active) >= self.limits.connections and self.waiting:
            # Idle connections cost an attacker nothing: one gives way to a client that came.
            oldest = next(iter(self.waiting))
            self.waiting.pop(oldest)
            self.reclaimed.add(oldest)
            oldest.cancel()
        elif len(self.active) >= self.limits.connections:
            # Closed before a byte is read: the connections already open keep being served.
            self.closed["refused"] += 1
            self.log(
                "connection cap",
                f"{len(self.active)} client connections open (--max-connections): "
                "a new one was closed",
            )
            writer.close()
            return
        if task is not None:
            self.active.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event = await self._head(conn, reader)
                if not isinstance(event, h11.Request):
                    break
                if problem := ambiguous(tuple(event.headers.raw_items())):
                    raise h11.RemoteProtocolError(problem, error_status_hint=400)
                await self._exchange(conn, event, reader, writer)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break
                conn.start_next_cycle()
        except Idle:
            self.closed["idle"] += 1  # a client's own keep-alive ending: nothing to tell
        except TooSlow as exc:
            self.closed[exc.part] += 1
            self.log("slow client", str(exc))
            _refuse(writer, 408)
        except h11.RemoteProtocolError as exc:
            # Not HTTP the proxy can forward: answered here, the upstream never sees it. RFC 9112
            # §6.3: a Transfer-Encoding whose final coding is not chunked is a 400 (h11's 501).
            status = 400 if exc.error_status_hint == 501 else exc.error_status_hint
            self.closed["malformed"] += 1
            self.log("malformed request", f"refused with {status}: {_QUOTED.sub('', str(exc))}")
            _refuse(writer, status)
        except (ConnectionError, OSError, h11.LocalProtocolError):
            pass
        except asyncio.CancelledError:
            # The session ended (its exchange reported as aborted), or the connection was idle
            # at the cap and gave way.
            if task in self.reclaimed:
                self.closed["idle"] += 1
        except Exception as exc:  # noqa: BLE001 (one line, never a traceback; the proxy goes on)
            self.log("unexpected error", f"{type(exc).__name__}: {exc}")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self.active.discard(task)
                self.waiting.pop(task, None)
                self.reclaimed.discard(task)

    async def _head(self, conn: h11.Connection, reader: asyncio.StreamReader) -> object:
        """The next request's head: its first byte within `idle`, the rest within `head`."""
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        begun = bool(conn.trailing_data[0])  # pipelined bytes: the request has begun
        until = loop.time() + (self.limits.head if begun else self.limits.idle)
        if not begun and task is not None:
            self.waiting[task] = None
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                async with asyncio.timeout_at(until):
                    data = await reader.read(CHUNK)
            except TimeoutError:
                if not begun:
                    raise Idle from None
                raise TooSlow("slow_head", self.limits.head) from None
            if data and not begun:
                begun, until = True, loop.time() + self.limits.head
                if task is not None:
                    self.waiting.pop(task, None)
            conn.receive_data(data)

    async def _next(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        until: float,
    ) -> object:
        """The next event of a request's body, its whole body due by `until` (loop time)."""
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            if conn.they_are_waiting_for_100_continue:
                go_on = h11.InformationalResponse(status_code=100, headers=[])
                writer.write(conn.send(go_on) or b"")
            try:
                async with asyncio.timeout_at(until):
                    data = await reader.read(CHUNK)
            except TimeoutError:
                raise TooSlow("slow_body", self.limits.body) from None
            conn.receive_data(data)

    async def _body(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        kept: Kept,
        until: float,
    ) -> AsyncIterator[bytes]:
        while True:
            event = await self._next(conn, reader, writer, until)
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
        until = asyncio.get_running_loop().time() + self.limits.body
        content = self._body(conn, reader, writer, sent, until) if framed else None
        sending = time.monotonic()
        try:
            if content is None:
                await self._next(conn, reader, writer, until)  # its EndOfMessage
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
            if isinstance(exc, TooSlow):
                raise
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


class TooSlow(ClientAborted):
    """The client did not send its request's head, or its body, within the limit."""

    def __init__(self, part: str, limit: float) -> None:
        what = "headers" if part == "slow_head" else "body"
        super().__init__(f"request {what} not complete within {limit:g} s: connection closed")
        self.part = part


class Idle(Exception):
    """No request began within the idle timeout: the connection is closed."""


def _refuse(writer: asyncio.StreamWriter, status: int) -> None:
    """Answer a request the proxy will not forward; the connection closes after it."""
    try:
        reason = HTTPStatus(status).phrase.encode()
    except ValueError:
        reason = b""
    head = b"HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    with contextlib.suppress(Exception):
        writer.write(head % (status, reason))


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
    """Wait for the client to close while its answer is on its way (pipelined bytes are kept,
    up to PIPELINED: then the proxy stops reading, and TCP holds the client back)."""
    while len(conn.trailing_data[0]) < PIPELINED:
        data = await reader.read(CHUNK)
        if not data:
            return True
        conn.receive_data(data)
    await asyncio.Event().wait()  # until the answer is relayed and this wait cancelled
    return False


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
