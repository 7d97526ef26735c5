"""Integrity of a report: the results digest it states, the results it embeds, and certifier
signatures."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from conformance import __version__, signing
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.report.html import sections
from conformance.report.schema import checked
from conformance.report.signature import Signature, parse
from conformance.results.document import Results
from conformance.results.fold import digest, verdict_of

_EMBEDDED = re.compile(
    r'<script type="application/octet-stream" id="conformance-results" '
    r'data-sha256="([^"]*)">([A-Za-z0-9+/=]*)</script>'
)
_STATED = re.compile(r'<code id="results-sha256">([^<]*)</code>')
_RESULTS_MARK, _MARK = 'id="conformance-results"', 'id="conformance-signature"'
_SIGNED = re.compile(r'<script type="application/json" id="conformance-signature">([^<]*)</script>')


@dataclass(frozen=True)
class IntegrityCheck:
    """One thing verified of a report, a results document or a package: whether it holds."""

    ok: bool
    text: str
    # A check that could not run (no key given): reported, but it fails nothing.
    skipped: bool = False
    # The fingerprint of the key whose signature this check is about: verified unless skipped.
    signer: str = ""


def check_signature(
    data: bytes, sig: bytes | None, name: str, key: signing.PublicKey | None
) -> list[IntegrityCheck]:
    """A detached signature file over data, checked as `check_signed` checks one."""
    try:
        signature = parse(sig) if sig is not None else None
    except ValueError as exc:
        return [IntegrityCheck(False, f"{name}: the signature file is malformed ({exc})")]
    return check_signed(data, signature, name, key)


def check_signed(
    data: bytes,
    sig: Signature | None,
    name: str,
    key: signing.PublicKey | None,
    label: str = "signature",
) -> list[IntegrityCheck]:
    """Verify a signature over data when a key is given; say who signed when none is."""
    if sig is None:
        return (
            [
                IntegrityCheck(
                    False,
                    f"{name}: not signed, but --public-key was given: nothing shows who made "
                    "these results",
                )
            ]
            if key is not None
            else []
        )
    # Checked with or without a key: a signature copied from elsewhere is caught by its digest.
    if not sig.signs(data):
        return [
            IntegrityCheck(
                False,
                f"{name}: the {label} is over other bytes ({sig.sha256}), not these "
                f"({digest(data)}): they were changed after signing, or the {label} was copied "
                "from elsewhere",
            )
        ]
    if key is None:
        return [
            IntegrityCheck(
                True,
                f"{name}: signed by key {sig.key}; not checked (pass --public-key)",
                skipped=True,
                signer=sig.key,
            )
        ]
    if sig.key != signing.fingerprint(key):
        return [
            IntegrityCheck(
                False,
                f"{name}: signed by key {sig.key}, not by the given key {signing.fingerprint(key)}",
            )
        ]
    if not sig.verifies(data, key):
        return [
            IntegrityCheck(
                False,
                f"{name}: the {label} does not verify with the given key: the bytes were changed "
                "after signing, or the signature is forged",
            )
        ]
    return [IntegrityCheck(True, f"{name}: {label} verified (key {sig.key})", signer=sig.key)]


def conclusion(checks: Sequence[IntegrityCheck]) -> str:
    """The final line of a verification: what it shows, and what it does not."""
    bad = [c for c in checks if not c.ok]
    if bad:
        return f"NOT VERIFIED ({len(bad)} problem{'s' * (len(bad) != 1)})"
    verified = sorted({c.signer for c in checks if c.signer and not c.skipped})
    unchecked = sorted({c.signer for c in checks if c.signer and c.skipped})
    if verified:
        return f"verified: signed by key {', '.join(verified)}, the key given"
    if unchecked:
        return (
            f"consistent, signed by key {', '.join(unchecked)}; the signature was not checked "
            "(pass --public-key)"
        )
    return (
        "consistent, not authenticated: it agrees with its own results, but it is unsigned, so "
        "nothing shows who made them or that they were not edited"
    )


def _cut(text: str, limit: int = 300) -> str:
    """A problem quoting a value of the document, cut to a readable length."""
    return text if len(text) <= limit else text[:limit] + "..."


def check_results(
    data: bytes, name: str = "results"
) -> tuple[list[IntegrityCheck], Results | None]:
    """Schema and verdict consistency of a results document."""
    try:
        doc = untrusted.load_json(data, name)
    except ConfigError as exc:
        return [IntegrityCheck(False, f"{name}: {exc.problem}")], None
    results, found = checked(doc)
    if results is None:
        return [
            IntegrityCheck(False, f"{name}: breaks the results schema: {_cut(p)}")
            for p in found[:5]
        ], None
    expected, _ = verdict_of(results)
    if expected != results["verdict"]:
        return [
            IntegrityCheck(
                False, f"{name}: states {results['verdict']} but its requirements give {expected}"
            )
        ], results
    return [
        IntegrityCheck(
            True,
            f"{name}: schema {results['schema']} valid; verdict {expected} follows from its "
            f"requirements",
        )
    ], results


def embedded_signature(
    html: str, name: str = "report"
) -> tuple[Signature | None, list[IntegrityCheck]]:
    """The signature a report embeds, if any; a malformed or repeated one is a failed check."""
    marks, found = html.count(_MARK), _SIGNED.findall(html)
    if marks > 1:
        return None, [IntegrityCheck(False, f"{name}: holds {marks} signature blocks, not one")]
    if marks and not found:
        return None, [IntegrityCheck(False, f"{name}: its signature block is malformed")]
    try:
        return (parse(found[0]) if found else None), []
    except ValueError as exc:
        return None, [IntegrityCheck(False, f"{name}: its embedded signature is malformed ({exc})")]


def check_html(
    html: str,
    results_file: bytes | None,
    name: str = "report",
    key: signing.PublicKey | None = None,
    sig_file: bytes | None = None,
) -> tuple[list[IntegrityCheck], Results | None]:
    """The stated digest, the embedded results, the sections rendered from them and the embedded
    signature, its verification, and results.json and its signature file beside."""
    found, stated = _EMBEDDED.search(html), _STATED.search(html)
    if not found or not stated:
        return [
            IntegrityCheck(False, f"{name}: states no results digest (not a certification report?)")
        ], None
    # Only the first set is verified, while a reader may be shown another: a page holds one.
    copies = html.count(_RESULTS_MARK)
    if copies != 1:
        return [
            IntegrityCheck(False, f"{name}: holds {copies} sets of certification sections, not one")
        ], None
    try:
        data = base64.b64decode(found.group(2), validate=True)
    except binascii.Error:
        return [IntegrityCheck(False, f"{name}: the embedded results are corrupt")], None
    claim = stated.group(1)
    checks = [
        IntegrityCheck(
            digest(data) == claim == found.group(1),
            f"{name}: states results {claim}; embedded results hash to {digest(data)}",
        )
    ]
    signature, problems = embedded_signature(html, name)
    checks += problems
    more, results = check_results(data, f"{name} (embedded results)")
    checks += more
    if results is not None and results["suite"]["version"] == __version__:
        # The signature is rendered into the Integrity section, so the section a reader sees
        # ("signed by key ...") is compared with the block verified below; the block's own
        # authenticity is the signature check's, never this comparison's.
        rendered = sections(results, claim, data, signature) in html
        if not rendered and signature is not None and sections(results, claim, data) in html:
            checks.append(
                IntegrityCheck(
                    False,
                    f"{name}: a signature block was added outside its certification sections, "
                    "which say it is not signed",
                )
            )
            signature = None
        else:
            checks.append(
                IntegrityCheck(
                    rendered,
                    f"{name}: the certification sections are exactly those rendered from its "
                    "results" + (" and signature" if signature is not None else ""),
                )
            )
    elif results is not None:
        checks.append(
            IntegrityCheck(
                True,
                f"{name}: rendered by suite {results['suite']['version']}; layout not compared",
                skipped=True,
            )
        )
    checks += check_signed(data, signature, name, key, "embedded signature")
    if results_file is not None:
        checks.append(
            IntegrityCheck(
                digest(results_file) == claim,
                f"results.json hashes to {digest(results_file)}; the report states {claim}",
            )
        )
    if sig_file is not None:
        checks.append(_agrees(sig_file, signature))
    return checks, results


def _agrees(sig_file: bytes, embedded: Signature | None) -> IntegrityCheck:
    """results.json.sig beside a report is the very signature the report embeds."""
    try:
        beside = parse(sig_file)
    except ValueError as exc:
        return IntegrityCheck(False, f"results.json.sig is malformed ({exc})")
    if beside == embedded:
        return IntegrityCheck(True, "results.json.sig is the signature the report embeds")
    unsigned = " (the report is not signed)" if embedded is None else ""
    return IntegrityCheck(
        False, f"results.json.sig is not the signature the report embeds{unsigned}"
    )


def signed_html(html: str, results: Results, data: bytes, signature: Signature) -> str:
    """An unsigned report with its certification sections rendered again with the signature."""
    unsigned = sections(results, digest(data), data)
    if unsigned not in html:
        raise ValueError("the report's certification sections are not those of its results")
    return html.replace(unsigned, sections(results, digest(data), data, signature), 1)


def check_transcript(results: Results, data: bytes | None) -> list[IntegrityCheck]:
    meta = results.get("transcript")
    if meta is None:
        return []
    if data is None:
        return [IntegrityCheck(False, f"transcript {meta['file']} is missing")]
    return [
        IntegrityCheck(
            digest(data) == meta["sha256"],
            f"transcript hashes to {digest(data)}; the results state {meta['sha256']}",
        )
    ]
