"""Send Cases over httpx and record Exchanges: the only module that does I/O to a target.

Requests run in an event loop on a thread of their own (an anyio blocking portal), so every
request has a total deadline (a target trickling a byte a second never trips a read timeout),
several may be in flight at once, and all share one rate limit, budget and back-off.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

import anyio
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from .model import Case, Exchange, Request, Response
from .signing import Tamper, request_uri
from .throttle import Exhausted, Limits, Throttle

MAX_RESPONSE_BYTES = 1 << 20
RETRY_HTTP = frozenset({429, 503})
Auth = Callable[[Tamper], httpx.Auth]


class Sender:
    """Sends cases to one base URL; a transport failure becomes a recorded Exchange."""

    def __init__(self, portal: BlockingPortal, http: httpx.AsyncClient, base_url: str, auth: Auth,
                 throttle: Throttle, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.portal, self.http, self.base_url, self.auth = portal, http, base_url, auth
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
        return self.portal.call(self._send, case, path)

    def send_all(self, cases: Sequence[tuple[Case, str]]) -> list[Exchange | Exhausted]:
        """Send many cases, up to `workers` at a time; an unsent case yields Exhausted instead."""
        futures: list[Future[Exchange]] = [self.portal.start_task_soon(self._send, c, p) for c, p in cases]
        out: list[Exchange | Exhausted] = []
        for f in futures:
            try:
                out.append(f.result())
            except Exhausted as exc:
                out.append(exc)
        return out

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
        unknown = ex.status == "U" or (ex.response is not None and ex.response.status in RETRY_HTTP)
        if not unknown or attempt >= limits.retries:
            return None
        # Full jitter: workers backing off together must not come back together.
        delay = random.uniform(0, min(limits.backoff_max, limits.backoff * 2 ** attempt))
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
            return self._failed(case, sent, f"timeout: no complete answer within {self.timeout:g} s")
        except httpx.TimeoutException as exc:
            return self._failed(case, sent, f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return self._failed(case, sent, f"{type(exc).__name__}: {exc}")
        self.throttle.answered(True)
        received = Response(headers=tuple(answer.headers.multi_items()), body=body, status=answer.status_code,
                            elapsed=time.monotonic() - started, truncated=truncated)
        return Exchange(case, sent, received)

    def _failed(self, case: Case, sent: Request, error: str) -> Exchange:
        self.throttle.answered(False)
        return Exchange(case, sent, None, error)

    def _sign(self, case: Case, path: str) -> tuple[httpx.Request, Request]:
        headers = {"Content-Type": case.content_type} if case.content_type is not None else {}
        request = self.http.build_request(case.method, self.base_url + path, content=case.body, headers=headers)
        if case.content_type is None:
            request.headers.pop("Content-Type", None)
        signed = next(self.auth(case.tamper).sync_auth_flow(request))
        sent = Request(headers=tuple(signed.headers.multi_items()), body=case.body, method=case.method,
                       url=str(signed.url), uri=request_uri(signed.url))
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
def open_sender(base_url: str, auth: Auth, limits: Limits, timeout: float, verify: Any = True,
                transport: httpx.AsyncBaseTransport | None = None) -> Iterator[Sender]:
    """A Sender with its event loop thread and connection pool, closed on exit."""
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal(name="conformance-client"))
        pool = httpx.Limits(max_connections=limits.workers, max_keepalive_connections=limits.workers)
        http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), verify=verify,
                                 limits=pool, transport=transport, follow_redirects=False, trust_env=False)
        stack.callback(portal.call, http.aclose)
        throttle = portal.call(_make_throttle, limits)
        yield Sender(portal, http, base_url, auth, throttle, timeout)


async def _make_throttle(limits: Limits) -> Throttle:
    return Throttle(limits)  # made inside the loop it will wait in
