"""A reference server: one API's business composed with the protocol pipeline, served over ASGI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from conformance import signing
from conformance.contract.spec import contract
from conformance.reference.pipeline import Clients, Pipeline, ServiceReply


class Service:
    """The business steps of one API (subclasses' methods), handed each request its pipeline let
    through; a variant overrides a business step, or swaps `pipeline_class` for a faulty one."""

    name: ClassVar[str] = "reference"
    pipeline_class: ClassVar[type[Pipeline]] = Pipeline

    def __init__(self, api: str, clients: Clients, key: signing.PrivateKey) -> None:
        self.pipeline = self.pipeline_class(contract().apis[api], clients, key)
        self.calls = 0

    @classmethod
    def with_pipeline(cls, pipeline: type[Pipeline]) -> type[Self]:
        """This business composed with another pipeline."""
        return type(f"{pipeline.__name__}{cls.__name__}", (cls,), {"pipeline_class": pipeline})

    @property
    def clients(self) -> Clients:
        """The callers the server knows, by Client-Id, and their public keys by version."""
        return self.pipeline.clients

    @clients.setter
    def clients(self, value: Clients) -> None:
        self.pipeline.clients = value

    def succeed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def refused(self, code: str) -> dict[str, Any]:
        return {}

    def handle(
        self, method: str, uri: str, headers: Mapping[str, str], body: bytes
    ) -> ServiceReply:
        """Answer one request; headers are keyed by lower-case name."""
        self.calls += 1
        return self.pipeline.handle(self, method, uri, headers, body)

    def endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        """The ASGI endpoint: the exact bytes and Request-URI received, headers by lower-case
        name."""

        async def serve(request: Request) -> Response:
            raw_path = request.scope.get("raw_path") or request.url.path.encode()
            query = request.scope.get("query_string", b"")
            uri = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
            headers = {k.lower(): v for k, v in request.headers.items()}
            reply = self.handle(request.method, uri, headers, await request.body())
            return Response(reply.body, reply.status, dict(reply.headers))

        return serve

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def app(self) -> ASGIApp:
        return self.pipeline.transport(Starlette(routes=self.routes()))
