"""Send Cases and record Exchanges: the only module that sends requests to a target.

Requests run as tasks of an event loop that the calling thread drives itself, only while it
waits for an answer (or briefly after starting a request): no second thread, so no hand-off of
each request and answer between threads and no contest for the interpreter lock. Every request
has a total deadline (a target trickling a byte a second never trips a read timeout), several may
be in flight at once, and all share one rate limit, budget and back-off.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import ssl
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance import __version__
from conformance.core.model import Case, Disturbance, Exchange, Request, Response
from conformance.signing import RSA256Auth, Tamper, request_uri
from conformance.transport import wire
from conformance.transport.disturbance import disturbance, kind
from conformance.transport.throttle import Exhausted, Limits, Throttle

MAX_RESPONSE_BYTES = 1 << 20
RETRY_HTTP = frozenset({429, 503})
# Loop iterations one spin may run: enough for a new request to reach the socket.
SPIN_ROUNDS = 8
Auth = Callable[[Tamper], RSA256Auth]
# Headers every request carries before its own. The answer is judged as the bytes the wallet sent
# and signed, so no content coding is accepted.
COMMON = (
    ("Accept", "*/*"),
    ("Accept-Encoding", "identity"),
    ("Connection", "keep-alive"),
    ("User-Agent", f"mpp-conformance/{__version__}"),
)

if importlib.util.find_spec("sniffio") is None:
    # httpcore asks sniffio which async library runs for every lock and event it makes (four a
    # request through httpx's pool: a proxied origin, the reference wallet's own client); without
    # sniffio each ask is a failed import that searches sys.path again, measured at 0.4 ms, 1.6 ms
    # a request. None in sys.modules makes that import fail at once (5 us), and httpcore then
    # assumes asyncio, as is the case. tests/test_sender_loop.py shows both.
    sys.modules["sniffio"] = None  # type: ignore[assignment]


@cache
def default_tls() -> ssl.SSLContext:
    """httpx's default verification, made once: loading the CA bundle takes tens of ms a client."""
    return httpx.create_ssl_context()


def has_ready(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether callbacks wait to run in the loop's next iteration.

    asyncio has no public way to ask, so this reads CPython's private queue of ready callbacks
    (`BaseEventLoop._ready`). A loop without it counts as always ready: spin() then runs all its
    rounds, slower (measured idle: 0.34 ms against 0.02 ms for one round) but never wrong.
    tests/test_sender_loop.py fails if the queue stops meaning this.
    """
    return bool(getattr(loop, "_ready", True))


class Answer:
    """A request under way; result() drives the client's loop until it is answered."""

    __slots__ = ("sender", "task")

    def __init__(self, sender: Sender, task: asyncio.Task[Exchange]) -> None:
        self.sender, self.task = sender, task

    def done(self) -> bool:
        return self.task.done()

    def result(self) -> Exchange:
        """The exchange (raises Exhausted when the run may send no more)."""
        if self.task.done():
            self.sender.spin()  # answers that arrived meanwhile free slots for the next requests
            return self.task.result()
        return self.sender.loop.run_until_complete(self.task)


class Sender:
    """Sends cases to one base URL; a transport failure becomes a recorded Exchange."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        http: wire.Transport,
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
        return self.loop.run_until_complete(self._send(case, path))

    def submit(self, case: Case, path: str) -> Answer:
        """Start sending a case (at most `workers` are in flight); its result may raise
        Exhausted."""
        answer = Answer(self, self.loop.create_task(self._send(case, path)))
        self.spin()  # on the wire now, so the target works while the caller draws the next case
        return answer

    def spin(self) -> None:
        """Run what is ready in the loop, without waiting: requests started, answers read."""
        loop = self.loop
        for _ in range(SPIN_ROUNDS):
            loop.call_soon(loop.stop)
            loop.run_forever()  # one iteration: the ready callbacks and the I/O polled at once
            if not has_ready(loop):
                return

    def drain(self, answers: Iterable[Answer]) -> None:
        """Let started requests finish, their results unused.

        Cancelling a request mid-exchange can leave its pooled connection half-used, and the
        next request on it would stall or read another's answer; the total deadline bounds this.
        """
        for answer in answers:
            if not answer.done():
                self.loop.run_until_complete(asyncio.wait((answer.task,)))
            if not answer.task.cancelled():
                answer.task.exception()  # retrieved: a run that stopped raised Exhausted already

    @property
    def disturbed(self) -> Counter[str]:
        """Attempts the network spoiled so far, per kind (each was re-sent)."""
        return self.throttle.disturbed

    async def _send(self, case: Case, path: str) -> Exchange:
        attempt, spoiled = 0, list[Disturbance]()
        async with self.throttle.inflight:
            while True:
                exchange = replace(
                    await self._once(case, path),
                    attempts=attempt + 1,
                    disturbances=tuple(spoiled),
                )
                delay = self._backoff(exchange, attempt)
                if delay is None:
                    return exchange
                if (found := disturbance(exchange)) is not None:
                    spoiled.append(found)
                    self.throttle.disturbed[found.kind] += 1
                attempt += 1
                if exchange.code == "REQUEST_TRAFFIC_EXCEED_LIMIT":
                    self.throttle.pause(delay)
                await asyncio.sleep(delay)
                try:
                    self.throttle.check()
                except Exhausted:
                    return exchange

    def _backoff(self, ex: Exchange, attempt: int) -> float | None:
        """Seconds to wait before re-sending, or None to keep this answer."""
        limits = self.limits
        # The wallet's own "retry with the same parameters", or no answer of the wallet's at all.
        unknown = ex.result_status == "U" or (
            ex.response is not None and ex.response.status in RETRY_HTTP
        )
        if not (unknown or kind(ex) is not None) or attempt >= limits.retries:
            return None
        # Full jitter: workers backing off together must not come back together.
        delay = random.uniform(0, min(limits.backoff_max, limits.backoff * 2**attempt))
        after = ex.response.header("retry-after") if ex.response is not None else None
        if after is not None and after.strip().isdigit():
            delay = max(delay, min(float(after), limits.backoff_max))
        return delay

    async def _once(self, case: Case, path: str) -> Exchange:
        sent = self._sign(case, path)
        await self.throttle.acquire()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self.http.exchange(
                    sent.method, sent.url, list(sent.headers), sent.body, self.max_bytes
                )
        except TimeoutError:
            return self._failed(
                case, sent, f"timeout: no complete answer within {self.timeout:g} s"
            )
        except wire.Timeout as exc:
            return self._failed(case, sent, f"timeout: {exc.name}")
        except wire.Failure as exc:
            return self._failed(case, sent, f"{exc.name}: {exc}")
        self.throttle.answered(True)
        received = Response(
            headers=answer.headers,
            body=answer.body,
            status=answer.status,
            elapsed=time.monotonic() - started,
            truncated=answer.truncated,
        )
        return Exchange(case, sent, received)

    def _failed(self, case: Case, sent: Request, error: str) -> Exchange:
        self.throttle.answered(False)
        return Exchange(case, sent, None, error)

    def _sign(self, case: Case, path: str) -> Request:
        """The request exactly as it will cross the wire: framing headers, then the signature."""
        url = self.base_url + path
        uri = request_uri(url)
        headers = [("Host", _host(self.base_url)), *COMMON]
        if case.content_type is not None:
            headers.append(("Content-Type", case.content_type))
        headers.append(("Content-Length", str(len(case.body))))
        headers += self.auth(case.tamper).headers_for(case.method, uri, case.body).items()
        return Request(headers=tuple(headers), body=case.body, method=case.method, url=url, uri=uri)


@cache
def _host(base_url: str) -> str:
    return urlsplit(base_url).netloc.rpartition("@")[2]


@contextmanager
def open_sender(
    base_url: str,
    auth: Auth,
    limits: Limits,
    timeout: float,
    verify: Any = True,
    only: wire.Transport | None = None,
) -> Iterator[Sender]:
    """A Sender with its event loop and connections, closed on exit."""
    if verify is True:
        verify = default_tls()
    loop = asyncio.new_event_loop()
    http = wire.open_transport(verify, limits.workers, timeout, min(timeout, 5.0), only)
    try:
        yield Sender(loop, http, base_url, auth, Throttle(limits), timeout)
    finally:
        try:
            left = asyncio.all_tasks(loop)  # under way when the run was interrupted
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.wait(left))
            loop.run_until_complete(http.aclose())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
