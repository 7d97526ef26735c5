"""The certification package: one zip of the report files, a manifest of their digests, and a
signature."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping

from conformance import signing
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.report.integrity import (
    IntegrityCheck,
    check_html,
    check_signature,
    check_transcript,
    embedded_signature,
    signed_html,
)
from conformance.report.signature import sign, signature_document
from conformance.results.document import Results
from conformance.results.fold import digest

PACKAGE_SCHEMA = "mpp-conformance/package/v1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "MANIFEST.json", "MANIFEST.json.sig", "certifier-public.pem"
REPORT, RESULTS, JUNIT, TRANSCRIPT = "report.html", "results.json", "junit.xml", "transcript.jsonl"
CONTENT = (REPORT, RESULTS, JUNIT, TRANSCRIPT)
# The most each file of a package may unpack to; others are held to untrusted.MANIFEST_BYTES.
LIMITS = {
    REPORT: untrusted.REPORT_BYTES,
    RESULTS: untrusted.RESULTS_BYTES,
    JUNIT: untrusted.JUNIT_BYTES,
    TRANSCRIPT: untrusted.TRANSCRIPT_BYTES,
    SIGNATURE: untrusted.SIGNATURE_BYTES,
    PUBLIC_KEY: untrusted.KEY_BYTES,
}
# Fixed entry times, so the same run packaged twice gives the same bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def manifest(files: Mapping[str, bytes], results: Results, key: signing.PrivateKey | None) -> bytes:
    doc = {
        "schema": PACKAGE_SCHEMA,
        "verdict": results["verdict"],
        "target": results["target"],
        "suite": results["suite"],
        "contract": results["contract"],
        "run": results["run"]["started"],
        "results_sha256": digest(files[RESULTS]),
        "files": [{"name": n, "sha256": digest(files[n]), "bytes": len(files[n])} for n in CONTENT],
        "certifier": signing.fingerprint(key) if key is not None else None,
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def signed_report(files: Mapping[str, bytes], results: Results, key: signing.PrivateKey) -> bytes:
    """The report, carrying key's signature over its results (ValueError when another key's does),
    so that it verifies alone, out of the package."""
    html = files[REPORT].decode("utf-8")
    embedded, _ = embedded_signature(html)
    if embedded is None:
        return signed_html(html, results, files[RESULTS], sign(files[RESULTS], key)).encode()
    if embedded.key != signing.fingerprint(key):
        raise ValueError(
            f"the report is signed by key {embedded.key}, --sign-key is {signing.fingerprint(key)}:"
            " package it with the key that signed the run"
        )
    return files[REPORT]


def build(
    files: Mapping[str, bytes], results: Results, key: signing.PrivateKey | None = None
) -> bytes:
    """The archive's bytes: the four report files, the manifest, and (with a key) its signature."""
    entries = {n: files[n] for n in CONTENT}
    entries[MANIFEST] = manifest(files, results, key)
    if key is not None:
        entries[SIGNATURE] = signature_document(entries[MANIFEST], key)
        entries[PUBLIC_KEY] = signing.public_pem(key)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, _EPOCH), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def verify(
    data: bytes, key: signing.PublicKey | None, source: str = "package"
) -> list[IntegrityCheck]:
    """Every file against the manifest, the manifest's signature, then the report inside; an
    archive that cannot be unpacked within bounds raises ConfigError."""
    members = untrusted.read_zip(data, LIMITS, source)
    names = [n for n, _ in members]
    files = dict(members)
    # Only the last of two entries of one name is read here, while an unzip tool may show the
    # first: a package that holds a name twice is refused.
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return [IntegrityCheck(False, f"the archive holds {n} more than once") for n in twice]
    if MANIFEST not in files:
        return [IntegrityCheck(False, f"the archive holds no {MANIFEST}")]
    try:
        doc = untrusted.load_json(files[MANIFEST], MANIFEST)
        listed = {str(f["name"]): str(f["sha256"]) for f in doc["files"]}
    except (ConfigError, KeyError, TypeError):
        return [IntegrityCheck(False, f"{MANIFEST} is malformed")]
    checks = check_signature(files[MANIFEST], files.get(SIGNATURE), MANIFEST, key)
    if key is None and SIGNATURE not in files:
        checks.append(IntegrityCheck(True, "the package is not signed", skipped=True))
    for name, want in listed.items():
        got = digest(files[name]) if name in files else "missing"
        checks.append(
            IntegrityCheck(
                got == want,
                f"{name}: {got}" + ("" if got == want else f", the manifest lists {want}"),
            )
        )
    absent = [n for n in CONTENT if n not in listed]
    if absent:
        checks.append(IntegrityCheck(False, f"the manifest does not list {', '.join(absent)}"))
    extra = sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE, PUBLIC_KEY})
    if extra:
        checks.append(IntegrityCheck(False, f"files not in the manifest: {', '.join(extra)}"))
    if REPORT in files:
        more, results = check_html(
            files[REPORT].decode("utf-8", "replace"), files.get(RESULTS), REPORT, key
        )
        checks += more
        if results is not None:
            checks += check_transcript(results, files.get(TRANSCRIPT))
    return checks
