"""Integrity of a report: the results digest it states, the results it embeds, and certifier
signatures."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .. import __version__, signing
from ..document import Results
from ..errors import ConfigError
from ..results import digest, verdict_of
from .html import sections
from .schema import checked

SIGNATURE_ALGORITHM = "SHA256withRSA"
T = TypeVar("T")
_EMBEDDED = re.compile(
    r'<script type="application/octet-stream" id="conformance-results" '
    r'data-sha256="([^"]*)">([A-Za-z0-9+/=]*)</script>'
)
_STATED = re.compile(r'<code id="results-sha256">([^<]*)</code>')


@dataclass(frozen=True)
class Verification:
    """One thing verified of a report, a results document or a package: whether it holds."""

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
    doc = {
        "algorithm": SIGNATURE_ALGORITHM,
        "key": signing.fingerprint(key),
        "sha256": digest(data),
        "signature": signing.sign_file_bytes(data, key),
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def check_signature(
    data: bytes, sig: bytes | None, name: str, key: signing.PublicKey | None
) -> list[Verification]:
    """Verify a detached signature when a key is given; say who signed when none is."""
    if sig is None:
        return (
            [Verification(False, f"{name}: not signed, but --public-key was given")]
            if key is not None
            else []
        )
    try:
        doc = json.loads(sig)
        signer, value = str(doc["key"]), str(doc["signature"])
    except (ValueError, KeyError, TypeError):
        return [Verification(False, f"{name}: the signature file is malformed")]
    if key is None:
        return [
            Verification(
                True,
                f"{name}: signed by key {signer}; not checked (pass --public-key)",
                skipped=True,
            )
        ]
    if signer != signing.fingerprint(key):
        return [
            Verification(
                False,
                f"{name}: signed by key {signer}, not by the given key {signing.fingerprint(key)}",
            )
        ]
    if not signing.verify_file_bytes(data, value, key):
        return [
            Verification(
                False, f"{name}: the signature does not verify; the file was changed after signing"
            )
        ]
    return [Verification(True, f"{name}: signature verified (key {signer})")]


def check_results(data: bytes, name: str = "results") -> tuple[list[Verification], Results | None]:
    """Schema and verdict consistency of a results document."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return [Verification(False, f"{name}: not JSON ({exc})")], None
    results, found = checked(doc)
    if results is None:
        return [
            Verification(False, f"{name}: breaks the results schema: {p}") for p in found[:5]
        ], None
    expected, _ = verdict_of(results)
    if expected != results["verdict"]:
        return [
            Verification(
                False, f"{name}: states {results['verdict']} but its requirements give {expected}"
            )
        ], results
    return [
        Verification(
            True,
            f"{name}: schema {results['schema']} valid; verdict {expected} follows from its "
            f"requirements",
        )
    ], results


def check_html(
    html: str, results_file: bytes | None, name: str = "report"
) -> tuple[list[Verification], Results | None]:
    """The stated digest, the embedded results, the sections rendered from them, and results.json
    beside."""
    found, stated = _EMBEDDED.search(html), _STATED.search(html)
    if not found or not stated:
        return [
            Verification(False, f"{name}: states no results digest (not a certification report?)")
        ], None
    try:
        data = base64.b64decode(found.group(2), validate=True)
    except binascii.Error:
        return [Verification(False, f"{name}: the embedded results are corrupt")], None
    claim = stated.group(1)
    checks = [
        Verification(
            digest(data) == claim == found.group(1),
            f"{name}: states results {claim}; embedded results hash to {digest(data)}",
        )
    ]
    more, results = check_results(data, f"{name} (embedded results)")
    checks += more
    if results is not None and results["suite"]["version"] == __version__:
        checks.append(
            Verification(
                sections(results, claim, data) in html,
                f"{name}: the certification sections are exactly those rendered from its results",
            )
        )
    elif results is not None:
        checks.append(
            Verification(
                True,
                f"{name}: rendered by suite {results['suite']['version']}; layout not compared",
                skipped=True,
            )
        )
    if results_file is not None:
        checks.append(
            Verification(
                digest(results_file) == claim,
                f"results.json hashes to {digest(results_file)}; the report states {claim}",
            )
        )
    return checks, results


def check_transcript(results: Results, data: bytes | None) -> list[Verification]:
    meta = results.get("transcript")
    if meta is None:
        return []
    if data is None:
        return [Verification(False, f"transcript {meta['file']} is missing")]
    return [
        Verification(
            digest(data) == meta["sha256"],
            f"transcript hashes to {digest(data)}; the results state {meta['sha256']}",
        )
    ]
