"""The embedded servers without sockets, for the project's own tests.

Those tests certify the reference wallet and its faulty variants hundreds of times; handing each
request straight to the server's ASGI app in the client's own event loop spares the HTTP
framing on both sides. The servers are still served on loopback sockets too (the wallet's
harness is triggered over HTTP), and a run of `conformance run` never switches this on: it
certifies over real sockets, as against any wallet.
"""

from __future__ import annotations

from typing import Any

import httpx

from conformance.transport.wire import Failure, Origin, Received, from_httpx, origin

ENABLED = False  # tests/conftest.py switches it on, except for the tests about sockets


class Loopback:
    """A wire (`wire.Transport`) that hands each request to the ASGI app served at its origin,
    through httpx's ASGI transport alone (no client: no redirects, cookies or auth to run)."""

    def __init__(self) -> None:
        self.apps: dict[Origin, httpx.ASGITransport] = {}

    def add(self, base_url: str, app: Any) -> None:
        # A crashing app answers with its 500 page, as the server would, rather than raise here.
        self.apps[origin(base_url)] = httpx.ASGITransport(app, raise_app_exceptions=False)

    async def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, max_bytes: int
    ) -> Received:
        app = self.apps.get(origin(url))
        if app is None:
            raise Failure("ConnectError", f"no embedded server at {url}")
        answer = await app.handle_async_request(
            httpx.Request(method, url, headers=headers, content=body)
        )
        return from_httpx(answer, await answer.aread(), max_bytes)

    async def aclose(self) -> None:
        """Nothing to close: no connection was opened."""


def transport() -> Loopback | None:
    """A Loopback when the tests switched it on, for an engine aimed at embedded servers."""
    return Loopback() if ENABLED else None
