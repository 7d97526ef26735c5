"""The reference Alipay+ server for prepareAuthInfo: what the provider mode verifies, in
overridable steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..spec import contract
from . import data
from .wallet import ALL_METHODS, Refusal, Reply, Wallet

AUTH_CLIENT_ID = "2021000000000001"
REDIRECT = "https://merchant.example/oauth/return?shop=ref-1"


class AlipayPlus(Wallet):
    """The request steps of the reference wallet (they are the gateway's too), answering
    prepareAuthInfo."""

    name: ClassVar[str] = "reference"

    def __init__(self) -> None:
        super().__init__()
        self.api = contract().apis["prepareAuthInfo"]
        self.clients = {data.WALLET_CLIENT_ID: {data.KEY_VERSION: data.public_key("wallet")}}
        self.key = data.private_key("alipayplus")

    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if body["acquirerId"] != data.ACQUIRER_ID:
            raise Refusal("PARAM_ILLEGAL", "acquirerId is not AlipayCN's")
        if body["authUrl"] not in data.AUTH_URLS:
            raise Refusal("PROCESS_FAIL", "the authUrl cannot be resolved")
        return {
            "acquirerId": data.ACQUIRER_ID,
            "pspId": data.PSP_ID,
            "authClientId": AUTH_CLIENT_ID,
            "authRedirectUrl": REDIRECT,
            "scopes": ["BASE_USER_INFO"],
        }

    def refused(self, code: str) -> dict[str, Any]:
        """Fields added to a refusal: none, the SUCCESS fields come only with SUCCESS."""
        return {}

    def handle(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> Reply:
        self.calls += 1
        try:
            self.check_method(method)
            self.check_media_type(headers.get("content-type"))
            self.authenticate(method, uri, headers, body)
            payload = self.parse(body)
            self.validate(payload)
            answer = {"result": self.result("SUCCESS"), **self.resolve(payload)}
        except Refusal as refusal:
            answer = {
                "result": self.result(refusal.code, refusal.message),
                **self.refused(refusal.code),
            }
        raw = self.encode(answer)
        out = {"Content-Type": "application/json; charset=UTF-8"}
        out.update(
            self.sign_response(uri, headers.get("client-id"), raw, answer["result"]["resultStatus"])
        )
        return Reply(self.http_status(answer["result"]["resultCode"]), out, raw)

    def app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            raw_path = request.scope.get("raw_path") or request.url.path.encode()
            query = request.scope.get("query_string", b"")
            uri = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
            reply = self.handle(
                request.method,
                uri,
                {k.lower(): v for k, v in request.headers.items()},
                await request.body(),
            )
            return Response(reply.body, reply.status, dict(reply.headers))

        return Starlette(routes=[Route(data.GATEWAY_PATH, endpoint, methods=ALL_METHODS)])


def make_server(name: str | None) -> AlipayPlus:
    """The reference server, or the faulty one a provider fault names."""
    from .prepare_faults import PROVIDERS

    return PROVIDERS.get(name or "", AlipayPlus)()
