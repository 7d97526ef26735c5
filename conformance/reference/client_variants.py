"""Correct prepareAuthInfo clients that differ from the reference where the documents leave a
choice open: each must be certified with no warning."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx

from conformance import signing
from conformance.reference.client import PrepareClient
from conformance.reference.wallet import Wallet

VARIANTS: dict[str, type[Wallet]] = {}


def variant(name: str) -> Callable[[type[PrepareClient]], type[PrepareClient]]:
    """Register a wallet whose prepareAuthInfo client is this correct variant."""

    def register(cls: type[PrepareClient]) -> type[PrepareClient]:
        VARIANTS[name] = type(f"{cls.__name__}Wallet", (Wallet,), {"client_class": cls})
        return cls

    return register


@variant("lower-case-spaced")
class LowerCaseSpaced(PrepareClient):
    """Lower-case header names, the docs' spaced Signature with lower-case percent escapes, and
    a Request-Time in UTC with `Z` and fractional seconds."""

    def request_time(self) -> str:
        return signing.now_in("fraction-z")

    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        found = super().headers(uri, body)
        found["Signature"] = signing.rewrite_signature(
            found["Signature"],
            lambda v: re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), v),
            space=True,
        )
        return {k.lower(): v for k, v in found.items()}


@variant("pretty-json")
class PrettyJson(PrepareClient):
    """An indented JSON body with its keys in another order, a bare `application/json` and a
    Request-Time with a negative offset."""

    def encode(self, payload: Mapping[str, Any]) -> bytes:
        return json.dumps(dict(reversed(list(payload.items()))), indent=2).encode()

    def request_time(self) -> str:
        return signing.now_in("negative-offset")

    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        return {**super().headers(uri, body), "Content-Type": "application/json"}


@variant("patient-retries")
class PatientRetries(PrepareClient):
    """More attempts at a steady pace, an untrusted reply retried as no result, and the authCode
    appended as AlipayCN's OAuth redirect spells it."""

    max_attempts: ClassVar[int] = 5

    def pause(self, attempt: int) -> float:
        return 0.1

    def decide(self, uri: str, answer: httpx.Response) -> tuple[str | None, dict[str, str] | None]:
        status, outcome = super().decide(uri, answer)
        if outcome is not None and outcome.get("error") == "INVALID_RESPONSE_SIGNATURE":
            return None, outcome  # untrusted: as if no result came, so retry
        return status, outcome

    def redirect(self, url: str) -> str:
        return super().redirect(url).replace("authCode=", "auth_code=")
