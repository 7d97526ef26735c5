"""A signed message in either direction: its headers built, its signature judged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

import httpx

from conformance.signing.clock import now
from conformance.signing.rsa256 import (
    ALGORITHM,
    PrivateKey,
    PublicKey,
    SignatureHeader,
    content_to_sign,
    format_signature_header,
    only_raw_base64,
    parse_signature_header,
    sign,
    verify,
    why_not_verified,
)

Direction = Literal["request", "response"]
TIME_HEADER: dict[Direction, str] = {"request": "Request-Time", "response": "Response-Time"}


def request_uri(url: httpx.URL | str) -> str:
    """The Request-URI of the signed content: path plus any query string."""
    parts = urlsplit(str(url))
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def origin_form(target: str) -> str:
    """A request-target as an origin server routes it: an absolute-form one reduced to its
    Request-URI, any other form as it came."""
    # RFC 9112 §3.2.2: a server MUST accept the absolute-form, and http.client sends it whenever
    # it is given a full URL, as the Alipay+ SDKs do. Other schemes are no request for this server.
    try:
        parts = urlsplit(target)
    except ValueError:  # an unparsable authority: no absolute-form, left for routing to refuse
        return target
    absolute = parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
    return request_uri(target) if absolute else target


def signed_headers(
    key: PrivateKey,
    direction: Direction,
    uri: str,
    client_id: str,
    body: bytes,
    *,
    time: str | None = None,
    key_version: str = "1",
    header: Callable[[str], str] | None = None,
    signed_body: bytes | None = None,
    method: str = "POST",
) -> dict[str, str]:
    """Client-Id, Request-Time or Response-Time, and a Signature over them, the URI and the body.

    `header` writes the Signature header from the signature value; `signed_body`, when given,
    is signed in place of the body (a well-formed signature that does not verify).
    """
    time = time or now()
    content = content_to_sign(
        method, uri, client_id, time, body if signed_body is None else signed_body
    )
    value = sign(content, key)
    written = header(value) if header else format_signature_header(value, key_version)
    return {"Client-Id": client_id, TIME_HEADER[direction]: time, "Signature": written}


class Verdict(StrEnum):
    ABSENT = "absent"
    MALFORMED = "malformed"
    ALGORITHM = "algorithm"  # an algorithm other than RSA256
    FAILS = "fails"
    RAW_BASE64 = "raw-base64"  # verifies only when read as raw base64
    OK = "ok"


@dataclass(frozen=True)
class Verification:
    """What a message's Signature header says: `reason` explains a malformed or failing one."""

    verdict: Verdict
    header: SignatureHeader | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


def checked_contents(
    uri: str, client_ids: Sequence[str], time: str, body: bytes, method: str = "POST"
) -> list[bytes]:
    """The exact contents a message's signature is checked over, one per Client-Id tried."""
    return [content_to_sign(method, uri, i, time, body) for i in client_ids]


def verify_message(
    signature: str | SignatureHeader | None,
    key: PublicKey,
    *,
    uri: str,
    client_ids: Sequence[str],
    time: str,
    body: bytes,
    method: str = "POST",
    verifier: Callable[[bytes, str, PublicKey], bool] = verify,
) -> Verification:
    """Judge a message's signature; it verifies when it does over any of the Client-Ids.

    `verifier` reads a signature value over content; a faulty server's may be more lenient.
    """
    if signature is None:
        return Verification(Verdict.ABSENT)
    if isinstance(signature, str):
        try:
            signature = parse_signature_header(signature)
        except ValueError as exc:
            return Verification(Verdict.MALFORMED, reason=str(exc))
    if signature.algorithm != ALGORITHM:
        return Verification(Verdict.ALGORITHM, signature)
    contents = checked_contents(uri, client_ids, time, body, method)
    if any(verifier(c, signature.signature, key) for c in contents):
        return Verification(Verdict.OK, signature)
    if not contents:
        return Verification(Verdict.FAILS, signature)
    first = contents[0]
    raw = only_raw_base64(first, signature.signature, key)
    reason = why_not_verified(first, signature.signature, key)
    return Verification(Verdict.RAW_BASE64 if raw else Verdict.FAILS, signature, reason)
