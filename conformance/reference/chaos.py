"""A hostile wallet for tests and benchmarks: the reference wallet behind a path that misbehaves.

The path picks the behaviour: `/<behaviour>` misbehaves on every request, `/<behaviour>/every/<n>`
on every n-th one (the others get the reference wallet's answer), `/ok` never.
`Latency` wraps any ASGI app to answer no sooner than a given delay, as a staging wallet does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from conformance.reference import data
from conformance.reference.wallet import Wallet

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HTML_PAGE = (
    b"<html><head><title>%d</title></head><body><center><h1>%d</h1></center><hr>"
    b"<center>nginx</center></body></html>"
)
MAX_HANG = 120.0  # even a hanging answer ends, so the server can always shut down


class Chaos:
    """ASGI app; `calls` counts requests per path, `away` is where `redirect-away` points."""

    def __init__(
        self,
        away: str = "http://localhost:9/elsewhere",
        trickle_interval: float = 1.0,
        wallet: Wallet | None = None,
    ) -> None:
        self.away, self.trickle_interval = away, trickle_interval
        self.wallet = wallet or Wallet()
        self.calls: Counter[str] = Counter()
        self.behaviours: dict[str, Callable[[Scope, Receive, Send], Awaitable[None]]] = {
            "hang": self.hang,
            "drop": self.drop,
            "not-json": self.not_json,
            "huge": self.huge,
            "500": self.error_page,
            "502": self.error_page,
            "404": self.error_page,
            "redirect": self.redirect,
            "redirect-away": self.redirect,
            "trickle": self.trickle,
            "bad-utf8": self.bad_utf8,
            "traffic-limit": self.traffic_limit,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        parts = scope["path"].strip("/").split("/")
        self.calls[scope["path"]] += 1
        every = (
            int(parts[2]) if len(parts) == 3 and parts[1] == "every" and parts[2].isdigit() else 1
        )
        handler = self.behaviours.get(parts[0])
        scope["body"] = body
        if handler is None or self.calls[scope["path"]] % every:
            await self.reference(scope, receive, send)
        else:
            await handler(scope, receive, send)

    async def reference(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"")
        uri = scope.get("raw_path", scope["path"].encode()).decode("latin-1") + (
            f"?{query.decode('latin-1')}" if query else ""
        )
        reply = self.wallet.handle(scope["method"], uri, headers, scope["body"])
        await _respond(send, reply.status, list(reply.headers.items()), reply.body)

    async def hang(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _until_disconnect(receive, anyio.sleep(MAX_HANG))

    async def drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Promise 400 bytes, send 20, return: the server closes the connection mid-response.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"400")],
            }
        )
        await send(
            {"type": "http.response.body", "body": b'{"result":{"resultCo', "more_body": True}
        )

    async def not_json(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, [("Content-Type", "text/plain")], b"OK")

    async def huge(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunk, size = b" " * 65536, 10 << 20

        async def stream() -> None:
            await _json_head(send, size + 2)
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            for _ in range(size // len(chunk)):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"}"})

        await _until_disconnect(receive, stream())

    async def error_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = int(scope["path"].strip("/").split("/")[0])
        await _respond(send, status, [("Content-Type", "text/html")], HTML_PAGE % (status, status))

    async def redirect(self, scope: Scope, receive: Receive, send: Send) -> None:
        away = scope["path"].strip("/").startswith("redirect-away")
        await _respond(
            send, 307 if away else 302, [("Location", self.away if away else "/ok")], b""
        )

    async def trickle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.wallet.pipeline.encode({"result": self.wallet.pipeline.result("SUCCESS")})

        async def stream() -> None:
            await _json_head(send, len(body))
            for i in range(len(body)):
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[i : i + 1],
                        "more_body": i + 1 < len(body),
                    }
                )
                await anyio.sleep(self.trickle_interval)

        await _until_disconnect(receive, stream())

    async def bad_utf8(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b'{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"\xff\xfe"}}'
        await _respond(send, 200, [("Content-Type", "application/json; charset=UTF-8")], body)

    async def traffic_limit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A correct, signed U answer: the suite must back off and send the same case again."""
        w = self.wallet.pipeline
        uri = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        client_id = next(
            (v.decode() for k, v in scope["headers"] if k.lower() == b"client-id"), None
        )
        raw = w.encode({"result": w.result("REQUEST_TRAFFIC_EXCEED_LIMIT")})
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            **w.sign_response(uri, client_id, raw, "U"),
        }
        await _respond(send, 200, list(headers.items()), raw)


class Latency:
    """Delays every answer of an ASGI app, without blocking its event loop."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await anyio.sleep(self.seconds)
        await self.app(scope, receive, send)


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _json_head(send: Send, length: int) -> None:
    """The start of a 200 JSON answer whose body follows in pieces."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(length).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def _until_disconnect(receive: Receive, work: Awaitable[None]) -> None:
    """Run work until it ends or the client goes away (a hostile answer must not outlive its
    client)."""
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(watch)
        with anyio.move_on_after(MAX_HANG):
            await work
        group.cancel_scope.cancel()


def profile_toml(
    base_url: str, behaviour: str = "ok", timeout: float = 0.5, extra: str = ""
) -> str:
    """A reference-wallet profile aimed at one chaos path, with a short timeout and extra TOML
    appended."""
    paths = {**data.PATHS, "inquiryUserInfo": f"/{behaviour}"}
    return data.profile_toml(base_url, paths=paths, timeout=timeout) + extra
