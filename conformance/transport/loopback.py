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

ENABLED = False  # tests/conftest.py switches it on, except for the tests about sockets


class Loopback(httpx.AsyncBaseTransport):
    """Routes each request to the ASGI app served at its origin."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}

    def add(self, base_url: str, app: Any) -> None:
        # A crashing app answers with its 500 page, as the server would, rather than raise here.
        self.apps[str(httpx.URL(base_url).copy_with(path="/"))] = httpx.ASGITransport(
            app, raise_app_exceptions=False
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.apps.get(str(request.url.copy_with(path="/", query=None)))
        if app is None:
            raise httpx.ConnectError(f"no embedded server at {request.url}", request=request)
        return await app.handle_async_request(request)


def transport() -> Loopback | None:
    """A Loopback when the tests switched it on, for an engine aimed at embedded servers."""
    return Loopback() if ENABLED else None
