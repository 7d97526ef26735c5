"""Correct variants of the reference wallet and server: each differs from the reference only in
what the documents leave open, so each must be certified with no warning."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from conformance import signing
from conformance.contract.spec import Field
from conformance.reference import data
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.pipeline import Pipeline, Refusal
from conformance.reference.wallet import Wallet

# A wallet, an Alipay+ server, or a pipeline (composed with the wallet's business).
T = TypeVar("T", type[Wallet], type[AlipayPlus], type[Pipeline])


@dataclass(frozen=True)
class CorrectVariant:
    name: str
    summary: str
    wallet: type[Wallet]
    server: type[AlipayPlus] | None = None  # None: the reference Alipay+ server


CORRECT: dict[str, CorrectVariant] = {}
SERVERS: dict[str, type[AlipayPlus]] = {}


def correct(name: str, summary: str) -> Callable[[T], T]:
    """Register a correct variant: a wallet, or an Alipay+ server beside the reference wallet."""

    def register(cls: T) -> T:
        if issubclass(cls, AlipayPlus):
            cls.name = name
            CORRECT[name] = CorrectVariant(name, summary, Wallet, cls)
            SERVERS[name] = cls
        else:
            wallet = cls if issubclass(cls, Wallet) else Wallet.with_pipeline(cls)
            wallet.name = name
            CORRECT[name] = CorrectVariant(name, summary, wallet)
        return cls

    return register


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed(v) for k, v in reversed(list(value.items()))}
    return value


@correct(
    "correct-layout",
    summary="Answers in indented JSON with every key order reversed and non-ASCII escaped, a "
    "Response-Time in Z with fractional seconds, and a Signature header spaced as the docs write "
    "it.",
)
class OtherLayout(Pipeline):
    def encode(self, payload: Mapping[str, Any]) -> bytes:
        return json.dumps(_reversed(dict(payload)), indent=2).encode("utf-8")

    def response_time(self) -> str:
        return signing.now_in("fraction-z")

    def signature_header(self, signature: str) -> str:
        return signing.format_signature_header(signature, data.KEY_VERSION, space=True)


class OtherTimeCodes(Pipeline):
    """INVALID_SIGNATURE for a missing or unreadable Request-Time."""

    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        try:
            super().authenticate(method, uri, headers, body)
        except Refusal as refusal:
            if refusal.code != "PARAM_ILLEGAL":  # only Request-Time is judged here as a parameter
                raise
            raise Refusal("INVALID_SIGNATURE", refusal.message)


class OtherSignatureCodes(OtherTimeCodes):
    """Also leaves its F answers unsigned, as the documents allow."""

    def sign_response(
        self, uri: str, client_id: str | None, body: bytes, status: str
    ) -> dict[str, str]:
        return {} if status == "F" else super().sign_response(uri, client_id, body, status)


@correct(
    "correct-other-codes",
    summary="Picks other documented codes where the documents leave the choice open "
    "(INVALID_SIGNATURE for a missing or unreadable Request-Time, INVALID_TOKEN for another "
    "MPP's pspId) and leaves its F answers unsigned, as the documents allow.",
)
class OtherCodes(Wallet):
    pipeline_class = OtherSignatureCodes

    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        if body["pspId"] != data.PSP_ID:
            raise Refusal("INVALID_TOKEN", "the token was not issued for this pspId")
        return super().authorize(body)


@correct(
    "correct-digit-ids",
    summary="Refuses a pspId or acquirerId that is not digits, which Alipay+ never sends: stricter "
    "than the page, on a point it leaves open.",
)
class DigitIds(Pipeline):
    def check_field(self, f: Field, value: Any) -> None:
        super().check_field(f, value)
        if f.name in ("pspId", "acquirerId") and not value.isdigit():
            raise Refusal("PARAM_ILLEGAL", f"{f.name} must be digits")


correct("pas-correct-layout", summary=CORRECT["correct-layout"].summary)(
    AlipayPlus.with_pipeline(OtherLayout)
)


@correct(
    "pas-correct-other-codes",
    summary="Picks other documented codes where the documents leave the choice open (ACCESS_DENIED "
    "for another acquirer, PARAM_ILLEGAL for an authUrl it cannot resolve, INVALID_SIGNATURE for "
    "a missing or unreadable Request-Time). Its F answers stay signed: the official Python SDK's "
    "client refuses an unsigned one (pas-unsigned-f).",
)
class ProviderOtherCodes(AlipayPlus):
    pipeline_class = OtherTimeCodes

    def check_acquirer(self, acquirer_id: str) -> None:
        if acquirer_id != data.ACQUIRER_ID:
            raise Refusal("ACCESS_DENIED", "only AlipayCN's acquirer is served")

    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return super().resolve(body)
        except Refusal as refusal:
            if refusal.code != "PROCESS_FAIL":
                raise
            raise Refusal("PARAM_ILLEGAL", refusal.message)


@correct(
    "pas-correct-exact-url",
    summary="Resolves only the exact authUrl strings it issued: a URL with a parameter added is "
    "not one of them.",
)
class ProviderExactUrl(AlipayPlus):
    def issued(self, auth_url: str) -> bool:
        return auth_url in data.AUTH_URLS
