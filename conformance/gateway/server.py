"""The mock Alipay+ gateway: serves prepareAuthInfo, records every request and replies per
scenario."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import h11
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from conformance import signing
from conformance.core.model import Case, Exchange, Expect, Request
from conformance.core.model import Response as Answer
from conformance.gateway import replies
from conformance.gateway.scenarios import DROP, LATE, NONCE_PREFIX, Scenario, redirect_url
from conformance.profile.sections import GatewaySettings

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
NONCE = re.compile(rb"mppc[0-9a-f]{16}")
UNATTRIBUTED = "(unattributed)"


class _QuietDrop(logging.Filter):
    """The gateway drops connections on purpose; uvicorn's complaint about it is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDrop())


RAW_HEADERS = "conformance.raw_headers"
RAW_TARGET = "conformance.raw_target"


class _Spy:
    """An h11 connection that hands each request's header names, in their case, and its target
    as received to the scope, and gives uvicorn an absolute-form target in origin-form."""

    def __init__(self, conn: h11.Connection, protocol: H11Protocol) -> None:
        self._conn, self._protocol, self._state = conn, protocol, protocol.app_state

    def next_event(self) -> Any:
        event = self._conn.next_event()
        if isinstance(event, h11.Request):  # uvicorn copies app_state into the scope next
            raw = {RAW_HEADERS: event.headers.raw_items(), RAW_TARGET: bytes(event.target)}
            self._protocol.app_state = {**self._state, **raw}
            event = _origin_form(event)
        return event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _origin_form(event: h11.Request) -> h11.Request:
    """The request with an absolute-form target in origin-form: uvicorn takes a target as a path,
    so an absolute one would be routed nowhere."""
    target = bytes(event.target)
    origin = signing.origin_form(target.decode("latin-1")).encode("latin-1")
    if origin == target:
        return event
    return h11.Request(
        method=event.method, headers=event.headers, target=origin, http_version=event.http_version
    )


class HeaderCaseH11(H11Protocol):
    """uvicorn's h11 protocol keeping header names as received (ASGI lower-cases them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Spy(self.conn, self)  # type: ignore[assignment]


def _url(request: HttpRequest) -> str:
    """The URI the client asked for: an absolute-form target as sent, else built from Host."""
    # RFC 9112 §3.3: an absolute-form target is the target URI; a Host beside it is ignored.
    raw = request.scope.get("state", {}).get(RAW_TARGET)
    target = raw.decode("latin-1") if isinstance(raw, bytes) else ""
    return target if signing.origin_form(target) != target else str(request.url)


def _received(request: HttpRequest) -> tuple[tuple[str, str], ...]:
    raw = request.scope.get("state", {}).get(RAW_HEADERS)
    if raw is None:
        return tuple(request.headers.items())
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)


async def _hung_up(request: HttpRequest) -> bool:
    """Whether the wallet has closed the connection, before its reply is written. The server
    notices a close only while it reads and once its loop has run: read on, let it run, ask."""
    await request.is_disconnected()
    await asyncio.sleep(0)
    return await request.is_disconnected()


class Dropped(Response):
    """Starts a response and closes the connection mid-body: the wallet receives no result."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"result":{', "more_body": True})


@dataclass(frozen=True)
class Arrival:
    """One request the wallet sent, the step scripted for it and when it came and was answered."""

    exchange: Exchange
    flow: str
    attempt: int
    step: str
    arrived: float
    replied: float
    # The wallet closed the connection before its reply was written: it had given up waiting
    # (its timeout), so it never received that reply, and sending again was its due.
    hung_up: bool = False


@dataclass(frozen=True)
class Expected:
    """A flow the suite started: its scenario and the values a correct request carries."""

    scenario: Scenario
    auth_url: str


class Gateway:
    """Thread-safe: the server thread records arrivals, the suite reads them."""

    def __init__(self, settings: GatewaySettings, psp_id: str, default: Scenario) -> None:
        self.settings, self.psp_id, self.default = settings, psp_id, default
        self.flows: dict[str, Expected] = {}
        self.arrivals: dict[str, list[Arrival]] = {}
        self.counts: dict[str, int] = {}
        self.strays: list[str] = []
        self.lock = threading.Lock()

    def expect(self, nonce: str, scenario: Scenario, auth_url: str) -> None:
        with self.lock:
            self.flows[nonce] = Expected(scenario, auth_url)

    def arrivals_for(self, flow: str) -> tuple[Arrival, ...]:
        with self.lock:
            return tuple(self.arrivals.get(flow, ()))

    def all_arrivals(self) -> dict[str, tuple[Arrival, ...]]:
        with self.lock:
            return {k: tuple(v) for k, v in self.arrivals.items()}

    def flow_of(self, body: bytes, parsed: Any) -> str:
        """The flow a request belongs to: a known nonce anywhere in it, else its authUrl."""
        for match in NONCE.finditer(body):
            nonce = match.group().decode()
            if nonce in self.flows:
                return nonce
        url = parsed.get("authUrl") if isinstance(parsed, dict) else None
        return url if isinstance(url, str) and url else UNATTRIBUTED

    def _case(
        self, flow: str, attempt: int, step: str, body: bytes, headers: Mapping[str, str]
    ) -> Case:
        expected = self.flows.get(flow)
        values: tuple[tuple[str, str], ...] = ()
        if expected is not None:
            values += (("authUrl", expected.auth_url),)
        if self.settings.client_id:
            values += (("client-id", self.settings.client_id),)
        scenario = expected.scenario.name if expected else "listen"
        return Case(
            "prepareAuthInfo",
            "incoming",
            body,
            Expect(values=values),
            content_type=headers.get("content-type"),
            note=f"{scenario}, attempt {attempt}, reply {step}",
        )

    async def handle(self, request: HttpRequest) -> Response:
        arrived = time.monotonic()
        body = await request.body()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        uri = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        sent = Request(
            headers=_received(request),
            body=body,
            method=request.method,
            url=_url(request),
            uri=uri,
        )
        with self.lock:
            flow = self.flow_of(body, sent.json())
            expected = self.flows.get(flow)
            # Counted on arrival: a held reply must not make the next attempt look like the first.
            attempt = self.counts[flow] = self.counts.get(flow, 0) + 1
            scenario = expected.scenario if expected else self.default
            step = scenario.step(attempt)
        nonce = flow if expected else NONCE_PREFIX + "0" * 16
        reply = replies.build(
            step, self.settings, uri, headers.get("client-id"), self.psp_id, redirect_url(nonce)
        )
        error, hold = None, 0.0
        if step == LATE:
            hold = self.settings.silence
            error = (
                f"reply held {hold:.2f} s, past the wallet's {self.settings.wallet_timeout:g} "
                f"s timeout"
            )
        elif step == DROP:
            error = "connection dropped by the gateway before a complete reply"
        answer = Answer(
            headers=tuple(reply.headers.items()),
            body=reply.body,
            status=reply.status,
            elapsed=time.monotonic() - arrived + hold,
        )
        hung_up = not hold and step != DROP and await _hung_up(request)
        if hung_up:
            error = "the wallet closed the connection before this reply: it never received it"
        case = self._case(flow, attempt, step, body, headers)
        exchange = Exchange(case, sent, None if step == DROP else answer, error)
        # Recorded before any hold, so a flow judged while a reply is still held sees this attempt.
        with self.lock:
            found = self.arrivals.setdefault(flow, [])
            replied = time.monotonic() + hold
            found.append(Arrival(exchange, flow, attempt, step, arrived, replied, hung_up))
            found.sort(key=lambda a: a.attempt)
        if hold:
            await asyncio.sleep(hold)
        if step == DROP:
            return Dropped()
        return Response(reply.body, reply.status, dict(reply.headers))

    async def stray(self, request: HttpRequest) -> Response:
        with self.lock:
            self.strays.append(f"{request.method} {request.url.path}")
        return JSONResponse({"error": f"prepareAuthInfo is served at {self.settings.path}"}, 404)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(self.settings.path, self.handle, methods=ALL_METHODS),
                Route("/{rest:path}", self.stray, methods=ALL_METHODS),
            ]
        )
