"""The reference Alipay+ server for prepareAuthInfo: what the provider mode verifies, in
overridable steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from starlette.applications import Starlette
from starlette.routing import Route

from ..spec import contract
from . import data
from .wallet import ALL_METHODS, Refusal, Wallet

AUTH_CLIENT_ID = "2021000000000001"
REDIRECT = "https://merchant.example/oauth/return?shop=ref-1"


def _parts(url: str) -> tuple[tuple[str, str, str], dict[str, str]]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, parts.path), dict(parse_qsl(parts.query))


class AlipayPlus(Wallet):
    """The request steps of the reference wallet (they are the gateway's too), answering
    prepareAuthInfo."""

    name: ClassVar[str] = "reference"

    def __init__(self) -> None:
        super().__init__()
        self.api = contract().apis["prepareAuthInfo"]
        self.clients = {data.WALLET_CLIENT_ID: {data.KEY_VERSION: data.public_key("wallet")}}
        self.key = data.private_key("alipayplus")

    def check_acquirer(self, acquirer_id: str) -> None:
        if acquirer_id != data.ACQUIRER_ID:
            raise Refusal("PARAM_ILLEGAL", "acquirerId is not AlipayCN's")

    def issued(self, auth_url: str) -> bool:
        """An authorization URL issued for AlipayCN, read as its page would read it: the same
        page and parameters; a parameter the page does not know is ignored."""
        where, params = _parts(auth_url)
        for known in data.AUTH_URLS:
            page, wanted = _parts(known)
            if where == page and all(params.get(k) == v for k, v in wanted.items()):
                return True
        return False

    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self.check_acquirer(body["acquirerId"])
        if not self.issued(body["authUrl"]):
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

    def succeed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {"result": self.result("SUCCESS"), **self.resolve(payload)}

    def refuse(self, code: str, message: str) -> dict[str, Any]:
        return {"result": self.result(code, message), **self.refused(code)}

    def app(self) -> Starlette:
        return Starlette(routes=[Route(data.GATEWAY_PATH, self.endpoint(), methods=ALL_METHODS)])
