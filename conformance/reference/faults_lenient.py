"""Faulty wallets that only a probe changing one property exposes: they read a value past its
type or length, answer with another identity, or refuse a form JSON allows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from conformance.contract.spec import Field
from conformance.reference import data
from conformance.reference.fault_registry import fault
from conformance.reference.pipeline import Pipeline, Refusal


@fault(
    "digits-checked-no-length",
    "IUI-INVALID-REFUSED",
    summary="Checks that pspId and acquirerId are digits, and enforces no maximum length: an "
    "over-long value of letters was refused for being letters.",
    also=("IUI-INVALID-PARAM-ILLEGAL",),
)  # an over-long pspId then fails later, on its value
class DigitsCheckedNoLength(Pipeline):
    def check_field(self, f: Field, value: Any) -> None:
        if f.name in ("pspId", "acquirerId") and isinstance(value, str) and value:
            if not value.isdigit():
                raise Refusal("PARAM_ILLEGAL", f"{f.name} must be digits")
            return
        super().check_field(f, value)


@fault(
    "coerces-numbers",
    "IUI-INVALID-REFUSED",
    summary="Binds JSON numbers to its string fields (a common JSON-binding default): "
    '2160120000000001 passes as "2160120000000001".',
)
class CoercesNumbers(Pipeline):
    def parse(self, body: bytes) -> dict[str, Any]:
        return {
            k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for k, v in super().parse(body).items()
        }


@fault(
    "unwraps-single-arrays",
    "IUI-INVALID-REFUSED",
    summary="Reads a one-element array as its element (Jackson's UNWRAP_SINGLE_VALUE_ARRAYS): "
    '["x"] passes as "x".',
)
class UnwrapsSingleArrays(Pipeline):
    def parse(self, body: bytes) -> dict[str, Any]:
        return {
            k: v[0] if isinstance(v, list) and len(v) == 1 else v
            for k, v in super().parse(body).items()
        }


@fault(
    "refuses-multiline-body",
    "IUI-JSON-FORMS",
    summary="Treats a line break in the body as an injection attempt, so indented JSON is refused.",
)
class RefusesMultilineBody(Pipeline):
    def parse(self, body: bytes) -> dict[str, Any]:
        if b"\n" in body:
            raise Refusal("PARAM_ILLEGAL", "line break in the body")
        return super().parse(body)


@fault(
    "verifies-reserialised-body",
    "IUI-VALID-SUCCESS",
    "IUI-JSON-FORMS",
    summary="Verifies the signature over the parsed body written out again, not the bytes "
    "received: any layout but the compact one fails.",
    also=(
        "IUI-UNKNOWN-FIELDS",
        "IUI-INVALID-PARAM-ILLEGAL",
        "IUI-TOKEN-CODE",
        "IUI-IDEMPOTENT",
        "IUI-SIG-VERIFY",
    ),
)
class VerifiesReserialisedBody(Pipeline):
    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        super().authenticate(method, uri, headers, _compact(body))


def _compact(body: bytes) -> bytes:
    """A JSON object re-serialised compactly; anything else as it came."""
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return body
    if not isinstance(parsed, dict):
        return body
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@fault(
    "client-id-not-echoed",
    "IUI-CLIENT-ID-ECHO",
    summary="Answers with its own Client-Id (and signs over it) instead of the caller's.",
)
class ClientIdNotEchoed(Pipeline):
    def signed(self, uri: str, client_id: str, body: bytes) -> dict[str, str]:
        own = next(c for c in (data.WALLET_CLIENT_ID, data.ALIPAYPLUS_CLIENT_ID) if c != client_id)
        return super().signed(uri, own, body)
