"""The signing protocol (contract-notes §3), its one home: RSA256 content, signed headers in
either direction, verification, the Signature header, Request-Time forms and the keys.

Other modules name keys as `signing.PrivateKey` and `signing.PublicKey` and never import the
crypto library themselves.
"""

from __future__ import annotations

from .auth import RSA256Auth, Tamper
from .clock import TIME_FORMAT, TIME_FORMS, format_time, is_valid_time, now, now_in
from .keys import (
    PRIVATE_FORMATS,
    fingerprint,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    private_key_text,
    public_key_base64,
    public_pem,
    sign_file_bytes,
    verify_file_bytes,
)
from .message import (
    TIME_HEADER,
    Direction,
    Verdict,
    Verification,
    origin_form,
    request_uri,
    signed_headers,
    verify_message,
)
from .rsa256 import (
    ALGORITHM,
    BASE64_RESERVED,
    PrivateKey,
    PublicKey,
    SignatureHeader,
    content_to_sign,
    decode_signature,
    format_signature_header,
    parse_signature_header,
    rewrite_signature,
    sign,
    signed_with,
    unencoded,
    verify,
    why_not_verified,
)

__all__ = [
    "ALGORITHM",
    "BASE64_RESERVED",
    "PRIVATE_FORMATS",
    "TIME_FORMAT",
    "TIME_FORMS",
    "TIME_HEADER",
    "Direction",
    "PrivateKey",
    "PublicKey",
    "RSA256Auth",
    "SignatureHeader",
    "Tamper",
    "Verdict",
    "Verification",
    "content_to_sign",
    "decode_signature",
    "fingerprint",
    "format_signature_header",
    "format_time",
    "generate_private_key",
    "is_valid_time",
    "load_private_key",
    "load_public_key",
    "now",
    "now_in",
    "origin_form",
    "parse_signature_header",
    "private_key_pem",
    "private_key_text",
    "public_key_base64",
    "public_pem",
    "request_uri",
    "rewrite_signature",
    "sign",
    "sign_file_bytes",
    "signed_headers",
    "signed_with",
    "unencoded",
    "verify",
    "verify_file_bytes",
    "verify_message",
    "why_not_verified",
]
