"""The reference wallet: inquiryUserInfo exactly as the contract says, its business (the token,
the user by scope) in small overridable steps on the shared protocol pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Route

from conformance.reference import data
from conformance.reference.pipeline import ALL_METHODS, Crash, Refusal
from conformance.reference.service import Service

if TYPE_CHECKING:
    from conformance.reference.client import PrepareClient

__all__ = ["Crash", "Refusal", "Wallet"]


class Wallet(Service):
    """inquiryUserInfo: authorize the token, answer the user's fields its scopes grant."""

    prepare_client: PrepareClient  # the wallet as prepareAuthInfo client, set by app()

    def __init__(self) -> None:
        super().__init__(
            "inquiryUserInfo",
            {data.ALIPAYPLUS_CLIENT_ID: {data.KEY_VERSION: data.public_key("alipayplus")}},
            data.private_key("wallet"),
        )
        self.tokens = {seed.token: seed for seed in data.SEEDS}

    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        if body["pspId"] != data.PSP_ID:
            raise Refusal("ACCESS_DENIED", "the token belongs to another MPP")
        seed = self.tokens.get(body["accessToken"])
        if seed is None or seed.state != "valid":
            raise Refusal("INVALID_TOKEN")
        return seed

    def user_info(self, seed: data.IssuedToken) -> dict[str, Any]:
        return {data.SCOPE_FIELD[s]: data.USER[data.SCOPE_FIELD[s]] for s in sorted(seed.scopes)}

    def succeed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {"userInfo": self.user_info(self.authorize(payload))}

    def routes(self) -> list[BaseRoute]:
        endpoint = self.endpoint()
        routes: list[BaseRoute] = [
            Route(path, endpoint, methods=ALL_METHODS) for path in data.PATHS.values()
        ]
        from conformance.reference.client import (
            harness_routes,  # prepareAuthInfo: the wallet as client, and its trigger
        )

        return routes + harness_routes(self)
