"""The reference Alipay+ server for prepareAuthInfo: what the provider mode verifies, its business
(the acquirer, the authUrl) in overridable steps on the shared protocol pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.routing import BaseRoute, Route

from conformance.reference import data
from conformance.reference.pipeline import ALL_METHODS, Refusal
from conformance.reference.service import Service

AUTH_CLIENT_ID = "2021000000000001"
REDIRECT = "https://merchant.example/oauth/return?shop=ref-1"  # the redirect_uri of data.AUTH_URLS


def _parts(url: str) -> tuple[tuple[str, str, str], dict[str, str]]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, parts.path), dict(parse_qsl(parts.query))


class AlipayPlus(Service):
    """prepareAuthInfo: check the acquirer, resolve the authUrl to the merchant's details."""

    def __init__(self) -> None:
        super().__init__(
            "prepareAuthInfo",
            {data.WALLET_CLIENT_ID: {data.KEY_VERSION: data.public_key("wallet")}},
            data.private_key("alipayplus"),
        )

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

    def succeed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return self.resolve(payload)

    def refused(self, code: str) -> dict[str, Any]:
        """Fields added to a refusal: none, the SUCCESS fields come only with SUCCESS."""
        return {}

    def routes(self) -> list[BaseRoute]:
        return [Route(data.GATEWAY_PATH, self.endpoint(), methods=ALL_METHODS)]
