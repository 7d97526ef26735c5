"""A certifier's keys and signatures: the detached `.sig` file and the copy a report embeds, read
at one edge into a typed value."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from conformance import signing
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.results.fold import digest

T = TypeVar("T")
ALGORITHM = "SHA256withRSA"
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,2048}={0,2}")


@dataclass(frozen=True)
class Signature:
    """Who signed (the key's fingerprint), which bytes (their SHA-256), and the signature."""

    key: str
    sha256: str
    value: str

    def __post_init__(self) -> None:
        # Every Signature holds only hex and base64, so a report can embed it unescaped.
        for name, text, form in (
            ("key", self.key, _FINGERPRINT),
            ("sha256", self.sha256, _FINGERPRINT),
            ("signature", self.value, _BASE64),
        ):
            if not form.fullmatch(text):
                kind = "base64" if form is _BASE64 else "sha256:<64 hex digits>"
                raise ValueError(f"its {name} is not {kind}")

    def document(self) -> bytes:
        """The signature document, as `results.json.sig` holds it and a report embeds it."""
        doc = {
            "algorithm": ALGORITHM,
            "key": self.key,
            "sha256": self.sha256,
            "signature": self.value,
        }
        return (json.dumps(doc, indent=2) + "\n").encode()

    def signs(self, data: bytes) -> bool:
        """Whether it names data's digest; only `verifies` says the key signed them."""
        return self.sha256 == digest(data)

    def verifies(self, data: bytes, key: signing.PublicKey) -> bool:
        return self.key == signing.fingerprint(key) and signing.verify_file_bytes(
            data, self.value, key
        )


def sign(data: bytes, key: signing.PrivateKey) -> Signature:
    """SHA256withRSA over data's exact bytes."""
    return Signature(signing.fingerprint(key), digest(data), signing.sign_file_bytes(data, key))


def parse(raw: bytes | str) -> Signature:
    """A signature document; ValueError when it is not one this suite writes."""
    # A signature document is a few hundred bytes; a longer file is not one.
    if len(raw) > untrusted.SIGNATURE_BYTES:
        raise ValueError("too long for a signature document")
    try:
        doc = untrusted.load_json(raw, "signature")
    except ConfigError as exc:
        raise ValueError(exc.problem.removeprefix("is ")) from None
    if not isinstance(doc, dict) or doc.get("algorithm") != ALGORITHM:
        raise ValueError(f"not a {ALGORITHM} signature document")
    return Signature(str(doc.get("key")), str(doc.get("sha256")), str(doc.get("signature")))


def _key(path: Path, option: str, load: Callable[[bytes], T], kind: str, fix: str) -> T:
    """A key file; a bad one is one ConfigError line, never the key's content."""
    raw = untrusted.read(
        path, limit=untrusted.KEY_BYTES, what=f"{option} {path}", fix="give the path of a PEM file"
    )
    try:
        return load(raw)
    except (ValueError, TypeError):
        raise ConfigError(f"{option} {path}", f"is not an RSA {kind} key", fix)


def load_private(path: Path, option: str = "--sign-key") -> signing.PrivateKey:
    """The certifier's signing key."""
    return _key(path, option, signing.load_private_key, "private", "export it as unencrypted PEM")


def load_public(path: Path, option: str = "--public-key") -> signing.PublicKey:
    return _key(
        path,
        option,
        signing.load_public_key,
        "public",
        "give the certifier's public key (X.509 SubjectPublicKeyInfo PEM)",
    )


def signature_document(data: bytes, key: signing.PrivateKey) -> bytes:
    """A detached signature file over data's exact bytes, naming the key by fingerprint."""
    return sign(data, key).document()
