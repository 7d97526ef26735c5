"""RSA256 over the signed content, and the Signature header that carries it (contract-notes §3)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "RSA256"

PrivateKey = rsa.RSAPrivateKey
PublicKey = rsa.RSAPublicKey


def content_to_sign(method: str, uri: str, client_id: str, time: str, body: bytes) -> bytes:
    """`<METHOD> <Request-URI>\\n<Client-Id>.<time>.<raw body>`, the body never re-serialised."""
    return f"{method} {uri}\n{client_id}.{time}.".encode() + body


def sign(content: bytes, key: PrivateKey) -> str:
    """SHA256withRSA, PKCS#1 v1.5, base64, URL-encoded."""
    raw = key.sign(content, padding.PKCS1v15(), hashes.SHA256())
    return quote(base64.b64encode(raw).decode("ascii"), safe="")


# The characters of base64 that `urlencode(base64(...))` escapes: a value carrying one raw was
# not URL-encoded.
BASE64_RESERVED = ("+", "/", "=")


def decode_signature(value: str) -> bytes | None:
    """The signature bytes as the official SDKs read a header value, or None when they cannot.

    Python's `unquote_plus` and Java's `URLDecoder.decode` both turn a raw `+` into a space, so
    a value that was never URL-encoded breaks wherever its base64 holds a `+`.
    """
    try:
        return base64.b64decode(unquote_plus(value), validate=True)
    except (binascii.Error, ValueError):
        return None


def unencoded(value: str) -> tuple[str, ...]:
    """The base64 characters the value carries raw, where the signing rule URL-encodes them."""
    return tuple(c for c in BASE64_RESERVED if c in value)


def verifies(content: bytes, raw: bytes | None, key: PublicKey) -> bool:
    """True when the raw signature bytes verify over content."""
    if raw is None:
        return False
    try:
        key.verify(raw, content, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify(content: bytes, signature: str, key: PublicKey) -> bool:
    """True when the header's signature value verifies, decoded as the official SDKs decode it."""
    return verifies(content, decode_signature(signature), key)


def only_raw_base64(content: bytes, signature: str, key: PublicKey) -> bool:
    """True when the value verifies only when read as raw base64, its `+` kept."""
    return "+" in signature and verifies(content, _plain(signature), key)


def why_not_verified(content: bytes, signature: str, key: PublicKey) -> str:
    """Why a signature value that does not verify fails, as far as the value tells."""
    if only_raw_base64(content, signature, key):
        return (
            "it verifies only as raw base64: URL-decoding it, as the official SDKs do, turns its "
            "raw '+' into a space (signature = urlencode(base64(sign(content))))"
        )
    if decode_signature(signature) is None:
        return "it is not URL-encoded base64"
    if signed_with(signature, key):
        return "it was made with the expected key, over other bytes than this content"
    return "it was not made with the expected key"


def _plain(value: str) -> bytes | None:
    try:
        return base64.b64decode(unquote(value), validate=True)
    except (binascii.Error, ValueError):
        return None


def signed_with(signature: str, key: PublicKey) -> bool:
    """True when this key's private half made the signature, whatever content it covers (the
    value read URL-decoded or, failing that, as raw base64: this asks which key, not the form)."""
    for raw in (decode_signature(signature), _plain(signature)):
        if raw is None:
            continue
        try:
            key.recover_data_from_signature(raw, padding.PKCS1v15(), None)
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


@dataclass(frozen=True)
class SignatureHeader:
    algorithm: str
    key_version: str
    signature: str


def parse_signature_header(value: str) -> SignatureHeader:
    """Parse `algorithm=RSA256,keyVersion=1,signature=...`, spaces after commas or not."""
    parts: dict[str, str] = {}
    for item in value.split(","):
        name, sep, val = item.strip().partition("=")
        if not sep or not name:
            raise ValueError(f"malformed Signature header item {item.strip()!r}")
        parts[name] = val.strip()
    missing = [k for k in ("algorithm", "keyVersion", "signature") if not parts.get(k)]
    if missing:
        raise ValueError(f"Signature header lacks {', '.join(missing)}")
    return SignatureHeader(parts["algorithm"], parts["keyVersion"], parts["signature"])


def format_signature_header(
    signature: str, key_version: str = "1", algorithm: str = ALGORITHM, space: bool = False
) -> str:
    sep = ", " if space else ","
    return sep.join(
        (f"algorithm={algorithm}", f"keyVersion={key_version}", f"signature={signature}")
    )


def rewrite_signature(header: str, change: Callable[[str], str], space: bool = False) -> str:
    """A Signature header whose value is change(value), its key version kept."""
    sig = parse_signature_header(header)
    return format_signature_header(change(sig.signature), sig.key_version, space=space)
