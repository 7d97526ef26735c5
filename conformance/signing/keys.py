"""Keys: loading, generating and naming them, and detached signatures over report files."""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import cache
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.signing.rsa256 import PrivateKey, PublicKey, sign, verifies


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
def load_private_key(data: bytes, checked: bool = True) -> rsa.RSAPrivateKey:
    """PKCS#1 or PKCS#8, PEM or bare base64 DER; `checked=False` skips the consistency check of
    the key's numbers, for the embedded keys only (known good, and loaded by every run)."""
    raw, pem = _pem_or_der(data)
    key: object
    if pem:
        key = serialization.load_pem_private_key(
            raw, password=None, unsafe_skip_rsa_key_validation=not checked
        )
    else:
        key = serialization.load_der_private_key(
            raw, password=None, unsafe_skip_rsa_key_validation=not checked
        )
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
    return verifies(data, raw, key)


def public_pem(key: PrivateKey | PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: PrivateKey | PublicKey) -> str:
    """sha256 of the public key's DER SubjectPublicKeyInfo: names a key without showing it."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


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


def private_key_text(key: rsa.RSAPrivateKey) -> tuple[str, ...]:
    """The key's DER as one base64 line, PKCS#1 and PKCS#8: every PEM line is a piece of these."""
    return tuple(
        base64.b64encode(
            key.private_bytes(serialization.Encoding.DER, form, serialization.NoEncryption())
        ).decode("ascii")
        for form in PRIVATE_FORMATS.values()
    )
