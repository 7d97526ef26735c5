"""Faulty wallets that answer well-formed messages with the wrong meaning: tokens, scopes, users."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from conformance.reference import data
from conformance.reference.fault_registry import fault
from conformance.reference.wallet import Refusal, Wallet


@fault("accepts-expired-token", "IUI-TOKEN-REFUSED", summary="Serves expired and revoked tokens.")
class AcceptsExpiredToken(Wallet):
    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        seed = self.tokens.get(body["accessToken"])
        if seed is not None and body["pspId"] == data.PSP_ID:
            return seed
        return super().authorize(body)


@fault(
    "token-wrong-code",
    "IUI-TOKEN-CODE",
    summary="Answers ACCESS_DENIED to an unknown or inactive token.",
)
class TokenWrongCode(Wallet):
    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        try:
            return super().authorize(body)
        except Refusal as refusal:
            raise Refusal("ACCESS_DENIED" if refusal.code == "INVALID_TOKEN" else refusal.code)


@fault(
    "undocumented-code",
    "IUI-RESULT-CODE",
    "IUI-TOKEN-CODE",
    summary="Answers TOKEN_EXPIRED, a code not in the page's table, to expired tokens.",
)
class UndocumentedCode(Wallet):
    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        seed = self.tokens.get(body["accessToken"])
        if seed is not None and seed.state == "expired":
            raise Refusal("TOKEN_EXPIRED", "the access token has expired")
        return super().authorize(body)


@fault(
    "ignores-psp-id",
    "IUI-PSPID-MISMATCH",
    summary="Serves a token whatever pspId the request names.",
)
class IgnoresPspId(Wallet):
    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        return super().authorize({**body, "pspId": data.PSP_ID})


@fault(
    "drops-scope-field",
    "IUI-SCOPE-COMPLETE",
    summary="Returns only the first granted scope's field.",
)
class DropsScopeField(Wallet):
    def user_info(self, seed: data.IssuedToken) -> dict[str, Any]:
        info = super().user_info(seed)
        return dict(list(info.items())[:1])


@fault(
    "userinfo-on-failure",
    "IUI-USERINFO-ONLY-SUCCESS",
    "IUI-TOKEN-REFUSED",
    summary="Serialises the user it looked up even when refusing an inactive token.",
)
class UserInfoOnFailure(Wallet):
    def refused(self, code: str) -> dict[str, Any]:
        if code == "INVALID_TOKEN":
            return {**super().refused(code), "userInfo": {"userId": data.USER["userId"]}}
        return super().refused(code)


@fault(
    "pairwise-user-id",
    "IUI-IDEMPOTENT",
    "IUI-USERINFO-EXPECTED",
    summary="Issues a fresh opaque userId on every inquiry.",
)
class PairwiseUserId(Wallet):
    def user_info(self, seed: data.IssuedToken) -> dict[str, Any]:
        info = super().user_info(seed)
        if "userId" in info:
            info["userId"] = secrets.token_hex(8)
        return info


@fault("wrong-user", "IUI-USERINFO-EXPECTED", summary="Resolves every token to the same test user.")
class WrongUser(Wallet):
    def user_info(self, seed: data.IssuedToken) -> dict[str, Any]:
        info = super().user_info(seed)
        if "userId" in info:
            info["userId"] = "2160120099999999"
        return info


@fault(
    "rejects-multi-scope-token",
    "IUI-VALID-SUCCESS",
    summary="Fails a token granted more than one scope.",
)
class RejectsMultiScopeToken(Wallet):
    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        seed = super().authorize(body)
        if len(seed.scopes) > 1:
            raise Refusal("PROCESS_FAIL", "one scope per token")
        return seed
