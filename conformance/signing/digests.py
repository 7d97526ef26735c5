"""Signatures over the right content in another form than RSA256 (another digest, PSS, a bare
hash), and the lenient verifiers of servers that accept some of them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conformance.signing.rsa256 import PrivateKey, PublicKey, decode_signature

# The hashes a PKCS#1 v1.5 signature may name in its DigestInfo, with the DER of their OIDs.
_HASHES: Mapping[str, tuple[hashes.HashAlgorithm, bytes]] = MappingProxyType(
    {
        "md5": (hashes.MD5(), bytes.fromhex("2a864886f70d0205")),
        "sha1": (hashes.SHA1(), bytes.fromhex("2b0e03021a")),
        "sha224": (hashes.SHA224(), bytes.fromhex("608648016503040204")),
        "sha256": (hashes.SHA256(), bytes.fromhex("608648016503040201")),
        "sha384": (hashes.SHA384(), bytes.fromhex("608648016503040202")),
        "sha512": (hashes.SHA512(), bytes.fromhex("608648016503040203")),
        "sha512-256": (hashes.SHA512_256(), bytes.fromhex("608648016503040206")),
        "sha3-256": (hashes.SHA3_256(), bytes.fromhex("608648016503040208")),
        "sha3-384": (hashes.SHA3_384(), bytes.fromhex("608648016503040209")),
        "sha3-512": (hashes.SHA3_512(), bytes.fromhex("60864801650304020a")),
    }
)
# The hashes python-rsa 4.9 (`rsa.verify`, behind the official Python SDK) reads from a DigestInfo.
PYTHON_RSA_HASHES = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-256", "sha3-384", "sha3-512"}
)
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def _digest_info(name: str, digest: bytes) -> bytes:
    """DER `DigestInfo ::= SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }` (RFC 8017 §9.2)."""
    oid = _HASHES[name][1]
    algorithm = bytes([0x30, len(oid) + 4, 0x06, len(oid)]) + oid + b"\x05\x00"
    inner = algorithm + bytes([0x04, len(digest)]) + digest
    return bytes([0x30, len(inner)]) + inner


def _hash(name: str, content: bytes) -> bytes:
    h = hashes.Hash(_HASHES[name][0])
    h.update(content)
    return h.finalize()


def _pkcs1(name: str) -> Callable[[bytes, PrivateKey], bytes]:
    return lambda content, key: key.sign(content, padding.PKCS1v15(), _HASHES[name][0])


def _pss(content: bytes, key: PrivateKey) -> bytes:
    return key.sign(content, _PSS, hashes.SHA256())


def _bare_sha256(content: bytes, key: PrivateKey) -> bytes:
    # cryptography always writes a DigestInfo, so the block `00 01 FF..FF 00 || H` is made by hand.
    size = (key.key_size + 7) // 8
    digest = hashlib.sha256(content).digest()
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(digest)) + b"\x00" + digest
    # RSA by the Chinese remainder theorem: two half-size exponentiations, a quarter of the work.
    k = key.private_numbers()
    m = int.from_bytes(block, "big")
    low, high = pow(m, k.dmq1, k.q), pow(m, k.dmp1, k.p)
    signed = low + k.q * (k.iqmp * (high - low) % k.p)
    return signed.to_bytes(size, "big")


# form -> the raw signature of the content in that form; each differs from RSA256 only there.
DIGEST_FORMS: Mapping[str, Callable[[bytes, PrivateKey], bytes]] = MappingProxyType(
    {
        **{name: _pkcs1(name) for name in ("md5", "sha1", "sha224", "sha384", "sha512")},
        "sha3-256": _pkcs1("sha3-256"),
        "pss-sha256": _pss,
        "sha256-no-digestinfo": _bare_sha256,
        "sha512-256": _pkcs1("sha512-256"),
    }
)


def sign_in_form(content: bytes, key: PrivateKey, form: str) -> str:
    """The content signed in a form of DIGEST_FORMS, base64, URL-encoded as RSA256's value."""
    raw = DIGEST_FORMS[form](content, key)
    return quote(base64.b64encode(raw).decode("ascii"), safe="")


def _recovered(signature: str, key: PublicKey) -> bytes | None:
    """What follows the PKCS#1 v1.5 padding of the signature, or None."""
    raw = decode_signature(signature)
    if raw is None:
        return None
    try:
        return key.recover_data_from_signature(raw, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        return None


def verify_any_digest(content: bytes, signature: str, key: PublicKey) -> bool:
    """True when a PKCS#1 v1.5 signature verifies with whichever hash its DigestInfo names, as
    python-rsa's `rsa.verify` reads it."""
    found = _recovered(signature, key)
    return found is not None and any(
        found == _digest_info(name, _hash(name, content)) for name in PYTHON_RSA_HASHES
    )


def verify_pss(content: bytes, signature: str, key: PublicKey) -> bool:
    """True when the value verifies as RSASSA-PSS with SHA-256, any salt length."""
    raw = decode_signature(signature)
    if raw is None:
        return False
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    try:
        key.verify(raw, content, pss, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sha256_tail_matches(content: bytes, signature: str, key: PublicKey) -> bool:
    """True when the last 32 bytes after the padding are SHA-256(content), whatever precedes
    them: a hand-rolled verifier that never reads the DigestInfo."""
    found = _recovered(signature, key)
    return found is not None and found[-32:] == hashlib.sha256(content).digest()
