"""RSA256 message signing (contract-notes §3): the only module that touches crypto."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from urllib.parse import quote, unquote, unquote_plus, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "RSA256"
TIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def content_to_sign(method: str, uri: str, client_id: str, time: str, body: bytes) -> bytes:
    """`<METHOD> <Request-URI>\\n<Client-Id>.<time>.<raw body>`, the body never re-serialised."""
    return f"{method} {uri}\n{client_id}.{time}.".encode() + body


def sign(content: bytes, key: rsa.RSAPrivateKey) -> str:
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


def _verifies(content: bytes, raw: bytes | None, key: rsa.RSAPublicKey) -> bool:
    if raw is None:
        return False
    try:
        key.verify(raw, content, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify(content: bytes, signature: str, key: rsa.RSAPublicKey) -> bool:
    """True when the header's signature value verifies, decoded as the official SDKs decode it."""
    return _verifies(content, decode_signature(signature), key)


def why_not_verified(content: bytes, signature: str, key: rsa.RSAPublicKey) -> str:
    """Why a signature value that does not verify fails, as far as the value tells."""
    if "+" in signature and _verifies(content, _plain(signature), key):
        return (
            "it verifies only as raw base64: URL-decoding it, as the official SDKs do, turns its "
            "raw '+' into a space (signature = urlencode(base64(sign(content))))"
        )
    if decode_signature(signature) is None:
        return "it is not URL-encoded base64"
    return "it was not made over this content with the expected key"


def _plain(value: str) -> bytes | None:
    try:
        return base64.b64decode(unquote(value), validate=True)
    except (binascii.Error, ValueError):
        return None


def signed_with(signature: str, key: rsa.RSAPublicKey) -> bool:
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


def format_time(moment: datetime) -> str:
    """ISO 8601 with offset and whole seconds, as the docs show: 2019-05-28T12:12:12+08:00."""
    return moment.replace(microsecond=0).isoformat()


def now() -> str:
    return format_time(datetime.now(UTC).astimezone())


# The Request-Time forms the docs show or allow (contract-notes §2), by name.
TIME_FORMS: dict[str, Callable[[datetime], str]] = {
    "offset": lambda m: (
        m.astimezone(timezone(timedelta(hours=8))).replace(microsecond=0).isoformat()
    ),
    "negative-offset": lambda m: (
        m.astimezone(timezone(timedelta(hours=-5))).replace(microsecond=0).isoformat()
    ),
    "utc-offset": lambda m: m.astimezone(UTC).replace(microsecond=0).isoformat(),
    "z": lambda m: m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "fraction-z": lambda m: m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "Z",
    "fraction-offset": lambda m: m.astimezone(timezone(timedelta(hours=8))).isoformat(
        timespec="milliseconds"
    ),
}


def now_in(form: str) -> str:
    """The current time in one of TIME_FORMS."""
    return TIME_FORMS[form](datetime.now(UTC))


def is_valid_time(value: str) -> bool:
    """ISO 8601 extended format with an offset or Z, as the docs show."""
    if not TIME_FORMAT.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _pem_or_der(data: bytes) -> tuple[bytes, bool]:
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        return text, True
    # The official SDKs take keys as bare base64 DER strings.
    try:
        return base64.b64decode(b"".join(text.split()), validate=True), False
    except binascii.Error as exc:
        raise ValueError("neither PEM nor base64 DER") from exc


@cache  # loading checks the key, tens of ms; a run loads the same keys for several roles
def load_private_key(data: bytes) -> rsa.RSAPrivateKey:
    """PKCS#1 or PKCS#8, PEM or bare base64 DER."""
    raw, pem = _pem_or_der(data)
    loader = serialization.load_pem_private_key if pem else serialization.load_der_private_key
    key = loader(raw, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")  # noqa: TRY004 (callers take ValueError)
    return key


@cache
def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    """X.509 SubjectPublicKeyInfo (or PKCS#1), PEM or bare base64 DER."""
    raw, pem = _pem_or_der(data)
    key: object
    if pem:
        key = serialization.load_pem_public_key(raw)
    else:
        try:
            key = serialization.load_der_public_key(raw)
        except ValueError:
            key = serialization.load_der_private_key(raw, password=None).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")  # noqa: TRY004 (callers take ValueError)
    return key


def request_uri(url: httpx.URL | str) -> str:
    """The Request-URI of the signed content: path plus any query string."""
    parts = urlsplit(str(url))
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Tamper:
    """How a signed request deviates from a correct one; the default deviates in nothing."""

    client_id: str | None = None
    key_version: str | None = None
    omit: frozenset[str] = frozenset()
    request_time: str | None = None
    sign_body: bytes | None = None
    sign_uri: str | None = None
    sign_time: str | None = None
    sign_client_id: str | None = None
    algorithm: str = ALGORITHM
    url_encode: bool = True
    space_after_comma: bool = False
    lower_case_names: bool = False
    truncate_signature: bool = False
    foreign_key: bool = False
    time_form: str | None = None  # a name in TIME_FORMS: the current time, written that way


class RSA256Auth(httpx.Auth):
    """Adds Client-Id, Request-Time and Signature from the exact bytes being sent."""

    requires_request_body = True

    def __init__(
        self,
        client_id: str,
        key: rsa.RSAPrivateKey,
        key_version: str = "1",
        tamper: Tamper = Tamper(),
        foreign_key: rsa.RSAPrivateKey | None = None,
        clock: Callable[[], str] = now,
    ) -> None:
        self.client_id, self.key, self.key_version = client_id, key, key_version
        self.tamper, self.foreign_key, self.clock = tamper, foreign_key, clock

    def headers_for(self, method: str, uri: str, body: bytes) -> dict[str, str]:
        t = self.tamper
        client_id = t.client_id if t.client_id is not None else self.client_id
        time = t.request_time or (now_in(t.time_form) if t.time_form else self.clock())
        content = content_to_sign(
            method,
            t.sign_uri or uri,
            t.sign_client_id or client_id,
            t.sign_time or time,
            t.sign_body if t.sign_body is not None else body,
        )
        key = self.foreign_key if t.foreign_key and self.foreign_key else self.key
        value = sign(content, key)
        if not t.url_encode:
            value = unquote(value)
        if t.truncate_signature:
            value = value[: len(value) // 2]
        headers = {
            "Client-Id": client_id,
            "Request-Time": time,
            "Signature": format_signature_header(
                value, t.key_version or self.key_version, t.algorithm, t.space_after_comma
            ),
        }
        headers = {k: v for k, v in headers.items() if k.lower() not in t.omit}
        if t.lower_case_names:
            headers = {k.lower(): v for k, v in headers.items()}
        return headers

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for name in ("Client-Id", "Request-Time", "Signature"):
            request.headers.pop(name, None)
        request.headers.update(
            self.headers_for(request.method, request_uri(request.url), request.content)
        )
        yield request


# -- certifier signatures over report files -------------------------------------------------


def sign_file_bytes(data: bytes, key: rsa.RSAPrivateKey) -> str:
    """A detached SHA256withRSA signature (plain base64) over a report file's exact bytes."""
    return unquote(sign(data, key))


def verify_file_bytes(data: bytes, signature: str, key: rsa.RSAPublicKey) -> bool:
    """True when a plain base64 signature from sign_file_bytes verifies over data."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return _verifies(data, raw, key)


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """sha256 of the public key's DER SubjectPublicKeyInfo: names a key without showing it."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def private_key_text(key: rsa.RSAPrivateKey) -> tuple[str, ...]:
    """The key's DER as one base64 line, PKCS#1 and PKCS#8: every PEM line is a piece of these."""
    return tuple(
        base64.b64encode(
            key.private_bytes(serialization.Encoding.DER, form, serialization.NoEncryption())
        ).decode("ascii")
        for form in PRIVATE_FORMATS.values()
    )


# -- key generation (conformance init) ----------------------------------------------------------

PRIVATE_FORMATS = {
    "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,  # the official Python SDK
    "pkcs8": serialization.PrivateFormat.PKCS8,  # the official Java SDK
}


def generate_private_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key, the size the contract names (contract-notes §3)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: rsa.RSAPrivateKey, form: str = "pkcs1") -> bytes:
    """Unencrypted PEM in PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`)."""
    return key.private_bytes(
        serialization.Encoding.PEM, PRIVATE_FORMATS[form], serialization.NoEncryption()
    )


def public_key_base64(key: rsa.RSAPublicKey) -> str:
    """SubjectPublicKeyInfo DER as one base64 line, the form key-registration pages usually take."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")
