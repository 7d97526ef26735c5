"""Integrity of a report: the results digest it states, the results it embeds, and certifier
signatures."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa

from .. import __version__, signing
from ..errors import ConfigError
from ..results import digest, verdict
from .html import sections
from .schema import problems

SIGNATURE_ALGORITHM = "SHA256withRSA"
T = TypeVar("T")
_EMBEDDED = re.compile(
    r'<script type="application/octet-stream" id="conformance-results" '
    r'data-sha256="([^"]*)">([A-Za-z0-9+/=]*)</script>'
)
_STATED = re.compile(r'<code id="results-sha256">([^<]*)</code>')


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str
    # A check that could not run (no key given): reported, but it fails nothing.
    skipped: bool = False


def _key(path: Path, option: str, load: Callable[[bytes], T], kind: str, fix: str) -> T:
    """A key file; a bad one is one ConfigError line, never the key's content."""
    try:
        return load(path.read_bytes())
    except OSError as exc:
        raise ConfigError(
            f"{option} {path}", f"cannot be read ({exc.strerror})", "give the path of a PEM file"
        )
    except (ValueError, TypeError):
        raise ConfigError(f"{option} {path}", f"is not an RSA {kind} key", fix)


def load_private(path: Path, option: str = "--sign-key") -> rsa.RSAPrivateKey:
    """The certifier's signing key."""
    return _key(path, option, signing.load_private_key, "private", "export it as unencrypted PEM")


def load_public(path: Path, option: str = "--public-key") -> rsa.RSAPublicKey:
    return _key(
        path,
        option,
        signing.load_public_key,
        "public",
        "give the certifier's public key (X.509 SubjectPublicKeyInfo PEM)",
    )


def signature_document(data: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """A detached signature file over data's exact bytes, naming the key by fingerprint."""
    doc = {
        "algorithm": SIGNATURE_ALGORITHM,
        "key": signing.fingerprint(key),
        "sha256": digest(data),
        "signature": signing.sign_file_bytes(data, key),
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def check_signature(
    data: bytes, sig: bytes | None, name: str, key: rsa.RSAPublicKey | None
) -> list[Check]:
    """Verify a detached signature when a key is given; say who signed when none is."""
    if sig is None:
        return (
            [Check(False, f"{name}: not signed, but --public-key was given")]
            if key is not None
            else []
        )
    try:
        doc = json.loads(sig)
        signer, value = str(doc["key"]), str(doc["signature"])
    except (ValueError, KeyError, TypeError):
        return [Check(False, f"{name}: the signature file is malformed")]
    if key is None:
        return [
            Check(
                True,
                f"{name}: signed by key {signer}; not checked (pass --public-key)",
                skipped=True,
            )
        ]
    if signer != signing.fingerprint(key):
        return [
            Check(
                False,
                f"{name}: signed by key {signer}, not by the given key {signing.fingerprint(key)}",
            )
        ]
    if not signing.verify_file_bytes(data, value, key):
        return [
            Check(
                False, f"{name}: the signature does not verify; the file was changed after signing"
            )
        ]
    return [Check(True, f"{name}: signature verified (key {signer})")]


def check_results(data: bytes, name: str = "results") -> tuple[list[Check], dict[str, Any] | None]:
    """Schema and verdict consistency of a results document."""
    try:
        results = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return [Check(False, f"{name}: not JSON ({exc})")], None
    found = problems(results)
    if found:
        return [Check(False, f"{name}: breaks the results schema: {p}") for p in found[:5]], None
    expected, _ = verdict(results["requirements"], results["errors"])
    if expected != results["verdict"]:
        return [
            Check(
                False, f"{name}: states {results['verdict']} but its requirements give {expected}"
            )
        ], results
    return [
        Check(
            True,
            f"{name}: schema {results['schema']} valid; verdict {expected} follows from its "
            f"requirements",
        )
    ], results


def check_html(
    html: str, results_file: bytes | None, name: str = "report"
) -> tuple[list[Check], dict[str, Any] | None]:
    """The stated digest, the embedded results, the sections rendered from them, and results.json
    beside."""
    found, stated = _EMBEDDED.search(html), _STATED.search(html)
    if not found or not stated:
        return [
            Check(False, f"{name}: states no results digest (not a certification report?)")
        ], None
    try:
        data = base64.b64decode(found.group(2), validate=True)
    except binascii.Error:
        return [Check(False, f"{name}: the embedded results are corrupt")], None
    claim = stated.group(1)
    checks = [
        Check(
            digest(data) == claim == found.group(1),
            f"{name}: states results {claim}; embedded results hash to {digest(data)}",
        )
    ]
    more, results = check_results(data, f"{name} (embedded results)")
    checks += more
    if results is not None and results.get("suite", {}).get("version") == __version__:
        checks.append(
            Check(
                sections(results, claim, data) in html,
                f"{name}: the certification sections are exactly those rendered from its results",
            )
        )
    elif results is not None:
        checks.append(
            Check(
                True,
                f"{name}: rendered by suite {results.get('suite', {}).get('version')}; "
                "layout not compared",
                skipped=True,
            )
        )
    if results_file is not None:
        checks.append(
            Check(
                digest(results_file) == claim,
                f"results.json hashes to {digest(results_file)}; the report states {claim}",
            )
        )
    return checks, results


def check_transcript(results: Mapping[str, Any], data: bytes | None) -> list[Check]:
    meta = results.get("transcript")
    if not meta:
        return []
    if data is None:
        return [Check(False, f"transcript {meta['file']} is missing")]
    return [
        Check(
            digest(data) == meta["sha256"],
            f"transcript hashes to {digest(data)}; the results state {meta['sha256']}",
        )
    ]
