"""Send Cases over httpx and record Exchanges: the only module that does I/O to a target.

Requests run in an event loop on a thread of their own (an anyio blocking portal), so every
request has a total deadline (a target trickling a byte a second never trips a read timeout),
several may be in flight at once, and all share one rate limit, budget and back-off.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

import anyio
import httpx
from anyio.from_thread import start_blocking_portal

from .model import Case, Exchange, Request, Response
from .signing import Tamper, request_uri
from .throttle import Exhausted, Limits, Throttle

MAX_RESPONSE_BYTES = 1 << 20
RETRY_HTTP = frozenset({429, 503})
Auth = Callable[[Tamper], httpx.Auth]


class Sender:
    """Sends cases to one base URL; a transport failure becomes a recorded Exchange."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        http: httpx.AsyncClient,
        base_url: str,
        auth: Auth,
        throttle: Throttle,
        timeout: float,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.loop, self.http, self.base_url, self.auth = loop, http, base_url, auth
        self.throttle, self.timeout, self.max_bytes = throttle, timeout, max_bytes

    @property
    def limits(self) -> Limits:
        return self.throttle.limits

    @property
    def requests(self) -> int:
        """Requests sent so far, re-sends included."""
        return self.throttle.sent

    def send(self, case: Case, path: str) -> Exchange:
        """Send one case (re-sending it after a back-off while the answer asks for that)."""
        self.throttle.check()
        return self.submit(case, path).result()

    def submit(self, case: Case, path: str) -> Future[Exchange]:
        """Start sending a case now (at most `workers` are in flight); the Future may raise
        Exhausted."""
        # Not the portal's start_task_soon, which waits for the loop: drawing goes on meanwhile.
        return asyncio.run_coroutine_threadsafe(self._send(case, path), self.loop)

    async def _send(self, case: Case, path: str) -> Exchange:
        attempt = 0
        async with self.throttle.inflight:
            while True:
                exchange = replace(await self._once(case, path), attempts=attempt + 1)
                delay = self._backoff(exchange, attempt)
                if delay is None:
                    return exchange
                attempt += 1
                if exchange.code == "REQUEST_TRAFFIC_EXCEED_LIMIT":
                    self.throttle.pause(delay)
                await anyio.sleep(delay)
                try:
                    self.throttle.check()
                except Exhausted:
                    return exchange

    def _backoff(self, ex: Exchange, attempt: int) -> float | None:
        """Seconds to wait before re-sending, or None to keep this answer."""
        limits = self.limits
        unknown = ex.result_status == "U" or (
            ex.response is not None and ex.response.status in RETRY_HTTP
        )
        if not unknown or attempt >= limits.retries:
            return None
        # Full jitter: workers backing off together must not come back together.
        delay = random.uniform(0, min(limits.backoff_max, limits.backoff * 2**attempt))
        after = ex.response.header("retry-after") if ex.response is not None else None
        if after is not None and after.strip().isdigit():
            delay = max(delay, min(float(after), limits.backoff_max))
        return delay

    async def _once(self, case: Case, path: str) -> Exchange:
        request, sent = self._sign(case, path)
        await self.throttle.acquire()
        started = time.monotonic()
        try:
            with anyio.fail_after(self.timeout):
                answer = await self.http.send(request, stream=True, follow_redirects=False)
                try:
                    body, truncated = await self._read(answer)
                finally:
                    await answer.aclose()
        except TimeoutError:
            return self._failed(
                case, sent, f"timeout: no complete answer within {self.timeout:g} s"
            )
        except httpx.TimeoutException as exc:
            return self._failed(case, sent, f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return self._failed(case, sent, f"{type(exc).__name__}: {exc}")
        self.throttle.answered(True)
        received = Response(
            headers=tuple(answer.headers.multi_items()),
            body=body,
            status=answer.status_code,
            elapsed=time.monotonic() - started,
            truncated=truncated,
        )
        return Exchange(case, sent, received)

    def _failed(self, case: Case, sent: Request, error: str) -> Exchange:
        self.throttle.answered(False)
        return Exchange(case, sent, None, error)

    def _sign(self, case: Case, path: str) -> tuple[httpx.Request, Request]:
        headers = {"Content-Type": case.content_type} if case.content_type is not None else {}
        request = self.http.build_request(
            case.method, self.base_url + path, content=case.body, headers=headers
        )
        if case.content_type is None:
            request.headers.pop("Content-Type", None)
        signed = next(self.auth(case.tamper).sync_auth_flow(request))
        sent = Request(
            headers=tuple(signed.headers.multi_items()),
            body=case.body,
            method=case.method,
            url=str(signed.url),
            uri=request_uri(signed.url),
        )
        return signed, sent

    async def _read(self, answer: httpx.Response) -> tuple[bytes, bool]:
        chunks, size = [], 0
        async for chunk in answer.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False


@contextmanager
def open_sender(
    base_url: str,
    auth: Auth,
    limits: Limits,
    timeout: float,
    verify: Any = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Iterator[Sender]:
    """A Sender with its event loop thread and connection pool, closed on exit."""
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal(name="conformance-client"))
        pool = httpx.Limits(
            max_connections=limits.workers, max_keepalive_connections=limits.workers
        )
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            verify=verify,
            limits=pool,
            transport=transport,
            follow_redirects=False,
        )
        stack.callback(portal.call, http.aclose)
        loop, throttle = portal.call(_in_loop, limits)
        yield Sender(loop, http, base_url, auth, throttle, timeout)


async def _in_loop(limits: Limits) -> tuple[asyncio.AbstractEventLoop, Throttle]:
    return asyncio.get_running_loop(), Throttle(limits)  # the throttle waits in this loop
